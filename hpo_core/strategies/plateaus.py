"""Plateaus: the Bayesian strategy's option ``plateaus`` and its tie helpers (pure numpy, no
model).

Real objectives are flat over wide regions (every tree with a large minimum leaf size is the
same single leaf; an error rate moves in steps of one example), and log-EI next to the
incumbent stays high however often the same value comes back: in 128 trials of a decision
tree on wine (``hpo bench`` task ``dt_wine``) 60-90 went to one value of ``max_features``
(it draws a random feature subset per value, a step the stationary kernel smooths over) and
about 100 of the 128 values repeated an earlier one. Two remedies are options, neither the
default (plain log-EI, ``plateaus="off"``), because each loses elsewhere
(benchmarks/RESULTS.md, "Real tasks"; both measured with the 0.025 lengthscale floor, before
the 0.1 floor of :mod:`hpo_core.strategies.lengthscales` fixed ``dt_wine`` without them):

- ``plateaus="margin"`` (log-EI only): a repeat is a trial that taught the model nothing.
  Counting in trial-id order from the first trial with the best value, every later trial
  whose value ties an earlier one raises log-EI's margin by :data:`MARGIN_STEP` units of the
  model's warped, standardized targets, up to :data:`MARGIN_CAP` (:func:`plateau_margin`);
  improvement counts below the incumbent minus the margin, so the small variance around the
  incumbent's plateau stops winning against the large variance of unexplored regions. A new
  best starts the count again (trials asked before it and told after it count at once).
  Smooth objectives never tie, so there it is plain log-EI suggestion for suggestion
  (tested). Sequentially it beats random search on ``dt_wine`` (median 0.280, p = 0.026)
  where plain log-EI lost, but it gives up the local refinement ``svm_breast`` needs (its
  error rate ties everywhere) and trails plain log-EI on ``rf_wine``; at q=8 its median is
  behind plain log-EI's on four of the six tasks and ahead on none.
- ``plateaus="tabu"``: observed trials whose values tie are one plateau (:func:`tie_groups`):
  each holds a ball reaching half way to its nearest tie (in the kernel's lengthscale-scaled
  distance) and the acquisition gets a soft tabu on the balls
  (:func:`hpo_core.gp.optimize.plateau_radii`). It cut the repeats of the incumbent but sent
  the search into unexplored parts of the worst plateau (up to 45 of 128 trials on
  single-leaf trees): at q=8 significantly worse than plain log-EI on ``dt_wine_noisy``
  (p = 0.014) and not significantly better anywhere; sequentially better on ``dt_wine``
  (p = 0.028).

Ties: two values tie when they agree to 12 significant digits, each rounded on its own
scale: so 1 and 1 + 1e-15 tie, 1 and 1 + 1e-9 do not, and one huge value (a sentinel 1e9 for
a broken configuration, a diverged loss) does not make distinct small values tie. NaN and
infinite values (failed trials) never tie.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["MARGIN_CAP", "MARGIN_STEP", "has_ties", "keys_repeat", "plateau_margin",
           "stagnant_repeats", "tie_groups", "tie_key", "tie_keys"]

#: Option ``plateaus="margin"``: log-EI's margin grows by this much (units of the warped,
#: standardized targets) per repeated value since the best was first seen, and stops at
#: ``MARGIN_CAP`` (where log-EI's choice is close to that of the posterior variance).
MARGIN_STEP = 0.3
MARGIN_CAP = 3.0


def tie_key(v: float) -> float:
    """``v`` rounded to 12 significant digits (equal keys: tied values); NaN where ``v`` is
    not finite."""
    return float(f"{v:.12g}") if math.isfinite(v) else math.nan


def tie_keys(y: np.ndarray) -> np.ndarray:
    """:func:`tie_key` of every value of ``y``."""
    return np.array([tie_key(v) for v in y.tolist()], dtype=np.float64)


def has_ties(y: np.ndarray) -> bool:
    """Whether two finite values of ``y`` tie (the Bayesian strategy's ``fantasy_spread="auto"``
    reads ties as flat regions of the objective)."""
    return keys_repeat(tie_keys(y).tolist())


def keys_repeat(keys: Iterable[float]) -> bool:
    """Whether two of ``keys`` (:func:`tie_key` values) are equal; NaN keys never are."""
    seen: set[float] = set()
    for k in keys:
        if k == k:  # not NaN
            if k in seen:
                return True
            seen.add(k)
    return False


def stagnant_repeats(y: np.ndarray) -> int:
    """How many observed values after the first observation of the best value tie an earlier
    one: trials that found nothing new. ``y``: values in trial order (the Bayesian strategy
    passes trial-id order, not completion order), lower is better; non-finite ones (failed
    trials) are skipped."""
    keys = tie_keys(y)
    keys = keys[np.isfinite(keys)]
    if keys.size < 2:
        return 0
    first_best = int(np.argmin(keys))  # argmin: the first occurrence
    seen = set(keys[:first_best + 1].tolist())
    repeats = 0
    for k in keys[first_best + 1:].tolist():
        repeats += k in seen
        seen.add(k)
    return repeats


def tie_groups(y: np.ndarray, size: int) -> np.ndarray:
    """``(size,)`` int64: the same id ``>= 0`` on observed rows whose values ``y`` tie (see the
    module docstring), -1 on the others and on failed, pending and padded rows."""
    groups = np.full(size, -1, dtype=np.int64)
    keys = tie_keys(y)
    ok = np.isfinite(keys)
    if ok.sum() < 2:
        return groups
    _, inverse, counts = np.unique(keys[ok], return_inverse=True, return_counts=True)
    idx = np.nonzero(ok)[0]
    tied = counts[inverse] >= 2
    groups[idx[tied]] = inverse[tied]
    return groups


def plateau_margin(y: np.ndarray) -> float:
    """log-EI's margin under ``plateaus="margin"``: ``MARGIN_STEP`` per
    :func:`stagnant_repeats` of ``y`` (trial-id order, lower is better), at most
    ``MARGIN_CAP``; a Python float (the precompiled programs take a weakly typed scalar)."""
    return float(min(MARGIN_CAP, MARGIN_STEP * stagnant_repeats(y)))
