"""The multi-fidelity acceptance figures, measured with the real :class:`hpo_core.Optimizer`.

Run (from the repository root)::

    .venv/bin/python -m hpo_core.benchmarks.multifidelity.acceptance \\
        --problem mlp_digits --seeds 10 --workers 8 --budget-factor 40

Figures (medians over seeds; each seed is the optimizer seed of every run it compares):

hyperband_vs_random
    Budget ``budget_factor * max_resource`` steps for both. Random search trains
    ``budget_factor`` trials to ``max_resource`` (the whole budget, none cut short);
    Hyperband (``min_resource=1, eta=3``, the given ``mode``) stops or pauses. The figure
    is :func:`~.compare.budget_fraction_to_reach`: the share of the budget Hyperband spent
    before its best final value reached random search's best final value (target <= 0.2;
    ``inf`` when it never did).
median_rule_vs_off
    Random search with ``early_stopping="auto"`` against ``"off"`` on the same
    ``budget_factor`` trials (the same seed gives the same configurations): the share of
    resource saved (target >= 0.3) and the ratio of final regrets (target <= 1.1).
speed
    Wall-clock seconds of a simulated ``n_trials``-trial asynchronous Hyperband run on a cheap
    synthetic problem through the public API (target < 10 s for 10^5 trials), reporting every
    step and reporting at the rungs only (the issue allows either; decisions are the same),
    and, as the machine's speed in the same run, the simulator alone with an idle optimizer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from hpo_core import Optimizer
from hpo_core.benchmarks.multifidelity.bench_simulator import _run as idle_run
from hpo_core.benchmarks.multifidelity.compare import (
    budget_fraction_to_reach,
    regret_ratio,
    resource_saving,
)
from hpo_core.benchmarks.multifidelity.problems import MultiFidelityProblem, get_mf_problem
from hpo_core.benchmarks.multifidelity.simulator import MultiFidelityOptimizer, simulate

__all__ = ["hyperband_vs_random", "main", "median_rule_vs_off", "optimizer_factory", "speed"]

Factory = Callable[[MultiFidelityProblem, int], MultiFidelityOptimizer]


def optimizer_factory(strategy: str = "random", **options: Any) -> Factory:
    """A ``make_optimizer`` for :func:`simulate` that builds :class:`hpo_core.Optimizer`.

    The objective comes from the problem; for ``strategy="hyperband"`` the options default to
    ``min_resource=1, max_resource=problem.max_resource, eta=3``.
    """
    def make(problem: MultiFidelityProblem, seed: int) -> MultiFidelityOptimizer:
        opts = dict(options)
        if strategy == "hyperband":
            opts.setdefault("min_resource", 1)
            opts.setdefault("max_resource", problem.max_resource)
            opts.setdefault("eta", 3)
        return Optimizer(problem.space, strategy=strategy, objective=problem.objective,
                         seed=seed, **opts)  # type: ignore[return-value]
    return make


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def hyperband_vs_random(problem: MultiFidelityProblem, seeds: Iterable[int], n_workers: int = 8,
                        budget_factor: int = 40, mode: str = "stopping") -> dict[str, Any]:
    """Budget share Hyperband needs to reach random search's final value, per seed."""
    budget = budget_factor * problem.max_resource
    rows = []
    for seed in seeds:
        # exactly budget_factor full trainings: the whole budget, no trial cut short
        rnd = simulate(problem, optimizer_factory("random"), n_workers, None, seed,
                       max_trials=budget_factor)
        hb = simulate(problem, optimizer_factory("hyperband", mode=mode), n_workers, budget,
                      seed)
        rows.append({"seed": seed, "fraction": budget_fraction_to_reach(hb, rnd),
                     "random_best": rnd.final_best, "hyperband_best": hb.final_best,
                     "random_trials": rnd.n_trials, "hyperband_trials": hb.n_trials,
                     "hyperband_counts": hb.counts, "wall_seconds": rnd.wall_seconds
                     + hb.wall_seconds})
    return {"budget": budget, "mode": mode, "runs": rows,
            "median_fraction": _median([r["fraction"] for r in rows])}


def median_rule_vs_off(problem: MultiFidelityProblem, seeds: Iterable[int], n_workers: int = 8,
                       n_trials: int = 40, strategy: str = "random") -> dict[str, Any]:
    """Resource saved and regret ratio of ``early_stopping="auto"`` on the same trials."""
    rows = []
    for seed in seeds:
        off = simulate(problem, optimizer_factory(strategy), n_workers, None, seed,
                       max_trials=n_trials)
        auto = simulate(problem, optimizer_factory(strategy, early_stopping="auto"),
                        n_workers, None, seed, max_trials=n_trials)
        rows.append({"seed": seed, "saving": resource_saving(auto, off),
                     "regret_ratio": regret_ratio(problem, auto, off),
                     "regret_off": problem.regret(off.final_best),
                     "regret_auto": problem.regret(auto.final_best),
                     "stopped": auto.counts["stopped"]})
    return {"n_trials": n_trials, "strategy": strategy, "runs": rows,
            "median_saving": _median([r["saving"] for r in rows]),
            "median_regret_ratio": _median([r["regret_ratio"] for r in rows])}


def speed(n_trials: int = 100_000, problem: str = "branin_mf", n_workers: int = 8,
          mode: str = "stopping") -> dict[str, Any]:
    """Wall time of an ``n_trials`` simulated Hyperband run through the public API, with a
    report after every step and with reports at the rungs ``1, 3, 9, ...`` only."""
    prob = get_mf_problem(problem)
    rungs = [3**k for k in range(64) if 3**k <= prob.max_resource]
    out: dict[str, Any] = {"problem": problem, "n_workers": n_workers, "mode": mode}
    for label, steps in (("every_step", None), ("rungs_only", rungs)):
        t0 = time.perf_counter()
        result = simulate(prob, optimizer_factory("hyperband", mode=mode), n_workers, None, 0,
                          max_trials=n_trials, report_steps=steps)
        out[label] = {"n_trials": result.n_trials, "n_reports": result.n_reports,
                      "total_resource": result.total_resource, "counts": result.counts,
                      "wall_seconds": round(time.perf_counter() - t0, 2)}
    # the machine's speed in the same run: the simulator alone, with an idle optimizer
    t0 = time.perf_counter()
    idle = idle_run(n_trials, n_workers)
    out["simulator_only"] = {"n_trials": idle.n_trials, "n_reports": idle.n_reports,
                             "wall_seconds": round(time.perf_counter() - t0, 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the acceptance figures as JSON (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="mlp_digits")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--budget-factor", type=int, default=40)
    parser.add_argument("--mode", default="stopping", choices=["stopping", "promotion"])
    parser.add_argument("--speed-trials", type=int, default=100_000, help="0 skips it")
    parser.add_argument("--only", choices=["hyperband", "median", "speed"], default=None)
    args = parser.parse_args(argv)
    problem = get_mf_problem(args.problem)
    seeds = range(args.seeds)
    out: dict[str, Any] = {"problem": problem.name, "optimum": problem.optimum}
    if args.only in (None, "hyperband"):
        out["hyperband_vs_random"] = hyperband_vs_random(
            problem, seeds, args.workers, args.budget_factor, args.mode)
    if args.only in (None, "median"):
        out["median_rule_vs_off"] = median_rule_vs_off(
            problem, seeds, args.workers, args.budget_factor)
    if args.only in (None, "speed") and args.speed_trials:
        out["speed"] = speed(args.speed_trials, n_workers=args.workers, mode=args.mode)
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
