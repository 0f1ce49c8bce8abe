"""Seed-by-seed comparison of two strategies: ``python -m hpo_core.benchmarks.paired``.

Two runs with the same problem and seed share the problem's randomness and, for our strategies,
the initial design, so the difference of their final regrets seed by seed is a sharper test than
comparing two medians (the Mann-Whitney tests of ``hpo bench`` treat the samples as
independent). For every (problem, mode) both sides ran, with ``a`` and ``b`` their final regrets
on the same seed:

    d        ``log10(max(b, floor)) - log10(max(a, floor))`` per seed (negative: b better);
             ``floor`` (1e-12) keeps a regret of exactly 0 finite
    wins     seeds with ``d < 0``; losses: ``d > 0`` (ties count for neither)
    p        two-sided Wilcoxon signed-rank p-value of the ``d`` (scipy; 1.0 when all are 0)

and over every pair of runs: the wins, the losses, the mean ``d`` and the two-sided sign-test
p-value of wins against losses (binomial, ties left out). Mode is ``q<batch>`` or
``k<workers>``, as the runs were made.

Usage::

    python -m hpo_core.benchmarks.paired A.json[,A2.json...] STRATEGY_A B.json[,...] STRATEGY_B \\
        [--names NAME_A NAME_B]
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["compare", "main", "paired_markdown", "regrets_by_seed"]

_FLOOR = 1e-12


def _mode(record: Mapping[str, Any]) -> str:
    return f"k{record['workers']}" if record.get("workers") else f"q{record.get('batch', 1)}"


def regrets_by_seed(records: Iterable[Mapping[str, Any]],
                    strategy: str) -> dict[tuple[str, str], dict[int, float]]:
    """``{(problem, mode): {seed: final regret}}`` of ``strategy``'s finished runs."""
    out: dict[tuple[str, str], dict[int, float]] = {}
    for r in records:
        if r.get("strategy") != strategy or r.get("status") != "ok":
            continue
        regret = r.get("regret_final")
        if regret is None:
            continue
        out.setdefault((r["problem"], _mode(r)), {})[int(r["seed"])] = float(regret)
    return out


def _d(a: float, b: float) -> float:
    return math.log10(max(b, _FLOOR)) - math.log10(max(a, _FLOOR))


def compare(a: Mapping[tuple[str, str], Mapping[int, float]],
            b: Mapping[tuple[str, str], Mapping[int, float]]) -> dict[str, Any]:
    """Per (problem, mode) and overall statistics of ``b`` against ``a`` (module docstring)."""
    from scipy.stats import binomtest, wilcoxon

    rows, every = [], []
    for key in sorted(set(a) & set(b)):
        seeds = sorted(set(a[key]) & set(b[key]))
        if not seeds:
            continue
        d = [_d(a[key][s], b[key][s]) for s in seeds]
        every += d
        p = float(wilcoxon(d).pvalue) if any(v != 0 for v in d) else 1.0
        rows.append({"problem": key[0], "mode": key[1], "seeds": len(seeds),
                     "wins": sum(v < 0 for v in d), "losses": sum(v > 0 for v in d),
                     "mean_d": sum(d) / len(d), "p": p})
    wins, losses = sum(v < 0 for v in every), sum(v > 0 for v in every)
    sign_p = float(binomtest(wins, wins + losses).pvalue) if wins + losses else 1.0
    return {"rows": rows, "pairs": len(every), "wins": wins, "losses": losses,
            "mean_d": sum(every) / len(every) if every else None, "sign_p": sign_p}


def paired_markdown(result: Mapping[str, Any], name_a: str, name_b: str) -> str:
    """The comparison as a Markdown table plus one line of totals."""
    lines = [f"{name_b} against {name_a}, seed by seed (d = log10 regret of {name_b} minus "
             f"that of {name_a}; negative: {name_b} better):", "",
             "| problem | mode | seeds | better | worse | mean d | Wilcoxon p |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['problem']} | {r['mode']} | {r['seeds']} | {r['wins']} | "
                     f"{r['losses']} | {r['mean_d']:+.3f} | {r['p']:.3g} |")
    mean = result["mean_d"]
    lines += ["", f"All {result['pairs']} pairs: {name_b} better in {result['wins']}, worse in "
              f"{result['losses']}, mean d {'n/a' if mean is None else f'{mean:+.3f}'}, "
              f"sign test p = {result['sign_p']:.3g}"]
    return "\n".join(lines)


def _records(paths: str) -> list[dict[str, Any]]:
    """The run records of every file in ``paths`` (comma-separated); ValueError names a file
    that cannot be read or is no ``hpo bench`` result."""
    records: list[dict[str, Any]] = []
    for path in paths.split(","):
        try:
            with open(path, encoding="utf-8") as f:
                runs = json.load(f)["runs"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: not a readable hpo bench result file with 'runs' "
                             f"({type(e).__name__}: {e})") from e
        if not isinstance(runs, list):
            raise ValueError(f"{path}: 'runs' must be a list, got {type(runs).__name__}")
        records += runs
    return records


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpo_core.benchmarks.paired",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files_a", help="comma-separated result files of side A")
    parser.add_argument("strategy_a")
    parser.add_argument("files_b", help="comma-separated result files of side B")
    parser.add_argument("strategy_b")
    parser.add_argument("--names", nargs=2, metavar=("NAME_A", "NAME_B"),
                        help="names for the two sides in the output (default: the strategies)")
    args = parser.parse_args(argv)
    try:
        a = regrets_by_seed(_records(args.files_a), args.strategy_a)
        b = regrets_by_seed(_records(args.files_b), args.strategy_b)
    except ValueError as e:
        parser.error(str(e))
    result = compare(a, b)
    if not result["rows"]:
        parser.error(f"no (problem, mode, seed) has runs of both {args.strategy_a!r} in "
                     f"{args.files_a} and {args.strategy_b!r} in {args.files_b}")
    names = args.names or (args.strategy_a, args.strategy_b)
    print(paired_markdown(result, *names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
