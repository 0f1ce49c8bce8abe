"""Multi-fidelity benchmark problems: a learning curve per configuration.

A :class:`MultiFidelityProblem` maps a configuration to a :class:`Curve`: the objective after
each step (epoch) ``1..max_resource`` and the simulated seconds one step costs. The simulator
(:mod:`hpo_core.benchmarks.multifidelity.simulator`) replays these curves.

Notation:
    r       a resource level (steps trained), ``1 <= r <= R``
    R       ``max_resource``
    w(r)    the fidelity gap ``1 - ln(r) / ln(R)``: 1 at r = 1, 0 at r = R, and it falls by the
            same amount over each rung of ``1, 3, 9, 27, 81`` (eta = 3, R = 81)
    f(x)    the base function (:mod:`hpo_core.benchmarks.problems`), reached exactly at r = R

Problems (``MF_PROBLEMS``; ``get_mf_problem(name)``):
    mlp_digits     the shipped learning-curve table (:mod:`.table`), maximize validation
                   accuracy, 81 epochs
    hartmann6_mf   Hartmann-6 with a fidelity bias and noise schedule, minimize
    branin_mf      Branin with the fidelity-dependent constants of Kandasamy et al. (2017),
                   minimize
    mfh3, mfh6     multi-fidelity Hartmann as mf-prior-bench defines them, with the
                   correlation levels ``mfh6_good``, ``_moderate``, ``_bad``, ``_terrible``
                   (:mod:`.synthetic_lc`), minimize, R = 100
    crossing_lc    noisy learning curves that cross, the slow starters ending best
                   (:mod:`.synthetic_lc`), minimize
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from hpo_core.benchmarks.multifidelity.base import Curve, MultiFidelityProblem, Params, fidelity_gap
from hpo_core.benchmarks.multifidelity.synthetic_lc import (
    CORRELATIONS,
    crossing_lc,
    hartmann_factory,
)
from hpo_core.benchmarks.multifidelity.table import mlp_digits
from hpo_core.benchmarks.problems import get_problem
from hpo_core.errors import HPOError

__all__ = [
    "MF_PROBLEMS",
    "Curve",
    "MultiFidelityProblem",
    "branin_mf",
    "fidelity_gap",
    "get_mf_problem",
    "hartmann6_mf",
]

_NOISE_ROWS = 4096


def _noise_table(seed: int, max_resource: int) -> np.ndarray:
    """Standard normals, shape ``(_NOISE_ROWS, R)``; a configuration reads row
    ``hash(values) % _NOISE_ROWS`` (float tuples hash the same in every process)."""
    return np.random.default_rng(seed).standard_normal((_NOISE_ROWS, max_resource))


# ---------------------------------------------------------------------------- hartmann6_mf

def hartmann6_mf(max_resource: int = 81, bias: float = 1.0, slope: float = 1.0,
                 noise: float = 0.1, seed: int = 0) -> MultiFidelityProblem:
    """Hartmann-6 (minimize) with a fidelity parameter.

    ``y(x, r) = f(x) + w(r) * (bias + slope * mean(x)) + w(r) * noise * eps(x, r)``

    ``f`` is the Hartmann-6 of :mod:`hpo_core.benchmarks.problems` on ``[0, 1]^6``
    (f* = -3.32237), ``w(r) = 1 - ln r / ln R``, ``eps(x, r)`` a standard normal fixed by
    ``(seed, x, r)``. Curves start ``bias`` to ``bias + slope`` above the true value and reach
    it exactly at ``r = R`` (no bias, no noise). The ``slope * mean(x)`` term makes
    configurations converge at different speeds, so low-fidelity ranks are informative but
    imperfect. One step costs ``0.5 + x1`` simulated seconds.

    Args:
        max_resource: R.
        bias, slope, noise: the schedule's constants (>= 0).
        seed: seeds the noise.
    """
    base = get_problem("hartmann6")
    names = base.space.names
    gap = fidelity_gap(max_resource)
    scaled_noise = noise * _noise_table(seed, max_resource)

    def curve(params: Params) -> Curve:
        x = tuple(float(params[n]) for n in names)
        shift = bias + slope * (sum(x) / 6.0)
        # f + w * (shift + noise * eps): w = 0 at r = R leaves f exactly
        values = base.fn(params) + gap * (shift + scaled_noise[hash(x) % _NOISE_ROWS])
        return Curve(values, 0.5 + x[0])

    return MultiFidelityProblem(
        "hartmann6_mf", base.space, max_resource, "minimize", base.f_star, curve,
        "Hartmann-6 with a log-fidelity bias and noise schedule")


# ------------------------------------------------------------------------------- branin_mf

def branin_mf(max_resource: int = 81, noise: float = 0.05, seed: int = 0
              ) -> MultiFidelityProblem:
    """Branin (minimize) with the fidelity of Kandasamy et al. (2017).

    ``y(x, z) = (x2 - b(z) x1^2 + c(z) x1 - 6)^2 + 10 (1 - t(z)) cos(x1) + 10 + w noise eps``
    with ``b(z) = 5.1 / (4 pi^2) - 0.01 (1 - z)``, ``c(z) = 5 / pi - 0.1 (1 - z)``,
    ``t(z) = 1 / (8 pi) + 0.05 (1 - z)`` and the fidelity ``z = 1 - w(r)`` ("Multi-fidelity
    Bayesian Optimisation with Continuous Approximations", ICML 2017, one fidelity dimension
    shared by the three constants). At ``r = R`` (z = 1) it is the Branin of
    :mod:`hpo_core.benchmarks.problems` (f* = 0.397887). ``eps(x, r)`` is a standard normal
    fixed by ``(seed, x, r)``; every step costs 1 simulated second.

    Args:
        max_resource: R.
        noise: the noise scale at r = 1 (it shrinks with ``w(r)``).
        seed: seeds the noise.
    """
    base = get_problem("branin")
    gap = fidelity_gap(max_resource)
    scaled_noise = noise * _noise_table(seed, max_resource)
    b0, c0 = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi

    def curve(params: Params) -> Curve:
        # Expanded in w: inner(w) = p + q w with p the base inner term and
        # q = 0.01 x1^2 - 0.1 x1; the cosine term changes by -0.5 w cos(x1). So
        # y = f + w (2 p q - 0.5 cos(x1) + q^2 w + noise eps), exactly f at w = 0.
        x1, x2 = float(params["x1"]), float(params["x2"])
        p = x2 - b0 * x1 * x1 + c0 * x1 - 6.0
        q = 0.01 * x1 * x1 - 0.1 * x1
        eps = scaled_noise[hash((x1, x2)) % _NOISE_ROWS]
        values = base.fn(params) + gap * ((q * q) * gap + (2.0 * p * q - 0.5 * math.cos(x1))
                                          + eps)
        return Curve(values, 1.0)

    return MultiFidelityProblem(
        "branin_mf", base.space, max_resource, "minimize", base.f_star, curve,
        "Branin with Kandasamy et al. (2017) fidelity constants")


#: name -> factory; each factory takes keyword options and returns a problem.
MF_PROBLEMS: dict[str, Callable[..., MultiFidelityProblem]] = {
    "mlp_digits": mlp_digits,
    "hartmann6_mf": hartmann6_mf,
    "branin_mf": branin_mf,
    **{f"mfh{d}" + (f"_{c}" if c else ""): hartmann_factory(d, c)
       for d in (3, 6) for c in CORRELATIONS},
    "crossing_lc": crossing_lc,
}


def get_mf_problem(name: str, **options: Any) -> MultiFidelityProblem:
    """The multi-fidelity problem called ``name``, built with ``options``.

    Raises:
        HPOError: unknown name.
    """
    if name not in MF_PROBLEMS:
        raise HPOError(f"unknown multi-fidelity problem {name!r}; expected one of "
                       f"{', '.join(MF_PROBLEMS)}")
    return MF_PROBLEMS[name](**options)

