"""``hpo bench --workers k``: asynchronous parallel runs of single-fidelity problems.

k trials are in flight at once. Trial ``i`` (in the order the strategy was asked) takes a
simulated evaluation time ``exp(N(0, SIGMA))`` drawn from a generator seeded by the run's seed
alone, so every strategy and every worker count of one seed sees the same sequence of
durations. The clock starts with k asks; whenever a worker frees up (the earliest finish time;
ties by ask order) its result is told and the strategy is asked for the next point while the
other k - 1 trials are still pending, until the budget of trials has been asked; then the
remaining ones are told as they finish. Optimizer time is measured (``ask_seconds``,
``tell_seconds``) but does not advance the simulated clock. ``--workers 1`` is the sequential
run on the same clock.

The run record (``benchmarks/FORMAT.md``) lists ``values`` in completion order (the order the
strategy learned them, so "regret by trials" counts completed trials) and ``finish_times``,
the simulated time of each completion. :func:`wallclock_table` turns records into median
best-so-far regret at points of simulated time; ``python -m hpo_core.benchmarks.workers
FILE...`` prints it for the runs of one or more results files (for example a ``--workers 8``
run next to a ``--workers 1`` run).
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["SIGMA", "durations", "run_workers", "wallclock_markdown", "wallclock_table"]

#: Log-normal spread of the simulated evaluation times (median 1, mean exp(SIGMA^2 / 2)).
SIGMA = 0.5


def durations(seed: int, n: int) -> np.ndarray:
    """The ``(n,)`` simulated evaluation times of a run with ``seed`` (trial i takes ``[i]``)."""
    return np.exp(np.random.default_rng([seed, 0x3A5C]).normal(0.0, SIGMA, n))


def run_workers(session: Any, n_trials: int, workers: int, seed: int,
                evaluate: Callable[[dict[str, Any]], tuple[float | None, str | None]],
                check: Callable[[], None]) -> dict[str, Any]:
    """Drive ``session`` for ``n_trials`` with ``workers`` in flight (see the module docstring).

    Returns:
        ``values``, ``params`` (completion order), ``finish_times``, ``ask_seconds``,
        ``tell_seconds``; on an exception, what was gathered so far under the same keys plus
        ``error``.
    """
    times = durations(seed, n_trials)
    out: dict[str, Any] = {"values": [], "params": [], "finish_times": [], "ask_seconds": [],
                           "tell_seconds": [], "error": None}
    running: list[tuple[float, int, Any, dict[str, Any]]] = []
    asked = 0
    clock = 0.0
    try:
        while asked < n_trials or running:
            while asked < n_trials and len(running) < workers:
                check()
                t0 = time.perf_counter()
                token, params = session.ask()
                out["ask_seconds"].append(time.perf_counter() - t0)
                heapq.heappush(running, (clock + float(times[asked]), asked, token, params))
                asked += 1
            clock, _, token, params = heapq.heappop(running)
            value, reason = evaluate(params)
            t0 = time.perf_counter()
            session.tell(token, value, reason)
            out["tell_seconds"].append(time.perf_counter() - t0)
            out["values"].append(value)
            out["params"].append(params)
            out["finish_times"].append(clock)
    except Exception as e:  # an optimizer that breaks fails its run, not the benchmark
        out["error"] = f"{type(e).__name__}: {e}"
    n = len(out["values"])  # ask and tell lists pair up per completed trial
    out["ask_seconds"] = out["ask_seconds"][:n]
    return out


def _regret_at(record: Mapping[str, Any], t: float) -> float | None:
    best = None
    for v, ft in zip(record["values"], record["finish_times"], strict=True):
        if ft <= t and v is not None and (best is None or v < best):
            best = v
    return None if best is None else best - record["f_star"]


def wallclock_table(records: Iterable[Mapping[str, Any]],
                    points: Sequence[float]) -> list[dict[str, Any]]:
    """Median best-so-far regret at each simulated time in ``points``, one row per (problem,
    strategy, workers) in order of first appearance (records without ``finish_times`` are
    left out). A time at which fewer than half of the runs had a result gives None."""
    groups: dict[tuple[str, str, int], list[Mapping[str, Any]]] = {}
    for r in records:
        if r.get("finish_times") is not None:
            groups.setdefault((r["problem"], r["strategy"], r["workers"]), []).append(r)
    rows = []
    for (problem, strategy, workers), runs in groups.items():
        medians: list[float | None] = []
        for t in points:
            vals = [_regret_at(r, t) for r in runs]
            got = [v for v in vals if v is not None]
            medians.append(float(np.median(got)) if 2 * len(got) > len(vals) else None)
        rows.append({"problem": problem, "strategy": strategy, "workers": workers,
                     "runs": len(runs), "points": list(points), "median_regret": medians})
    return rows


def wallclock_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of :func:`wallclock_table` as one Markdown table per problem."""
    lines: list[str] = []
    for problem in dict.fromkeys(r["problem"] for r in rows):
        mine = [r for r in rows if r["problem"] == problem]
        points = mine[0]["points"]
        lines += [f"Median regret by simulated wall-clock, {problem} (time unit: median "
                  f"evaluation)", "",
                  "| strategy | workers | " + " | ".join(f"t={t:g}" for t in points) + " |",
                  "|---|---:|" + "---:|" * len(points)]
        for r in mine:
            cells = ["-" if v is None else f"{v:.3g}" for v in r["median_regret"]]
            lines.append(f"| {r['strategy']} | {r['workers']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def default_points(records: Sequence[Mapping[str, Any]], n: int = 8) -> list[float]:
    """``n`` evenly spaced times up to the shortest run's median end (the fastest setting)."""
    ends: dict[int, list[float]] = {}
    for r in records:
        if r.get("finish_times"):
            ends.setdefault(r["workers"], []).append(r["finish_times"][-1])
    if not ends:
        return []
    end = min(float(np.median(v)) for v in ends.values())
    return [round(end * (i + 1) / n, 1) for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpo_core.benchmarks.workers",
                                     description="median regret by simulated wall-clock")
    parser.add_argument("inputs", nargs="+", metavar="FILE")
    parser.add_argument("--points", default=None, metavar="T1,T2,...",
                        help="simulated times (default: 8 up to the fastest setting's end)")
    args = parser.parse_args(argv)
    records: list[Mapping[str, Any]] = []
    for path in args.inputs:
        with open(path, encoding="utf-8") as f:
            records += json.load(f)["runs"]
    points = ([float(t) for t in args.points.split(",")] if args.points
              else default_points(records))
    print(wallclock_markdown(wallclock_table(records, points)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
