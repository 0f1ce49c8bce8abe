"""The ``hpo bench`` report: curves, tests, ranks and overhead by n (pure functions over JSON).

:func:`analyze` reads run records (the ``runs`` of a results document) and gives, per problem
and strategy (field by field in ``benchmarks/FORMAT.md``, section ``report``):

    regret      median and IQR of the final simple regret (``regret_final``)
    curve       best-so-far regret after trial i = 1..n: median, q25 and q75 over the seeds
                that have a value there
    vs_random   one-sided Mann-Whitney U test of "this strategy's final regret is smaller than
                random search's" (:func:`~hpo_core.benchmarks.stats.mann_whitney_less`)
    vs_best_peer  the same test against the best peer: the peer strategy (another library's
                method, ``peer`` in the run record) with the lowest median final regret there
    rank        rank of the median final regret among the strategies run on the problem
                (1 = best, ties share the average rank); ``mean_rank`` averages it over problems
    quarter     the median best-so-far regret after a quarter of the trials against random
                search's median final regret (AMT's "a quarter of the jobs" claim)
    score       bayesmark's normalized score of each run, averaged over the seeds: ``(r - v) /
                (r - b)`` with ``v`` the run's final regret, ``r`` random search's median final
                regret on the problem and ``b`` the best final regret of any run there (1: as
                good as the best run, 0: random search's median, below 0: worse); None without
                random search's runs or when no run beats its median. ``mean_score`` averages
                it over the problems
    overhead_by_n  per-trial optimizer overhead (ask + tell) by trial index n in the buckets of
                :data:`N_BUCKETS`: p50, p95 and mean in ms, pooled over seeds

For a problem whose optimum is unknown (``f_star_known`` false, e.g. ``xgboost_digits``) the
regret is measured from a lower bound (0 for a log-loss), so it is the objective value itself.
:func:`report_markdown` renders the report as the tables ``hpo bench`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hpo_core.benchmarks.stats import average_ranks, mann_whitney_less

__all__ = ["N_BUCKETS", "analyze", "report_markdown"]

#: Trial-index buckets for overhead against n: (first n, last n); the last is open-ended.
N_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 25), (26, 50), (51, 100), (101, 200), (201, 500), (501, 1000), (1001, 2000),
    (2001, 4000), (4001, None))
#: Significance level for the marks in the Markdown tables (the JSON holds the p-values).
ALPHA = 0.05


def _is_peer(record: Mapping[str, Any]) -> bool:
    if "peer" in record:
        return bool(record["peer"])
    return "hpo_core" not in (record.get("versions") or {})  # version-1 documents


def _quantiles(values: Sequence[float]) -> tuple[float, float, float] | None:
    if not values:
        return None
    q25, q50, q75 = np.percentile(np.asarray(values, dtype=np.float64), [25, 50, 75])
    return float(q25), float(q50), float(q75)


def _curve(runs: Sequence[Mapping[str, Any]]) -> dict[str, list[float | None]]:
    """Median / q25 / q75 of the best-so-far regret at each trial index over ``runs``."""
    length = max((len(r["best_so_far"]) for r in runs), default=0)
    out: dict[str, list[float | None]] = {"median": [], "q25": [], "q75": []}
    for i in range(length):
        at = [r["best_so_far"][i] - r["f_star"] for r in runs
              if i < len(r["best_so_far"]) and r["best_so_far"][i] is not None]
        q = _quantiles(at)
        for key, k in (("q25", 0), ("median", 1), ("q75", 2)):
            out[key].append(None if q is None else q[k])
    return out


def _bucket_label(lo: int, hi: int | None) -> str:
    return f"{lo}+" if hi is None else f"{lo}-{hi}"


def _overhead_by_n(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    per_n: dict[int, list[float]] = {}
    for r in runs:
        for i, (a, t) in enumerate(zip(r["ask_seconds"], r["tell_seconds"], strict=True)):
            per_n.setdefault(i + 1, []).append((a + t) * 1e3)
    out = []
    for lo, hi in N_BUCKETS:
        ms = [v for n, vs in per_n.items() if n >= lo and (hi is None or n <= hi) for v in vs]
        if ms:
            arr = np.asarray(ms)
            p50, p95 = np.percentile(arr, [50, 95])
            out.append({"n": _bucket_label(lo, hi), "n_min": lo, "n_max": hi,
                        "trials": len(ms), "p50_ms": float(p50), "p95_ms": float(p95),
                        "mean_ms": float(arr.mean())})
    return out


def _final_regrets(runs: Sequence[Mapping[str, Any]]) -> list[float]:
    return [float(r["regret_final"]) for r in runs if r.get("regret_final") is not None]


def _quarter(runs: Sequence[Mapping[str, Any]], random_runs: Sequence[Mapping[str, Any]],
             random_regrets: Sequence[float]) -> dict[str, Any] | None:
    n_random = int(np.median([len(r["best_so_far"]) for r in random_runs]))
    k = n_random // 4
    at = [r["best_so_far"][k - 1] - r["f_star"] for r in runs
          if k >= 1 and len(r["best_so_far"]) >= k and r["best_so_far"][k - 1] is not None]
    if not at or not random_regrets:
        return None
    median, random_median = float(np.median(at)), float(np.median(random_regrets))
    return {"n": k, "median": median, "random_n": n_random, "random_median": random_median,
            "matches": median <= random_median}


def _scores(regrets: Mapping[str, list[float]]) -> dict[str, float | None]:
    """Mean normalized score per strategy (see the module docstring)."""
    every = [v for vs in regrets.values() for v in vs]
    if not regrets.get("random") or not every:
        return {s: None for s in regrets}
    reference, best = float(np.median(regrets["random"])), min(every)
    if not reference > best:
        return {s: None for s in regrets}
    return {s: float(np.mean([(reference - v) / (reference - best) for v in vs])) if vs else None
            for s, vs in regrets.items()}


def _problem_report(runs_by_strategy: Mapping[str, list[Mapping[str, Any]]],
                    f_star_known: bool) -> dict[str, Any]:
    regrets = {s: _final_regrets(rs) for s, rs in runs_by_strategy.items()}
    scores = _scores(regrets)
    medians = {s: float(np.median(v)) for s, v in regrets.items() if v}
    peers = [s for s, rs in runs_by_strategy.items() if _is_peer(rs[0]) and s in medians]
    best_peer = min(peers, key=lambda s: medians[s]) if peers else None
    ranked = list(medians)
    ranks = dict(zip(ranked, average_ranks([medians[s] for s in ranked]).tolist(), strict=True))

    def test(s: str, ref: str | None) -> dict[str, Any] | None:
        if ref is None or s == ref or not regrets[s] or not regrets.get(ref):
            return None
        return {"against": ref, **mann_whitney_less(regrets[s], regrets[ref]).to_dict()}

    strategies: dict[str, Any] = {}
    has_random = "random" in runs_by_strategy
    for s, rs in runs_by_strategy.items():
        q = _quantiles(regrets[s])
        strategies[s] = {
            "peer": _is_peer(rs[0]),
            "runs": len(rs),
            "with_regret": len(regrets[s]),
            "regret_q25": None if q is None else q[0],
            "regret_median": None if q is None else q[1],
            "regret_q75": None if q is None else q[2],
            "rank": ranks.get(s),
            "score": scores[s],
            "vs_random": test(s, "random" if has_random else None),
            "vs_best_peer": test(s, best_peer),
            "quarter": (_quarter(rs, runs_by_strategy["random"], regrets["random"])
                        if has_random and s != "random" else None),
            "curve": _curve(rs),
            "overhead_by_n": _overhead_by_n(rs),
        }
    return {"f_star_known": f_star_known, "best_peer": best_peer, "strategies": strategies}


def analyze(runs: Iterable[Mapping[str, Any]],
            problems: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The report of a set of run records (JSON-ready).

    Args:
        runs: run records (the ``runs`` list of a results document); each needs ``problem``,
            ``strategy``, ``regret_final``, ``best_so_far``, ``f_star``, ``ask_seconds``,
            ``tell_seconds`` and ``peer`` (else: a peer is a record without ``hpo_core`` in
            ``versions``).
        problems: the document's ``problems`` (for ``f_star_known``; known when absent).

    Returns:
        ``{"alpha", "n_buckets", "problems": {problem: {...}}, "mean_rank": [...]}``.
    """
    grouped: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for r in runs:
        grouped.setdefault(r["problem"], {}).setdefault(r["strategy"], []).append(r)
    meta = problems or {}
    per_problem = {p: _problem_report(by_s, bool(meta.get(p, {}).get("f_star_known", True)))
                   for p, by_s in grouped.items()}
    ranks: dict[str, list[float]] = {}
    scores: dict[str, list[float]] = {}
    for rep in per_problem.values():
        for s, row in rep["strategies"].items():
            if row["rank"] is not None:
                ranks.setdefault(s, []).append(row["rank"])
            if row["score"] is not None:
                scores.setdefault(s, []).append(row["score"])
    order = sorted(ranks, key=lambda s: float(np.mean(ranks[s])))
    mean_rank = [{"strategy": s, "mean_rank": float(np.mean(ranks[s])), "problems": len(ranks[s])}
                 for s in order]
    by_score = sorted(scores, key=lambda s: -float(np.mean(scores[s])))
    mean_score = [{"strategy": s, "mean_score": float(np.mean(scores[s])),
                   "problems": len(scores[s])} for s in by_score]
    return {"alpha": ALPHA,
            "n_buckets": [[lo, hi] for lo, hi in N_BUCKETS],
            "problems": per_problem,
            "mean_rank": mean_rank,
            "mean_score": mean_score}


# ----------------------------------------------------------------------------------- Markdown

def _num(value: float | None, fmt: str = ".3g") -> str:
    return "n/a" if value is None else format(value, fmt)


def _p(test: Mapping[str, Any] | None) -> str:
    if test is None:
        return "-"
    return f"{test['p']:.3g}" + (" *" if test["p"] < ALPHA else "")


def _tests_table(report: Mapping[str, Any]) -> list[str]:
    lines = ["| problem | strategy | median regret | IQR (q25 - q75) | rank | score "
             "| p vs random | best peer | p vs best peer |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for pname, rep in report["problems"].items():
        shown = pname if rep["f_star_known"] else f"{pname} (value)"
        for s, row in rep["strategies"].items():
            iqr = ("n/a" if row["regret_q25"] is None
                   else f"{_num(row['regret_q25'])} - {_num(row['regret_q75'])}")
            lines.append(f"| {shown} | {s} | {_num(row['regret_median'])} | {iqr} "
                         f"| {_num(row['rank'], 'g')} | {_num(row.get('score'), '.3f')} "
                         f"| {_p(row['vs_random'])} "
                         f"| {rep['best_peer'] or '-'} | {_p(row['vs_best_peer'])} |")
    return lines


def _rank_table(report: Mapping[str, Any]) -> list[str]:
    lines = ["| strategy | mean rank | problems |", "|---|---:|---:|"]
    lines += [f"| {r['strategy']} | {r['mean_rank']:.2f} | {r['problems']} |"
              for r in report["mean_rank"]]
    return lines


def _score_table(report: Mapping[str, Any]) -> list[str]:
    rows = report.get("mean_score") or []
    if not rows:
        return []
    lines = ["| strategy | mean score | problems |", "|---|---:|---:|"]
    return lines + [f"| {r['strategy']} | {r['mean_score']:.3f} | {r['problems']} |"
                    for r in rows]


def _overhead_table(report: Mapping[str, Any]) -> list[str]:
    labels = [_bucket_label(lo, hi) for lo, hi in N_BUCKETS]
    used = [lab for lab in labels if any(
        b["n"] == lab for rep in report["problems"].values()
        for row in rep["strategies"].values() for b in row["overhead_by_n"])]
    lines = ["| problem | strategy | " + " | ".join(f"n {lab}" for lab in used) + " |",
             "|---|---|" + "---:|" * len(used)]
    for pname, rep in report["problems"].items():
        for s, row in rep["strategies"].items():
            cells = {b["n"]: f"{b['p50_ms']:.3g} / {b['p95_ms']:.3g} / {b['mean_ms']:.3g}"
                     for b in row["overhead_by_n"]}
            lines.append(f"| {pname} | {s} | "
                         + " | ".join(cells.get(lab, "-") for lab in used) + " |")
    return lines


def _quarter_table(report: Mapping[str, Any]) -> list[str]:
    lines = ["| problem | strategy | n | median regret at n | random n | random median regret "
             "| matches |", "|---|---|---:|---:|---:|---:|---|"]
    for pname, rep in report["problems"].items():
        for s, row in rep["strategies"].items():
            q = row["quarter"]
            if q is not None:
                lines.append(f"| {pname} | {s} | {q['n']} | {_num(q['median'])} "
                             f"| {q['random_n']} | {_num(q['random_median'])} "
                             f"| {'yes' if q['matches'] else 'no'} |")
    return lines if len(lines) > 2 else []


def report_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown sections (tests and ranks, mean rank, quarter, overhead by n)."""
    if not report["problems"]:
        return ""
    out = ["Final regret: one-sided Mann-Whitney U p-values (H1: this strategy's regret is "
           f"smaller; * p < {report['alpha']:g}); rank by median regret (1 = best); "
           "'(value)': f* unknown, regret is the objective value.", "",
           *_tests_table(report), "", "Mean rank across problems:", "", *_rank_table(report)]
    score = _score_table(report)
    if score:
        out += ["", "Mean normalized score across problems (bayesmark's: 1 = the best run, "
                    "0 = random search's median):", "", *score]
    quarter = _quarter_table(report)
    if quarter:
        out += ["", "A quarter of the trials against random search's full budget (median "
                    "best regret):", "", *quarter]
    out += ["", "Optimizer overhead (ask + tell) per trial by trial index n, ms: "
                "p50 / p95 / mean:", "", *_overhead_table(report)]
    return "\n".join(out) + "\n"
