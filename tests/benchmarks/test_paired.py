"""python -m hpo_core.benchmarks.paired: seed-by-seed comparison of two strategies."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hpo_core.benchmarks.paired import compare, main, regrets_by_seed


def _run(problem: str, strategy: str, seed: int, regret: float | None, batch: int = 1,
         workers: int = 0, status: str = "ok") -> dict:
    return {"problem": problem, "strategy": strategy, "seed": seed, "batch": batch,
            "workers": workers, "status": status, "regret_final": regret}


def _write(tmp_path: Path, name: str, runs: list[dict]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"runs": runs}))
    return str(path)


def test_regrets_by_seed_keys_by_problem_and_mode_and_skips_failed_runs() -> None:
    runs = [_run("p", "s", 0, 1.0, batch=4), _run("p", "s", 1, 2.0, workers=4),
            _run("p", "s", 2, 3.0, status="error"), _run("p", "s", 3, None),
            _run("p", "other", 0, 9.0)]
    assert regrets_by_seed(runs, "s") == {("p", "q4"): {0: 1.0}, ("p", "k4"): {1: 2.0}}


def test_compare_pairs_seeds_and_counts_wins_losses_and_ties() -> None:
    a = {("p", "q4"): {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, ("r", "q1"): {0: 5.0}}
    b = {("p", "q4"): {0: 0.1, 1: 10.0, 2: 1.0, 4: 0.5}, ("other", "q4"): {0: 1.0}}
    result = compare(a, b)
    assert [(r["problem"], r["mode"], r["seeds"]) for r in result["rows"]] == [("p", "q4", 3)]
    row = result["rows"][0]
    assert (row["wins"], row["losses"]) == (1, 1)  # seed 2 ties, seed 4 has no partner
    assert row["mean_d"] == pytest.approx((-1.0 + 1.0 + 0.0) / 3)
    assert (result["pairs"], result["wins"], result["losses"]) == (3, 1, 1)
    assert result["sign_p"] == pytest.approx(1.0)


def test_compare_handles_zero_regret_and_all_ties() -> None:
    result = compare({("p", "q1"): {0: 0.0, 1: 2.0}}, {("p", "q1"): {0: 0.0, 1: 2.0}})
    assert result["rows"][0]["p"] == 1.0 and result["mean_d"] == 0.0
    zero = compare({("p", "q1"): {0: 1.0}}, {("p", "q1"): {0: 0.0}})
    assert math.isfinite(zero["mean_d"]) and zero["mean_d"] == pytest.approx(-12.0)


def test_a_consistent_improvement_is_significant() -> None:
    a = {("p", "k4"): {s: 1.0 for s in range(12)}}
    b = {("p", "k4"): {s: 0.5 - 0.01 * s for s in range(12)}}
    result = compare(a, b)
    assert result["wins"] == 12 and result["sign_p"] < 0.001 and result["rows"][0]["p"] < 0.01


def test_main_prints_the_table_and_refuses_bad_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path, "a.json", [_run("branin", "bayesian", s, 1.0, batch=4)
                                    for s in range(3)])
    b1 = _write(tmp_path, "b1.json", [_run("branin", "bayesian", 0, 0.1, batch=4)])
    b2 = _write(tmp_path, "b2.json", [_run("branin", "bayesian", s, 0.1, batch=4)
                                      for s in (1, 2)])
    assert main([a, "bayesian", f"{b1},{b2}", "bayesian", "--names", "old", "new"]) == 0
    out = capsys.readouterr().out
    assert "new against old" in out and "| branin | q4 | 3 | 3 | 0 | -1.000 |" in out
    assert "All 3 pairs: new better in 3, worse in 0" in out
    with pytest.raises(SystemExit):
        main([a, "bayesian", b1, "random"])
    assert "no (problem, mode, seed) has runs of both" in capsys.readouterr().err
    missing = str(tmp_path / "missing.json")
    with pytest.raises(SystemExit):
        main([a, "bayesian", missing, "bayesian"])
    assert f"{missing}: not a readable hpo bench result file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"runs": {"not": "a list"}}')
    with pytest.raises(SystemExit):
        main([a, "bayesian", str(bad), "bayesian"])
    assert "'runs' must be a list, got dict" in capsys.readouterr().err
