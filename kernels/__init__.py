"""Numba-compiled kernels on flat NumPy arrays (installed as ``hpo_core.kernels``).

Imports only numpy and numba. Each public wrapper validates its input and allocates outputs,
then calls a private ``@njit(cache=True)`` kernel.

Public API:
    RungTable             ASHA rung tables across Hyperband brackets (stopping / promotion).
    MedianStoppingRule    AMT ``Auto`` early stopping (median of running averages).
    bracket_for           deterministic Hyperband-weighted bracket of (seed, trial id).
    bracket_probabilities, rung_levels   the Hyperband arithmetic behind them.
    ReportError           a report the trial's state forbids (a ValueError).
"""

from __future__ import annotations

from .asha import CONTINUE, DECISIONS, PAUSE, STOP, Decision, Promotion, RungTable
from .brackets import bracket_for, bracket_probabilities, rung_levels
from .errors import ReportError
from .median import MIN_TRIALS, MedianDecision, MedianStoppingRule

__all__ = [
    "CONTINUE",
    "DECISIONS",
    "MIN_TRIALS",
    "PAUSE",
    "STOP",
    "Decision",
    "MedianDecision",
    "MedianStoppingRule",
    "Promotion",
    "ReportError",
    "RungTable",
    "bracket_for",
    "bracket_probabilities",
    "rung_levels",
]
