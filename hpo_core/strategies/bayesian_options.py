"""The Bayesian strategy's options: names, defaults and their checks (pure Python, no model).

A job document carries no strategy options (AMT's format has none); they come from
``Optimizer(space, "bayesian", **options)`` and from a saved optimizer's state. Every value
is checked here, before any model is built, and a bad one gets an :class:`OptimizerError`
naming the option, the value received and what was expected.

Options (what each does is described where it acts):

- ``n_initial``: quasi-random points before the GP (:func:`initial_design_size` by default).
- ``acquisition`` (``"log_ei"`` or ``"ucb"``) and ``ucb_beta``.
- ``pending`` and ``fantasy_spread``: how pending trials enter the model
  (:mod:`hpo_core.strategies.pending`, which defines their values and defaults).
- ``plateaus``: ``"off"``, ``"margin"`` or ``"tabu"`` (:mod:`hpo_core.strategies.plateaus`).
- ``min_lengthscale``: the lengthscale floor (:mod:`hpo_core.strategies.lengthscales`).
- ``jax_cache``, ``compile_ahead``: caches and background compilation
  (:mod:`hpo_core.strategies.gp_cache`).
- ``warm_start``: the last fit, ``{"n": observed count, "theta": [...]}``; written by the
  strategy itself into a saved optimizer's state (:func:`read_warm_start`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_core.errors import OptimizerError
from hpo_core.strategies.pending import PENDING_METHODS, is_auto

__all__ = ["OPTION_NAMES", "PLATEAU_MODES", "check_bayesian_options", "check_option_values",
           "initial_design_size", "read_warm_start"]

#: Every option the strategy takes.
OPTION_NAMES = ("n_initial", "acquisition", "ucb_beta", "jax_cache", "compile_ahead",
                "warm_start", "pending", "plateaus", "min_lengthscale", "fantasy_spread")
#: Values of option ``plateaus``.
PLATEAU_MODES = ("off", "margin", "tabu")

_WHAT = "strategy 'bayesian'"


def initial_design_size(dims: int) -> int:
    """``min(20, max(5, 2 * (dims + 1)))`` quasi-random points before the GP takes over."""
    return min(20, max(5, 2 * (dims + 1)))


def check_bayesian_options(options: dict[str, Any]) -> None:
    """Raise :class:`OptimizerError` on an unknown option name."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise OptimizerError(f"{_WHAT}: unknown option(s) {unknown!r}; expected "
                             f"some of {list(OPTION_NAMES)!r}")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def check_option_values(n_initial: Any, acquisition: Any, ucb_beta: Any, jax_cache: Any,
                        compile_ahead: Any, pending: Any, plateaus: Any,
                        fantasy_spread: Any) -> None:
    """Raise :class:`OptimizerError` on the first bad value (``min_lengthscale`` and
    ``warm_start`` have their own checks: :func:`~hpo_core.strategies.lengthscales.
    check_min_lengthscale`, :func:`read_warm_start`)."""
    if n_initial is not None and (isinstance(n_initial, bool) or not isinstance(
            n_initial, int) or n_initial < 1):
        raise OptimizerError(f"{_WHAT}: n_initial must be an int >= 1 or None, got "
                             f"{n_initial!r}")
    if acquisition not in ("log_ei", "ucb"):
        raise OptimizerError(f"{_WHAT}: acquisition must be 'log_ei' or 'ucb', got "
                             f"{acquisition!r}")
    if not _is_number(ucb_beta) or not (math.isfinite(ucb_beta) and ucb_beta >= 0):
        raise OptimizerError(f"{_WHAT}: ucb_beta must be a finite number >= 0, got "
                             f"{ucb_beta!r}")
    if not isinstance(jax_cache, bool):
        raise OptimizerError(f"{_WHAT}: jax_cache must be a bool, got {jax_cache!r}")
    if not isinstance(compile_ahead, bool):
        raise OptimizerError(f"{_WHAT}: compile_ahead must be a bool, got {compile_ahead!r}")
    if pending not in PENDING_METHODS:
        raise OptimizerError(f"{_WHAT}: pending must be one of {list(PENDING_METHODS)!r}, "
                             f"got {pending!r}")
    if not is_auto(fantasy_spread) and (not _is_number(fantasy_spread)
                                        or not 0.0 < fantasy_spread <= 1.0):  # refuses nan
        raise OptimizerError(f"{_WHAT}: fantasy_spread must be 'auto' or a number in (0, 1] "
                             f"(the fantasies' spread relative to posterior draws), got "
                             f"{fantasy_spread!r}")
    if plateaus not in PLATEAU_MODES:
        raise OptimizerError(f"{_WHAT}: plateaus must be one of {list(PLATEAU_MODES)!r}, "
                             f"got {plateaus!r}")
    if plateaus == "margin" and acquisition != "log_ei":
        raise OptimizerError(f"{_WHAT}: plateaus='margin' widens log-EI's margin and needs "
                             f"acquisition='log_ei', got acquisition={acquisition!r}")


def read_warm_start(warm: Any, dims: int) -> tuple[int, np.ndarray] | None:
    """``(n, theta)`` of a ``warm_start`` option (None for None); ``theta`` ``(dims + 2,)``."""
    if warm is None:
        return None
    what = f"{_WHAT}: warm_start"
    try:
        n = warm["n"]
        theta = np.asarray(warm["theta"], dtype=np.float64)
    except (TypeError, KeyError, ValueError) as e:
        raise OptimizerError(f"{what}: expected {{'n': int, 'theta': [floats]}}, got "
                             f"{warm!r}") from e
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise OptimizerError(f"{what}: 'n' must be an int >= 0, got {n!r}")
    if theta.shape != (dims + 2,) or not np.all(np.isfinite(theta)):
        raise OptimizerError(f"{what}: 'theta' must hold {dims + 2} finite floats, got "
                             f"{warm['theta']!r}")
    return n, theta
