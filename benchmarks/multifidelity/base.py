"""The shape of a multi-fidelity problem: a configuration's :class:`Curve` and the
:class:`MultiFidelityProblem` that maps configurations to curves (notation in
:mod:`.problems`). Both the synthetic problems and the shipped table build on this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from hpo_core.errors import HPOError
from hpo_core.space import SearchSpace

__all__ = ["Curve", "MultiFidelityProblem", "Params", "fidelity_gap"]

Params = Mapping[str, Any]


class Curve(NamedTuple):
    """One configuration's learning curve.

    Attributes:
        values: shape ``(R,)``; ``values[r - 1]`` is the objective after ``r`` steps.
        step_cost: simulated seconds one step costs (> 0).
    """

    values: np.ndarray
    step_cost: float


@dataclass(frozen=True)
class MultiFidelityProblem:
    """A problem whose objective can be read after every step of training.

    Attributes:
        name: the registry name.
        space: the search space a strategy searches.
        max_resource: R, the number of steps of a full training run.
        objective: ``"minimize"`` or ``"maximize"`` (what the optimizer must be told).
        optimum: the best value at ``max_resource`` over the space (the table: over its
            configurations); regret is measured against it.
        curve_fn: ``curve_fn(params) -> Curve``.
        description: one line for reports.
    """

    name: str
    space: SearchSpace = field(repr=False)
    max_resource: int
    objective: str
    optimum: float
    curve_fn: Callable[[Params], Curve] = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        if self.objective not in ("minimize", "maximize"):
            raise HPOError(f"problem {self.name!r}: objective must be 'minimize' or "
                           f"'maximize', got {self.objective!r}")
        if self.max_resource < 1:
            raise HPOError(f"problem {self.name!r}: max_resource must be >= 1, got "
                           f"{self.max_resource}")

    @property
    def maximize(self) -> bool:
        """True when larger values are better."""
        return self.objective == "maximize"

    def curve(self, params: Params) -> Curve:
        """The learning curve of ``params`` (shape ``(max_resource,)`` values)."""
        return self.curve_fn(params)

    def regret(self, value: float) -> float:
        """Simple regret of a final value: ``|optimum - value|`` in the worse direction, >= 0."""
        gap = self.optimum - value if self.maximize else value - self.optimum
        return max(float(gap), 0.0)


def fidelity_gap(max_resource: int) -> np.ndarray:
    """``w(r) = 1 - ln(r) / ln(R)`` for ``r = 1..R``, shape ``(R,)``; all zeros when R = 1."""
    if max_resource == 1:
        return np.zeros(1)
    r = np.arange(1, max_resource + 1, dtype=np.float64)
    return 1.0 - np.log(r) / math.log(max_resource)
