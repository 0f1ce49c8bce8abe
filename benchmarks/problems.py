"""Benchmark problems with known optima: the functions ``hpo bench`` minimizes.

Each problem is a frozen :class:`Problem`: a name, a :class:`~hpo_core.space.SearchSpace` (the
box), the objective ``fn(params) -> float`` (to minimize), the optimal value ``f_star`` and one
known minimizer ``argmin``. Every objective is written here from its mathematical definition;
its docstring gives the formula, the box, ``f*`` and the minimizer with a reference.

Notation:
    x       the point, ``x = (x1, ..., xd)`` with 1-based names as in the literature
    d       the number of dimensions
    f*      the global minimum value over the box; simple regret is ``best - f*``

Problems (``PROBLEMS``, in the order ``--problems all`` runs them):
    branin       2-D, continuous
    hartmann6    6-D, continuous
    ackley10     10-D, continuous
    levy10       10-D, continuous
    rosenbrock8  8-D, continuous
    mixed        log-scaled continuous, linear continuous, integer, log-scaled integer and
                 categorical parameters; f* = 0 exactly
    discrete     integers and categoricals only (360 points, so grid applies); f* = 1 exactly
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hpo_core.errors import HPOError
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace

__all__ = ["PROBLEMS", "Problem", "get_problem"]

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """A minimization problem with a known optimum.

    Attributes:
        name: the name ``hpo bench --problems`` takes.
        space: the search space (the documented box).
        fn: the objective, ``fn(params) -> float``; lower is better.
        f_star: the global minimum of ``fn`` over ``space``.
        argmin: one point of ``space`` where ``fn`` attains ``f_star`` (to floating-point
            accuracy where the true minimizer is irrational); empty when unknown.
        f_star_known: False for a task whose optimum is unknown (``f_star`` is then a lower
            bound, and regret is measured from it; see :mod:`hpo_core.benchmarks.tasks`).
        requires: modules the objective imports; the runner skips the problem, naming the
            missing ones, when one is not installed.
    """

    name: str
    space: SearchSpace = field(repr=False)
    fn: Callable[[Params], float] = field(repr=False)
    f_star: float
    argmin: Mapping[str, Any] = field(repr=False)
    f_star_known: bool = True
    requires: tuple[str, ...] = ()

    def __call__(self, params: Params) -> float:
        """The objective value at ``params``."""
        return float(self.fn(params))

    @property
    def dims(self) -> int:
        """Number of free parameters (unit-cube coordinates)."""
        return self.space.dims

    @property
    def description(self) -> str:
        """The first line of the objective's docstring."""
        return (self.fn.__doc__ or self.name).strip().splitlines()[0]


def _box(d: int, lo: float, hi: float) -> SearchSpace:
    return SearchSpace({f"x{i}": Continuous(lo, hi, "linear") for i in range(1, d + 1)})


def _vector(params: Params, d: int) -> list[float]:
    return [float(params[f"x{i}"]) for i in range(1, d + 1)]


def _point(values: list[float]) -> dict[str, float]:
    return {f"x{i}": v for i, v in enumerate(values, start=1)}


# ------------------------------------------------------------------------------------- branin

def branin(params: Params) -> float:
    """Branin (Branin-Hoo), 2-D: x1 in [-5, 10], x2 in [0, 15]; f* = 0.397887357729738.

    f(x) = a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s with a = 1, b = 5.1 / (4 pi^2),
    c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi). Three global minimizers: (-pi, 12.275),
    (pi, 2.275) and (3 pi, 2.475), where the square vanishes and cos(x1) = -1, so
    f* = s t = 10 / (8 pi). Box and constants as in Dixon & Szegő (1978), "The global
    optimization problem: an introduction".
    """
    x1, x2 = float(params["x1"]), float(params["x2"])
    b, c, t = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x1) + 10.0


# ---------------------------------------------------------------------------------- hartmann6

_H6_ALPHA = (1.0, 1.2, 3.0, 3.2)
_H6_A = (
    (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
    (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
    (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
    (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
)
_H6_P = tuple(tuple(v * 1e-4 for v in row) for row in (
    (1312, 1696, 5569, 124, 8283, 5886),
    (2329, 4135, 8307, 3736, 1004, 9991),
    (2348, 1451, 3522, 2883, 3047, 6650),
    (4047, 8828, 8732, 5743, 1091, 381),
))
#: The minimizer refined to float64 accuracy (published to 6 digits as (0.20169, 0.150011,
#: 0.476874, 0.275332, 0.311652, 0.6573)); f there is -3.3223680114155147.
_H6_ARGMIN = (0.20168950909365738, 0.15001069354111363, 0.47687397292509975,
              0.2753324275220781, 0.31165161723956825, 0.65730053455367)


def hartmann6(params: Params) -> float:
    """Hartmann 6-D: x in [0, 1]^6; f* = -3.32236801141551.

    f(x) = -sum_{i=1..4} alpha_i exp(-sum_{j=1..6} A_ij (x_j - P_ij)^2) with the constants
    alpha, A, P of Hartmann (1973) as tabulated by Dixon & Szegő (1978). The minimizer is
    approximately (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
    """
    x = _vector(params, 6)
    total = 0.0
    for alpha, a_row, p_row in zip(_H6_ALPHA, _H6_A, _H6_P, strict=True):
        inner = sum(a * (xj - p) ** 2 for a, xj, p in zip(a_row, x, p_row, strict=True))
        total += alpha * math.exp(-inner)
    return -total


# ------------------------------------------------------------------------------------- ackley

def ackley(params: Params) -> float:
    """Ackley 10-D: x in [-32.768, 32.768]^10; f* = 0 at x = 0.

    f(x) = -a exp(-b sqrt(mean_i x_i^2)) - exp(mean_i cos(c x_i)) + a + e with a = 20, b = 0.2,
    c = 2 pi (Ackley 1987; the box is the usual one, e.g. Surjanovic & Bingham's
    "Virtual Library of Simulation Experiments").
    """
    x = _vector(params, 10)
    d = len(x)
    rms = math.sqrt(sum(v * v for v in x) / d)
    mean_cos = sum(math.cos(2.0 * math.pi * v) for v in x) / d
    return -20.0 * math.exp(-0.2 * rms) - math.exp(mean_cos) + 20.0 + math.e


# --------------------------------------------------------------------------------------- levy

def levy(params: Params) -> float:
    """Levy 10-D: x in [-10, 10]^10; f* = 0 at x = (1, ..., 1).

    With w_i = 1 + (x_i - 1) / 4: f(x) = sin^2(pi w_1)
    + sum_{i=1..d-1} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1)) + (w_d - 1)^2 (1 + sin^2(2 pi w_d)).
    Every term is >= 0 and all vanish at w = 1 (Levy & Montalvo 1985; box as in Surjanovic &
    Bingham's "Virtual Library of Simulation Experiments").
    """
    w = [1.0 + (v - 1.0) / 4.0 for v in _vector(params, 10)]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1.0) ** 2 * (1.0 + 10.0 * math.sin(math.pi * wi + 1.0) ** 2)
    return total + (w[-1] - 1.0) ** 2 * (1.0 + math.sin(2.0 * math.pi * w[-1]) ** 2)


# --------------------------------------------------------------------------------- rosenbrock

def rosenbrock(params: Params) -> float:
    """Rosenbrock 8-D: x in [-5, 10]^8; f* = 0 at x = (1, ..., 1).

    f(x) = sum_{i=1..d-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, a sum of squares that vanishes
    only at x = 1 (Rosenbrock 1960; box as in Surjanovic & Bingham's "Virtual Library of
    Simulation Experiments").
    """
    x = _vector(params, 8)
    return sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2 for a, b in pairwise(x))


# -------------------------------------------------------------------------------------- mixed

#: optimizer -> (best log10(lr) for it, penalty for choosing it)
_MIXED_OPTIMIZERS = {"sgd": (-1.0, 0.3), "rmsprop": (-2.0, 0.1), "adam": (-3.0, 0.0)}


def mixed(params: Params) -> float:
    """Mixed 5-D: log-scaled continuous, continuous, integer, log-scaled integer, categorical.

    Box: lr in [1e-5, 1] (log), dropout in [0, 0.5] (linear), layers in {1..8} (linear),
    batch_size in {8..1024} (log), optimizer in {"sgd", "rmsprop", "adam"}.

    f = (log10(lr) - t[optimizer])^2 + p[optimizer] + 4 (dropout - 0.05 layers)^2
        + 0.05 (layers - 4)^2 + 0.1 (log2(batch_size) - 6)^2
    with t = {sgd: -1, rmsprop: -2, adam: -3} and p = {sgd: 0.3, rmsprop: 0.1, adam: 0}.
    Every term is >= 0, so f >= 0; all vanish at lr = 1e-3, dropout = 0.2, layers = 4,
    batch_size = 64, optimizer = "adam" (log10(1e-3) = -3 and log2(64) = 6 exactly in
    float64), so f* = 0 exactly. Made up for this project: it couples the log-scaled lr to the
    categorical and the dropout to the integer.
    """
    target, penalty = _MIXED_OPTIMIZERS[params["optimizer"]]
    layers = int(params["layers"])
    return ((math.log10(float(params["lr"])) - target) ** 2 + penalty
            + 4.0 * (float(params["dropout"]) - 0.05 * layers) ** 2
            + 0.05 * (layers - 4) ** 2
            + 0.1 * (math.log2(int(params["batch_size"])) - 6.0) ** 2)


# ----------------------------------------------------------------------------------- discrete

_DISCRETE_ACTIVATION = {"relu": 0.2, "tanh": 0.5, "gelu": 0.0}


def discrete(params: Params) -> float:
    """Discrete 4-D (360 points): integers and categoricals only; f* = 1 exactly.

    Box: units in {1..12}, depth in {1..5}, activation in {"relu", "tanh", "gelu"},
    batch_norm in {True, False}.

    f = 1 + 0.1 (units - 2 depth)^2 + 0.25 |depth - 3| + c[activation] + (0 if batch_norm
    else 0.3) with c = {relu: 0.2, tanh: 0.5, gelu: 0}. Every term after the 1 is >= 0 and all
    vanish only at units = 6, depth = 3, activation = "gelu", batch_norm = True, so f* = 1
    (the offset makes regret = best - f* differ from best). Made up for this project.
    """
    units, depth = int(params["units"]), int(params["depth"])
    return (1.0 + 0.1 * (units - 2 * depth) ** 2 + 0.25 * abs(depth - 3)
            + _DISCRETE_ACTIVATION[params["activation"]]
            + (0.0 if params["batch_norm"] else 0.3))


# ----------------------------------------------------------------------------------- registry

def _build() -> dict[str, Problem]:
    problems = [
        Problem("branin", SearchSpace({"x1": Continuous(-5.0, 10.0, "linear"),
                                       "x2": Continuous(0.0, 15.0, "linear")}),
                branin, 0.397887357729738, {"x1": -math.pi, "x2": 12.275}),
        Problem("hartmann6", _box(6, 0.0, 1.0), hartmann6, -3.32236801141551,
                _point(list(_H6_ARGMIN))),
        Problem("ackley10", _box(10, -32.768, 32.768), ackley, 0.0, _point([0.0] * 10)),
        Problem("levy10", _box(10, -10.0, 10.0), levy, 0.0, _point([1.0] * 10)),
        Problem("rosenbrock8", _box(8, -5.0, 10.0), rosenbrock, 0.0, _point([1.0] * 8)),
        Problem("mixed", SearchSpace({
            "lr": Continuous(1e-5, 1.0, "log"),
            "dropout": Continuous(0.0, 0.5, "linear"),
            "layers": Integer(1, 8, "linear"),
            "batch_size": Integer(8, 1024, "log"),
            "optimizer": Categorical(tuple(_MIXED_OPTIMIZERS)),
        }), mixed, 0.0,
            {"lr": 1e-3, "dropout": 0.2, "layers": 4, "batch_size": 64, "optimizer": "adam"}),
        Problem("discrete", SearchSpace({
            "units": Integer(1, 12, "linear"),
            "depth": Integer(1, 5, "linear"),
            "activation": Categorical(tuple(_DISCRETE_ACTIVATION)),
            "batch_norm": Categorical((True, False)),
        }), discrete, 1.0, {"units": 6, "depth": 3, "activation": "gelu", "batch_norm": True}),
    ]
    return {p.name: p for p in problems}


#: Every problem by name, in the order ``--problems all`` runs them.
PROBLEMS: dict[str, Problem] = _build()


def get_problem(name: str) -> Problem:
    """The problem called ``name``.

    Raises:
        HPOError: no such problem (the message lists the valid names).
    """
    if name not in PROBLEMS:
        raise HPOError(f"unknown problem {name!r}; expected one of {', '.join(PROBLEMS)}")
    return PROBLEMS[name]
