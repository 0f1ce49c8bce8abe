"""``hpo bench`` on multi-fidelity problems: simulated-time runs with parallel workers.

    hpo bench --problems mlp_digits --strategies hyperband,random --seeds 10 \\
        --workers 8 --budget-factor 40

Strategies: ``random`` trains ``budget_factor`` trials to max_resource (the whole budget, none
cut short); ``random-median`` is random search with AMT's median rule
(``early_stopping="auto"``) on the same number of trials; ``hyperband`` and
``hyperband-promotion`` spend ``budget_factor * max_resource`` steps, as does
``hyperband-bayesian`` (stopping mode with ``sampler="bayesian"``: new configurations from a GP
on the highest rung with enough values, BOHB-style). Reported per problem and
strategy (medians over seeds): final value and regret, resource spent, trials started, and
when ``random`` runs too the share of its budget a strategy needed to reach random search's
final value on the same seed (inf in the table, null in ``--out``: never reached). A run in
which no trial reached max_resource has no final value: NaN in the table, null in ``--out``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from hpo_core.benchmarks.multifidelity import (
    MF_PROBLEMS,
    budget_fraction_to_reach,
    get_mf_problem,
    simulate,
)
from hpo_core.benchmarks.multifidelity.acceptance import optimizer_factory

__all__ = ["MF_PROBLEMS", "MF_STRATEGIES", "mf_markdown", "run_mf"]

#: strategy -> (optimizer factory options, trains a fixed number of full trials)
MF_STRATEGIES: dict[str, tuple[str, dict[str, Any], bool]] = {
    "random": ("random", {}, True),
    "random-median": ("random", {"early_stopping": "auto"}, True),
    "hyperband": ("hyperband", {"mode": "stopping"}, False),
    "hyperband-promotion": ("hyperband", {"mode": "promotion"}, False),
    "hyperband-bayesian": ("hyperband", {"mode": "stopping", "sampler": "bayesian"}, False),
}


def run_mf(problems: Sequence[str], strategies: Sequence[str], seeds: Sequence[int],
           n_workers: int, budget_factor: int,
           progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """One record per (problem, strategy, seed)."""
    records = []
    for name in problems:
        problem = get_mf_problem(name)
        budget = budget_factor * problem.max_resource
        for seed in seeds:
            results = {}
            for strategy in strategies:
                base, options, fixed_trials = MF_STRATEGIES[strategy]
                result = simulate(problem, optimizer_factory(base, **options), n_workers,
                                  None if fixed_trials else budget, seed,
                                  max_trials=budget_factor if fixed_trials else None)
                results[strategy] = result
                final = result.final_best  # NaN: no trial reached max_resource
                records.append({
                    "problem": name, "strategy": strategy, "seed": seed, "budget": budget,
                    "n_workers": n_workers,
                    # JSON has no NaN: a run without a final value is null in the file.
                    "final_best": None if math.isnan(final) else final,
                    "regret": None if math.isnan(final) else problem.regret(final),
                    "total_resource": result.total_resource, "n_trials": result.n_trials,
                    "counts": result.counts, "wall_seconds": result.wall_seconds})
                if progress:
                    progress(f"{name} {strategy} seed={seed}: best {result.final_best:.4g}, "
                             f"resource {result.total_resource}")
            if "random" in results:
                for rec in records[-len(strategies):]:
                    share = budget_fraction_to_reach(results[rec["strategy"]], results["random"])
                    # JSON has no infinity: never reaching random's final is null in the file.
                    rec["fraction_to_reach_random"] = share if math.isfinite(share) else None
    return records


def _median(values: list[float | None]) -> float:
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return float(statistics.median(finite)) if finite else math.nan


def mf_markdown(records: list[dict[str, Any]]) -> str:
    """The summary table (medians over seeds)."""
    lines = ["| problem | strategy | runs | final value | regret | resource | trials | "
             "budget share to reach random's final |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["problem"], r["strategy"]), []).append(r)
    for (problem, strategy), rs in groups.items():
        share = [math.inf if r["fraction_to_reach_random"] is None
                 else r["fraction_to_reach_random"]
                 for r in rs if "fraction_to_reach_random" in r]
        share_text = f"{_median(share):.3g}" if share else "-"
        lines.append(
            f"| {problem} | {strategy} | {len(rs)} | {_median([r['final_best'] for r in rs]):.4g}"
            f" | {_median([r['regret'] for r in rs]):.3g}"
            f" | {_median([r['total_resource'] for r in rs]):.0f}"
            f" | {_median([r['n_trials'] for r in rs]):.0f} | {share_text} |")
    return "\n".join(lines) + "\n"
