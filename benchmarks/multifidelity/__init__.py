"""Multi-fidelity benchmarks: learning-curve problems and a simulated-time replay.

    from hpo_core.benchmarks.multifidelity import get_mf_problem, simulate
    from hpo_core.benchmarks.multifidelity.acceptance import optimizer_factory

    problem = get_mf_problem("mlp_digits")            # or "hartmann6_mf", "branin_mf"
    result = simulate(problem, optimizer_factory("hyperband"), n_workers=8,
                      budget=40 * problem.max_resource, seed=0)
    result.final_best, result.total_resource, result.counts

Modules: ``problems`` (the problem type and synthetic functions), ``table`` (the shipped
MLP-on-digits learning curves), ``simulator`` (``simulate`` -> ``SimResult``), ``compare``
(resource to reach a target, savings, regret ratios), ``acceptance`` (the issue's figures
with the real Optimizer), ``make_learning_curves`` (the script that made the table).
"""

from __future__ import annotations

from hpo_core.benchmarks.multifidelity.compare import (
    budget_fraction_to_reach,
    regret_ratio,
    resource_saving,
    resource_to_reach,
)
from hpo_core.benchmarks.multifidelity.problems import (
    MF_PROBLEMS,
    Curve,
    MultiFidelityProblem,
    get_mf_problem,
)
from hpo_core.benchmarks.multifidelity.simulator import SimResult, SimulationError, simulate

__all__ = [
    "MF_PROBLEMS",
    "Curve",
    "MultiFidelityProblem",
    "SimResult",
    "SimulationError",
    "budget_fraction_to_reach",
    "get_mf_problem",
    "regret_ratio",
    "resource_saving",
    "resource_to_reach",
    "simulate",
]
