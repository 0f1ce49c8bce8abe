"""Summaries of ``hpo_core.bench`` run records: pure functions over the JSON, no clock or I/O.

:func:`summarize` groups run records by (problem, strategy) in order of first appearance and
computes, per group:

    regret      median and interquartile range (q25, q75) of ``regret_final`` over the runs
                that have one (numpy's default linear-interpolation percentiles)
    overhead    optimizer time per trial, ``ask_seconds[i] + tell_seconds[i]``, pooled over every
                trial of every run in the group: p50, p95 and mean, in milliseconds

:func:`markdown_table` renders the rows (and the skipped combinations) for a terminal or a
report. Both read only the record fields documented in ``benchmarks/FORMAT.md``, so a later
report can load a results file and call them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SummaryRow", "markdown_table", "summarize"]


@dataclass(frozen=True)
class SummaryRow:
    """The summary of every run of one strategy on one problem.

    Attributes:
        problem: problem name.
        strategy: strategy name.
        runs: number of run records (failed ones included).
        failed: runs whose ``status`` is not ``"ok"``.
        trials_median: median number of trials per run.
        regret_median: median final simple regret (None when no run has one).
        regret_q25: 25th percentile of the final regret.
        regret_q75: 75th percentile of the final regret.
        overhead_p50_ms: median ask + tell time per trial, ms (None without trials).
        overhead_p95_ms: 95th percentile of ask + tell per trial, ms.
        overhead_mean_ms: mean ask + tell per trial, ms.
    """

    problem: str
    strategy: str
    runs: int
    failed: int
    trials_median: float
    regret_median: float | None
    regret_q25: float | None
    regret_q75: float | None
    overhead_p50_ms: float | None
    overhead_p95_ms: float | None
    overhead_mean_ms: float | None


def _group(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["problem"], r["strategy"]), []).append(r)
    return groups


def _summarize_group(problem: str, strategy: str, runs: Sequence[Mapping[str, Any]]) -> SummaryRow:
    regrets = np.array([r["regret_final"] for r in runs if r.get("regret_final") is not None],
                       dtype=np.float64)
    overhead = np.array([a + t for r in runs
                         for a, t in zip(r["ask_seconds"], r["tell_seconds"], strict=True)],
                        dtype=np.float64) * 1e3
    q25 = q50 = q75 = p50 = p95 = mean = None
    if regrets.size:
        q25, q50, q75 = (float(v) for v in np.percentile(regrets, [25, 50, 75]))
    if overhead.size:
        p50, p95 = (float(v) for v in np.percentile(overhead, [50, 95]))
        mean = float(overhead.mean())
    return SummaryRow(
        problem=problem, strategy=strategy, runs=len(runs),
        failed=sum(1 for r in runs if r.get("status", "ok") != "ok"),
        trials_median=float(np.median([len(r["values"]) for r in runs])),
        regret_median=q50, regret_q25=q25, regret_q75=q75,
        overhead_p50_ms=p50, overhead_p95_ms=p95, overhead_mean_ms=mean)


def summarize(records: Iterable[Mapping[str, Any]]) -> list[SummaryRow]:
    """One :class:`SummaryRow` per (problem, strategy), in order of first appearance.

    Args:
        records: run records (the ``runs`` list of a results document).
    """
    return [_summarize_group(p, s, rs) for (p, s), rs in _group(records).items()]


def _num(value: float | None, fmt: str = ".3g") -> str:
    return "n/a" if value is None else format(value, fmt)


def markdown_table(rows: Sequence[SummaryRow],
                   skipped: Sequence[Mapping[str, Any]] = ()) -> str:
    """The rows as a Markdown table, followed by one line per skipped combination.

    Args:
        rows: from :func:`summarize`.
        skipped: the ``skipped`` list of a results document.

    Returns:
        The text, ending with a newline.
    """
    header = ("| problem | strategy | runs | trials | median regret | IQR (q25 - q75) "
              "| ask+tell p50 ms | p95 ms | mean ms |")
    lines = [header, "|" + "|".join(["---"] * 2 + ["---:"] * 7) + "|"]
    for r in rows:
        runs = str(r.runs) if not r.failed else f"{r.runs} ({r.failed} failed)"
        iqr = ("n/a" if r.regret_q25 is None
               else f"{_num(r.regret_q25)} - {_num(r.regret_q75)}")
        lines.append(
            f"| {r.problem} | {r.strategy} | {runs} | {r.trials_median:g} "
            f"| {_num(r.regret_median)} | {iqr} | {_num(r.overhead_p50_ms, '.4f')} "
            f"| {_num(r.overhead_p95_ms, '.4f')} | {_num(r.overhead_mean_ms, '.4f')} |")
    if not rows:
        lines.append("| (no runs) | | | | | | | | |")
    if skipped:
        lines.append("")
    for s in skipped:
        lines.append(f"Skipped: {s['strategy']} on {s['problem']} ({_seeds(s['seeds'])}): "
                     f"{s['reason']}")
    return "\n".join(lines) + "\n"


def _seeds(seeds: Sequence[int]) -> str:
    if not seeds:
        return "no seeds"
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seed" + ("s " if len(seeds) > 1 else " ") + ", ".join(map(str, seeds))
