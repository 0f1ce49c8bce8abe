"""Compare simulated runs: resource to reach a target, savings and regret ratios.

The acceptance metrics of the multi-fidelity issue:

* ``budget_fraction_to_reach(a, b)``: the resource run ``a`` spent before its best final value
  first reached run ``b``'s best final value, as a fraction of ``b``'s budget (``b``'s total
  resource when it had no budget). Hyperband against random search must be <= 1/5.
* ``resource_saving(a, b)``: ``1 - total(a) / total(b)``; early stopping against none, on the
  same trials (``max_trials``), must be >= 0.3.
* ``regret_ratio(problem, a, b)``: ``regret(a) / regret(b)`` of the best final values; must be
  <= 1.1 for the same pair.
"""

from __future__ import annotations

import math

import numpy as np

from hpo_core.benchmarks.multifidelity.problems import MultiFidelityProblem
from hpo_core.benchmarks.multifidelity.simulator import SimResult

__all__ = ["best_at", "budget_fraction_to_reach", "regret_ratio", "resource_saving",
           "resource_to_reach", "spent_at", "time_to_reach"]


def _reached(result: SimResult, target: float) -> np.ndarray:
    """Indices of the final values whose best-so-far reaches ``target``."""
    best = result.best_value
    hit = best >= target if result.objective == "maximize" else best <= target
    return np.flatnonzero(hit)


def resource_to_reach(result: SimResult, target: float) -> float:
    """Steps completed when the run's best final value first reached ``target``; inf if never
    (and for a NaN target)."""
    idx = _reached(result, target)
    return float(result.final_resource[idx[0]]) if len(idx) else math.inf


def time_to_reach(result: SimResult, target: float) -> float:
    """Simulated time when the best final value first reached ``target``; inf if never."""
    idx = _reached(result, target)
    return float(result.final_time[idx[0]]) if len(idx) else math.inf


def best_at(result: SimResult, resource: float) -> float:
    """The best final value known once ``resource`` steps were completed; NaN before any."""
    k = int(np.searchsorted(result.final_resource, resource, side="right"))
    return float(result.best_value[k - 1]) if k else math.nan


def spent_at(result: SimResult, t: float) -> int:
    """Steps completed by simulated time ``t`` (the resource-over-time curve)."""
    seg = result.segments
    n_steps = seg.last_step - seg.first_step + 1
    elapsed = np.floor((t - seg.start) / seg.step_cost + 1e-9)
    return int(np.clip(elapsed, 0, n_steps).sum())


def budget_fraction_to_reach(a: SimResult, b: SimResult) -> float:
    """Resource ``a`` needed to reach ``b``'s best final value, over ``b``'s budget.

    Returns:
        A fraction (inf when ``a`` never reached it, NaN when ``b`` has no final value).
    """
    target = b.final_best
    if math.isnan(target):
        return math.nan
    denominator = b.budget if b.budget is not None else b.total_resource
    return resource_to_reach(a, target) / denominator


def resource_saving(a: SimResult, b: SimResult) -> float:
    """``1 - a.total_resource / b.total_resource``: the share of ``b``'s resource ``a`` saved."""
    return 1.0 - a.total_resource / b.total_resource


def regret_ratio(problem: MultiFidelityProblem, a: SimResult, b: SimResult) -> float:
    """``regret(a) / regret(b)`` of the runs' best final values (1 when both are 0; inf when
    only ``b``'s is 0; NaN when either run has no final value)."""
    if math.isnan(a.final_best) or math.isnan(b.final_best):
        return math.nan
    ra, rb = problem.regret(a.final_best), problem.regret(b.final_best)
    if rb == 0.0:
        return 1.0 if ra == 0.0 else math.inf
    return ra / rb
