"""Per-coordinate lower bounds on the GP's lengthscales (option ``min_lengthscale`` of the
Bayesian strategy; pure numpy, no model).

A lengthscale far below the spacing of the trials cannot be learned from them: the fit
reaches for it when the objective jumps (a tree's ``max_features`` is a step function with
unrelated levels), and then every point a little away from the observed ones looks
unexplored, the inside of a flat region included, so log-EI keeps sampling the incumbent's
plateau. A continuous coordinate therefore gets ``min_lengthscale`` (default
:data:`DEFAULT_MIN_LENGTHSCALE`, in unit-cube widths); an integer coordinate with ``k``
values keeps its own resolution, ``1 / k``, clipped to
``[LOWEST_LENGTHSCALE, min_lengthscale]`` (a 40-value ``n_neighbors`` keeps 0.025, a 4-value
one 0.1); a categorical coordinate keeps ``LOWEST_LENGTHSCALE`` (its Hamming distance is 0
or 1, nothing in between to resolve). ``min_lengthscale=LOWEST_LENGTHSCALE`` gives every
coordinate that floor: the model before the option existed.

Measured (benchmarks/RESULTS.md, "Real tasks", 2026-12-05): with 0.025 everywhere (the model
up to 2026-12-04) the fit on ``dt_wine`` went to 0.04 on ``max_features`` and the search
sampled the incumbent's plateau over and over; with the floor, ``hpo bench`` on the six real
tasks beats random search on all six sequentially (``dt_wine`` 0.271, p = 0.046, where the
old floor lost: 0.362) and on five of six at q=8 (``dt_wine`` p = 0.012, was 0.12;
``svm_breast`` p = 0.080 on seeds 0-9, was 0.013, the same over 30 seeds: p = 0.51 between
the two); the synthetic suite is within seed noise (levy10 and ackley10 over 30 seeds:
p = 0.54 and 0.43). Integer cells keep their own floor because one floor of 0.1 everywhere
lost four of ten runs of the 40-value ``n_neighbors`` on ``knn_breast`` at q=8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_core.errors import OptimizerError
from hpo_core.space import Categorical, Integer, SearchSpace

__all__ = ["DEFAULT_MIN_LENGTHSCALE", "LOWEST_LENGTHSCALE", "check_min_lengthscale",
           "lengthscale_floors"]

#: Floor of a continuous coordinate's lengthscale, in unit-cube widths.
DEFAULT_MIN_LENGTHSCALE = 0.1
#: The floor of categorical coordinates and the lowest one of integer coordinates.
LOWEST_LENGTHSCALE = 0.025


def check_min_lengthscale(value: Any, what: str) -> float:
    """``value`` as a float in ``(0, 1]``, or an :class:`OptimizerError` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and 0.0 < value <= 1.0):
        raise OptimizerError(f"{what}: min_lengthscale must be a number in (0, 1] (a width "
                             f"of the unit cube), got {value!r}")
    return float(value)


def lengthscale_floors(space: SearchSpace, order: Sequence[int],
                       min_lengthscale: float) -> np.ndarray:
    """``(dims,)`` floors in the GP's column order: column ``i`` is the space's coordinate
    ``order[i]`` (see the module docstring for each kind)."""
    coords = space.coordinates
    floors = np.empty(len(order))
    for col, j in enumerate(order):
        param = space[coords[j].name]
        if isinstance(param, Categorical):
            floors[col] = min(min_lengthscale, LOWEST_LENGTHSCALE)
        elif isinstance(param, Integer):
            cell = 1.0 / param.n_values
            floors[col] = min(min_lengthscale, max(LOWEST_LENGTHSCALE, cell))
        else:
            floors[col] = min_lengthscale
    return floors
