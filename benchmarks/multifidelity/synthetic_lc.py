"""More multi-fidelity problems with known structure: ``mfh3`` / ``mfh6`` and ``crossing_lc``.

Notation (as in :mod:`.problems`): r a resource level (step), R = max_resource,
``w(r) = 1 - ln r / ln R`` the fidelity gap (1 at r = 1, 0 at r = R).

mfh3, mfh6 (and ``_good``, ``_moderate``, ``_bad``, ``_terrible``)
    The multi-fidelity Hartmann functions as mf-prior-bench defines them (written here from
    the published formulas; mf-prior-bench itself pins numpy < 2, which jax here cannot use):
    fidelity z = r in ``1..100``, and with ``q_i(x) = sum_j A_ij (x_j - P_ij)^2``::

        y(x, r) = -sum_i (alpha_i - bias * w(r)) exp(-q_i(x)) + noise * w(r) * |eps(x, r)|

    ``alpha, A, P`` the Hartmann-3 / Hartmann-6 constants (Dixon & Szegő 1978), ``eps`` a
    standard normal fixed by ``(seed, x, r)``. At r = R it is the plain Hartmann function
    (f* = -3.86278 and -3.32237). The bias flattens the function at low fidelity (with a
    large bias the low-fidelity landscape is inverted) and the noise only adds (it is
    ``|eps|``), both shrinking with ``w``. The correlation levels are mf-prior-bench's
    presets of ``(bias, noise)``: plain ``(0.5, 0.1)``, good ``(2.5, 2.0)``, moderate
    ``(3.0, 3.0)``, bad ``(3.5, 4.0)``, terrible ``(4.0, 5.0)``. mf-prior-bench charges
    ``0.05 + 0.95 (z / 100)^2`` per query at fidelity z; here a trial trains step by step
    (the simulator replays curves), so every step costs one simulated second.

crossing_lc
    A noisy learning-curve family whose curves cross: the configurations that end best start
    slowest, so rungs at small r rank them wrongly. Our own definition, on ``[0, 1]^4``::

        F(x)   = 0.05 + 0.6 (x1 - 0.25)^2 + 0.3 (x2 - 0.7)^2 + 0.3 (x3 - 0.4)^2
                 + 0.15 (x4 - 0.5)^2 + 0.2 (x1 - 0.25)(x2 - 0.7)
        tau(x) = tau_min (tau_max / tau_min)^(1 - x1)         (x1 acts as a learning rate)
        s(r)   = (1 - exp(-r / tau)) / (1 - exp(-R / tau))     (progress, s(R) = 1)
        y(x, r) = F(x) + (1 - s(r)) + noise * w(r) * eps(x, r)

    so every curve starts near ``F + 1`` and ends at ``F`` exactly (f* = 0.05 at
    ``(0.25, 0.7, 0.4, 0.5)``); small x1 converges slowly (tau = 25.6 at the optimum's
    x1 = 0.25 with the defaults ``tau_min = 2, tau_max = 60``) and a fast configuration
    (x1 near 1, final ~0.39) leads the optimum's curve until r ~ 27. The quadratic form is
    positive definite (the cross term is smaller than ``2 sqrt(0.6 * 0.3)``). One step
    costs ``0.5 + x4`` simulated seconds. Family options: ``tau_min, tau_max, noise, seed``
    and ``max_resource``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_core.benchmarks.multifidelity.base import Curve, MultiFidelityProblem, Params, fidelity_gap
from hpo_core.errors import HPOError
from hpo_core.space import Continuous, SearchSpace

__all__ = ["CORRELATIONS", "HARTMANN", "crossing_lc", "crossing_lc_final", "mf_hartmann"]

_NOISE_ROWS = 4096

#: mf-prior-bench's (bias, noise) presets by correlation level ("" is the plain benchmark).
CORRELATIONS: dict[str, tuple[float, float]] = {
    "": (0.5, 0.1), "good": (2.5, 2.0), "moderate": (3.0, 3.0), "bad": (3.5, 4.0),
    "terrible": (4.0, 5.0)}

_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
#: dims -> (A (4, d), P (4, d), the published minimizer, f*).
HARTMANN: dict[int, tuple[np.ndarray, np.ndarray, tuple[float, ...], float]] = {
    3: (np.array([[3.0, 10.0, 30.0], [0.1, 10.0, 35.0], [3.0, 10.0, 30.0],
                  [0.1, 10.0, 35.0]]),
        1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547],
                         [381, 5743, 8828]], dtype=np.float64),
        (0.114614, 0.555649, 0.852547), -3.86278214782076),
    6: (np.array([[10.0, 3.0, 17.0, 3.5, 1.7, 8.0], [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
                  [3.0, 3.5, 1.7, 10.0, 17.0, 8.0], [17.0, 8.0, 0.05, 10.0, 0.1, 14.0]]),
        1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]], dtype=np.float64),
        (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573), -3.32236801141551),
}


def _box(d: int) -> SearchSpace:
    return SearchSpace({f"x{j + 1}": Continuous(0.0, 1.0, "linear") for j in range(d)})


def _noise(seed: int, max_resource: int) -> np.ndarray:
    """Standard normals ``(_NOISE_ROWS, R)``; a configuration reads row ``hash(x) % rows``."""
    return np.random.default_rng(seed).standard_normal((_NOISE_ROWS, max_resource))


def mf_hartmann(dims: int = 6, correlation: str = "", seed: int = 0,
                max_resource: int = 100) -> MultiFidelityProblem:
    """``mfh3`` / ``mfh6`` at a correlation level (module docstring), minimize.

    Args:
        dims: 3 or 6.
        correlation: ``""`` (plain), ``"good"``, ``"moderate"``, ``"bad"`` or ``"terrible"``.
        seed: seeds the noise.
        max_resource: R (mf-prior-bench: 100).
    """
    if dims not in HARTMANN:
        raise HPOError(f"mf_hartmann: dims must be 3 or 6, got {dims!r}")
    if correlation not in CORRELATIONS:
        raise HPOError(f"mf_hartmann: correlation must be one of "
                       f"{sorted(CORRELATIONS)}, got {correlation!r}")
    a, p, _, f_star = HARTMANN[dims]
    bias, noise = CORRELATIONS[correlation]
    gap = fidelity_gap(max_resource)                       # (R,)
    scaled = noise * np.abs(_noise(seed, max_resource))    # (rows, R)
    names = [f"x{j + 1}" for j in range(dims)]

    def curve(params: Params) -> Curve:
        x = tuple(float(params[n]) for n in names)
        e = np.exp(-np.sum(a * (np.asarray(x) - p) ** 2, axis=1))  # (4,)
        # -(alpha - bias w) . e + noise w |eps| = f + w (bias sum(e) + noise |eps|)
        values = -float(_ALPHA @ e) + gap * (bias * float(e.sum())
                                             + scaled[hash(x) % _NOISE_ROWS])
        return Curve(values, 1.0)

    name = f"mfh{dims}" + (f"_{correlation}" if correlation else "")
    return MultiFidelityProblem(
        name, _box(dims), max_resource, "minimize", f_star, curve,
        f"multi-fidelity Hartmann-{dims} (mf-prior-bench), bias {bias}, noise {noise}")


def crossing_lc_final(params: Params) -> float:
    """``F(x)`` of ``crossing_lc``: the value every curve ends at (module docstring)."""
    d1, d2 = float(params["x1"]) - 0.25, float(params["x2"]) - 0.7
    d3, d4 = float(params["x3"]) - 0.4, float(params["x4"]) - 0.5
    return 0.05 + 0.6 * d1 * d1 + 0.3 * d2 * d2 + 0.3 * d3 * d3 + 0.15 * d4 * d4 + 0.2 * d1 * d2


def crossing_lc(max_resource: int = 81, tau_min: float = 2.0, tau_max: float = 60.0,
                noise: float = 0.05, seed: int = 0) -> MultiFidelityProblem:
    """The crossing-curve family (module docstring), minimize.

    Args:
        max_resource: R.
        tau_min, tau_max: time constants of the fastest (x1 = 1) and slowest (x1 = 0)
            configurations, ``0 < tau_min <= tau_max``.
        noise: noise scale at r = 1 (it shrinks with ``w(r)``, 0 at R).
        seed: seeds the noise.
    """
    if not 0.0 < tau_min <= tau_max:
        raise HPOError(f"crossing_lc: expected 0 < tau_min <= tau_max, got tau_min="
                       f"{tau_min!r}, tau_max={tau_max!r}")
    gap = fidelity_gap(max_resource)
    scaled = noise * _noise(seed, max_resource)
    r = np.arange(1, max_resource + 1, dtype=np.float64)

    def curve(params: Params) -> Curve:
        x = tuple(float(params[f"x{j}"]) for j in range(1, 5))
        tau = tau_min * (tau_max / tau_min) ** (1.0 - x[0])
        progress = -np.expm1(-r / tau) / -math.expm1(-max_resource / tau)
        final = crossing_lc_final(params)
        values = final + (1.0 - progress) + gap * scaled[hash(x) % _NOISE_ROWS]
        values[-1] = final  # the gap at R is 0 up to rounding: F exactly
        return Curve(values, 0.5 + x[3])

    return MultiFidelityProblem(
        "crossing_lc", _box(4), max_resource, "minimize", 0.05, curve,
        "noisy learning curves that cross: the slow starters end best")


def hartmann_factory(dims: int, correlation: str) -> Any:
    """A registry factory for ``mfh{dims}[_{correlation}]`` taking ``seed, max_resource``."""
    def make(**options: Any) -> MultiFidelityProblem:
        return mf_hartmann(dims, correlation, **options)
    make.__name__ = f"mfh{dims}" + (f"_{correlation}" if correlation else "")
    return make
