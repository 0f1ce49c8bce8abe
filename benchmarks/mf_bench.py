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

Peers (:mod:`.multifidelity.peers`, extra ``mf-peers``): ``optuna-tpe-hyperband``,
``synetune-asha``, ``synetune-bohb``, run in the same simulator with the same workers and
budget. A peer whose library is missing is skipped (every seed), with the install hint.
Every simulation runs inside ``threadpoolctl.threadpool_limits(1)``.
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
from hpo_core.benchmarks.multifidelity.peers import MF_PEERS
from hpo_core.benchmarks.session import Skip

__all__ = ["MF_PROBLEMS", "MF_STRATEGIES", "main", "make_mf_optimizer", "mean_ranks",
           "merge_records", "mf_markdown", "run_mf"]

#: strategy -> (optimizer factory options, trains a fixed number of full trials)
MF_STRATEGIES: dict[str, tuple[str, dict[str, Any], bool]] = {
    "random": ("random", {}, True),
    "random-median": ("random", {"early_stopping": "auto"}, True),
    "hyperband": ("hyperband", {"mode": "stopping"}, False),
    "hyperband-promotion": ("hyperband", {"mode": "promotion"}, False),
    "hyperband-bayesian": ("hyperband", {"mode": "stopping", "sampler": "bayesian"}, False),
    # ours, as measured: model-based configurations, 30% of the brackets drawn uniformly
    "hyperband-tuned": ("hyperband", {"mode": "stopping", "sampler": "bayesian",
                                      "uniform_share": 0.3}, False),
    **{name: ("peer", {}, False) for name in MF_PEERS},
}


def make_mf_optimizer(strategy: str) -> Callable[[Any, int], Any]:
    """``make(problem, seed)`` for :func:`simulate`; a peer's raises :class:`Skip` when its
    library is not installed."""
    base, options, _ = MF_STRATEGIES[strategy]
    if base == "peer":
        return MF_PEERS[strategy][0]
    return optimizer_factory(base, **options)


def run_mf(problems: Sequence[str], strategies: Sequence[str], seeds: Sequence[int],
           n_workers: int, budget_factor: int,
           progress: Callable[[str], None] | None = None,
           skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One record per (problem, strategy, seed); a strategy that raises :class:`Skip` is
    left out of every seed of that problem and appended to ``skipped`` (with the reason)."""
    from threadpoolctl import threadpool_limits

    records = []
    for name in problems:
        problem = get_mf_problem(name)
        budget = budget_factor * problem.max_resource
        skip: dict[str, str] = {}
        for seed in seeds:
            results = {}
            for strategy in strategies:
                if strategy in skip:
                    continue
                _, _, fixed_trials = MF_STRATEGIES[strategy]
                try:
                    with threadpool_limits(1):
                        result = simulate(problem, make_mf_optimizer(strategy), n_workers,
                                          None if fixed_trials else budget, seed,
                                          max_trials=budget_factor if fixed_trials else None)
                except Skip as e:
                    skip[strategy] = str(e)
                    if skipped is not None:
                        skipped.append({"problem": name, "strategy": strategy,
                                        "seeds": list(seeds), "reason": str(e)})
                    if progress:
                        progress(f"{name} {strategy}: skipped: {e}")
                    continue
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
                for rec in records[-len(results):]:
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
    ranks = mean_ranks(records)
    if len({r["strategy"] for r in records}) > 1:
        problems = list(dict.fromkeys(r["problem"] for r in records))
        lines += ["", "Mean rank of the final regret at equal budget (1 = best; per problem "
                  "and seed, ties share the mean rank, no final value ranks last):", "",
                  "| strategy | " + " | ".join(problems) + " | all |",
                  "|---|" + "---:|" * (len(problems) + 1)]
        for strategy, per in sorted(ranks.items(), key=lambda kv: kv[1]["all"]):
            cells = [f"{per[p]:.2f}" if p in per else "-" for p in problems]
            lines.append(f"| {strategy} | " + " | ".join(cells) + f" | {per['all']:.2f} |")
    return "\n".join(lines) + "\n"


def mean_ranks(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean rank of each strategy's final regret: per (problem, seed) the strategies that ran
    are ranked (1 = lowest regret, ties share the mean rank, a run without a final value ranks
    after every run with one); ``{strategy: {problem: mean, ..., "all": mean}}``, the "all"
    mean over every (problem, seed) the strategy ran on."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["problem"], r["seed"]), []).append(r)
    per: dict[str, dict[str, list[float]]] = {}
    for (problem, _), rs in groups.items():
        keys = [math.inf if r["regret"] is None else r["regret"] for r in rs]
        for r, key in zip(rs, keys, strict=True):
            below = sum(k < key for k in keys)
            equal = sum(k == key for k in keys)
            per.setdefault(r["strategy"], {}).setdefault(problem, []).append(
                below + (equal + 1) / 2.0)
    out: dict[str, dict[str, float]] = {}
    for strategy, by_problem in per.items():
        out[strategy] = {p: statistics.fmean(v) for p, v in by_problem.items()}
        out[strategy]["all"] = statistics.fmean([x for v in by_problem.values() for x in v])
    return out


def merge_records(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The multi-fidelity records of several ``hpo bench --out`` files as one list.

    Runs are deterministic in (problem, strategy, seed), so a strategy may be run apart (with
    ``random`` again for its budget shares) and the files joined: a record present in two
    files must agree on its final value (it is kept once).

    Raises:
        HPOError: a file that is not a multi-fidelity result, a conflicting duplicate, or two
            files with different worker counts or budgets for one problem.
    """
    from hpo_core.errors import HPOError

    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for i, doc in enumerate(documents):
        if doc.get("kind") != "multifidelity":
            raise HPOError(f"input {i}: expected a multi-fidelity hpo bench result, got kind "
                           f"{doc.get('kind')!r}")
        for r in doc["multifidelity"]:
            size = (r["n_workers"], r["budget"])
            if sizes.setdefault(r["problem"], size) != size:
                raise HPOError(f"input {i}: {r['problem']} was run with (workers, budget) "
                               f"{size}, another input with {sizes[r['problem']]}")
            key = (r["problem"], r["strategy"], r["seed"])
            if key in out and out[key]["final_best"] != r["final_best"]:
                raise HPOError(f"input {i}: {key} differs from an earlier input (final value "
                               f"{r['final_best']} against {out[key]['final_best']})")
            out.setdefault(key, r)
    return list(out.values())


def main(argv: list[str] | None = None) -> int:
    """``python -m hpo_core.benchmarks.mf_bench FILE...``: the tables of the joined files."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Join multi-fidelity hpo bench results and "
                                                 "print the summary and mean-rank tables.")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    docs = []
    for path in args.files:
        with open(path) as f:
            docs.append(json.load(f))
    print(mf_markdown(merge_records(docs)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
