"""The report: ranks, best peer, tests, curves, quarter and overhead buckets, checked by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from hpo_core.benchmarks.analysis import N_BUCKETS, analyze, report_markdown
from hpo_core.benchmarks.stats import mann_whitney_less


def _run(problem: str, strategy: str, best: Sequence[float | None], *, peer: bool = False,
         f_star: float = 0.0, overhead: float = 0.001) -> dict[str, Any]:
    n = len(best)
    final = next((b for b in reversed(best) if b is not None), None)
    return {"problem": problem, "strategy": strategy, "peer": peer, "status": "ok",
            "best_so_far": list(best), "f_star": f_star,
            "regret_final": None if final is None else final - f_star,
            "ask_seconds": [overhead] * n, "tell_seconds": [0.0] * n}


def _runs() -> list[dict[str, Any]]:
    runs = []
    for seed in range(3):  # final regrets: random 5+s, ours 1+s, tpe 3+s, gp 2+s on "a"
        runs.append(_run("a", "random", [9.0, 5.0 + seed, 5.0 + seed, 5.0 + seed]))
        runs.append(_run("a", "ours", [9.0, 4.0, 2.0 + seed, 1.0 + seed]))
        runs.append(_run("a", "tpe", [9.0, 3.0 + seed, 3.0 + seed, 3.0 + seed], peer=True))
        runs.append(_run("a", "gp", [9.0, 8.0, 2.0 + seed, 2.0 + seed], peer=True))
    for seed in range(3):  # on "b": gp best, then random, ours, tpe
        runs.append(_run("b", "random", [2.0 + seed]))
        runs.append(_run("b", "ours", [3.0 + seed]))
        runs.append(_run("b", "tpe", [4.0 + seed], peer=True))
        runs.append(_run("b", "gp", [1.0 + seed], peer=True))
    return runs


def test_ranks_best_peer_and_tests() -> None:
    report = analyze(_runs())
    a = report["problems"]["a"]
    assert a["best_peer"] == "gp" and report["problems"]["b"]["best_peer"] == "gp"
    assert {s: row["rank"] for s, row in a["strategies"].items()} == {
        "random": 4.0, "ours": 1.0, "tpe": 3.0, "gp": 2.0}
    ours = a["strategies"]["ours"]
    assert (ours["regret_q25"], ours["regret_median"], ours["regret_q75"]) == (1.5, 2.0, 2.5)
    expected = mann_whitney_less([1.0, 2.0, 3.0], [5.0, 6.0, 7.0]).to_dict()
    assert ours["vs_random"] == {"against": "random", **expected}
    assert ours["vs_best_peer"]["against"] == "gp"
    assert a["strategies"]["random"]["vs_random"] is None
    assert a["strategies"]["gp"]["vs_best_peer"] is None
    assert a["strategies"]["tpe"]["vs_best_peer"]["against"] == "gp"
    # mean rank: ours (1 + 3) / 2 = 2, gp (2 + 1) / 2 = 1.5, random (4 + 2) / 2, tpe (3 + 4) / 2
    assert report["mean_rank"] == [
        {"strategy": "gp", "mean_rank": 1.5, "problems": 2},
        {"strategy": "ours", "mean_rank": 2.0, "problems": 2},
        {"strategy": "random", "mean_rank": 3.0, "problems": 2},
        {"strategy": "tpe", "mean_rank": 3.5, "problems": 2}]


def test_ties_share_the_average_rank_and_missing_strategies_rank_on_fewer_problems() -> None:
    runs = [_run("a", "x", [1.0]), _run("a", "y", [1.0]), _run("a", "z", [2.0]),
            _run("b", "x", [1.0]), _run("b", "z", [0.5])]
    report = analyze(runs)
    assert [row["rank"] for row in report["problems"]["a"]["strategies"].values()] == [
        1.5, 1.5, 3.0]
    assert {r["strategy"]: (r["mean_rank"], r["problems"]) for r in report["mean_rank"]} == {
        "x": (1.75, 2), "y": (1.5, 1), "z": (2.0, 2)}
    assert report["problems"]["a"]["best_peer"] is None


def test_curves_are_medians_of_best_so_far_regret() -> None:
    runs = [_run("a", "s", [None, 4.0, 2.0], f_star=1.0),
            _run("a", "s", [6.0, 3.0, 3.0], f_star=1.0),
            _run("a", "s", [5.0, 5.0], f_star=1.0)]  # a shorter (failed) run
    curve = analyze(runs)["problems"]["a"]["strategies"]["s"]["curve"]
    assert curve["median"] == [4.5, 3.0, 1.5]
    assert curve["q25"] == [4.25, 2.5, 1.25]
    assert curve["q75"] == [4.75, 3.5, 1.75]


def test_quarter_compares_a_quarter_of_the_trials_with_random_at_full_budget() -> None:
    runs = [_run("a", "random", [9.0] * 7 + [4.0]), _run("a", "random", [9.0] * 7 + [6.0]),
            _run("a", "s", [8.0, 5.0] + [1.0] * 6), _run("a", "s", [8.0, 3.0] + [1.0] * 6)]
    rows = analyze(runs)["problems"]["a"]["strategies"]
    assert rows["s"]["quarter"] == {"n": 2, "median": 4.0, "random_n": 8, "random_median": 5.0,
                                    "matches": True}
    assert rows["random"]["quarter"] is None


def test_overhead_by_n_buckets() -> None:
    run = _run("a", "s", [1.0] * 60)
    run["ask_seconds"] = [0.001] * 25 + [0.002] * 25 + [0.010] * 10
    buckets = analyze([run])["problems"]["a"]["strategies"]["s"]["overhead_by_n"]
    assert [(b["n"], b["n_min"], b["n_max"], b["trials"]) for b in buckets] == [
        ("1-25", 1, 25, 25), ("26-50", 26, 50, 25), ("51-100", 51, 100, 10)]
    assert [b["p50_ms"] for b in buckets] == pytest.approx([1.0, 2.0, 10.0])
    assert buckets[0]["mean_ms"] == pytest.approx(1.0)
    assert N_BUCKETS[0] == (1, 25) and N_BUCKETS[-1][1] is None


def test_version_1_records_without_peer_use_versions() -> None:
    runs = [_run("a", "random", [2.0]), _run("a", "optuna-tpe", [1.0])]
    for r in runs:
        del r["peer"]
    runs[0]["versions"] = {"hpo_core": "0.1.0"}
    runs[1]["versions"] = {"optuna": "5.0.0"}
    assert analyze(runs)["problems"]["a"]["best_peer"] == "optuna-tpe"


def test_normalized_scores_against_random_median_and_best_run() -> None:
    report = analyze(_runs())
    # "a": random's median final regret 6, the best run 1: score (6 - v) / 5 per run
    a = report["problems"]["a"]["strategies"]
    assert {s: round(a[s]["score"], 12) for s in a} == {
        "random": 0.0, "ours": 0.8, "tpe": 0.4, "gp": 0.6}
    # "b": random's median 3, best 1 (gp): ours 3, 4, 5 -> 0, -0.5, -1
    b = report["problems"]["b"]["strategies"]
    assert b["ours"]["score"] == pytest.approx(-0.5) and b["gp"]["score"] == pytest.approx(0.5)
    assert [(r["strategy"], round(r["mean_score"], 12), r["problems"])
            for r in report["mean_score"]] == [
        ("gp", 0.55, 2), ("ours", 0.15, 2), ("random", 0.0, 2), ("tpe", -0.3, 2)]
    # no random runs, or nothing better than random's median: no score
    alone = analyze([r for r in _runs() if r["strategy"] != "random"])
    assert alone["problems"]["a"]["strategies"]["ours"]["score"] is None
    assert alone["mean_score"] == []
    tied = analyze([_run("t", "random", [1.0]), _run("t", "ours", [1.0])])
    assert tied["problems"]["t"]["strategies"]["ours"]["score"] is None


def test_markdown_has_every_section_and_marks_unknown_optima() -> None:
    report = analyze([*_runs(), _run("xgb", "random", [0.2]), _run("xgb", "ours", [0.1])],
                     {"xgb": {"f_star_known": False}})
    text = report_markdown(report)
    assert "| a | ours | 2 | 1.5 - 2.5 | 1 | 0.800 | 0.05 | gp |" in text
    assert "| gp | 0.550 | 2 |" in text  # mean score
    assert "| xgb (value) | ours | 0.1 |" in text
    assert "| gp | 1.50 | 2 |" in text  # mean rank
    assert "| a | ours | 1 | 9 | 4 | 6 | no |" in text  # quarter: 1 of 4 trials
    assert "| a | ours | 1 / 1 / 1 |" in text  # overhead, bucket 1-25
    assert report_markdown(analyze([])) == ""
