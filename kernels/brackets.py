"""Hyperband rung levels and the deterministic bracket of a trial.

Notation (Li et al., Hyperband / ASHA):
    r_min, R   min_resource, max_resource (integer steps, e.g. epochs).
    eta        reduction factor (>= 2): about 1/eta of a rung moves on to the next.
    L_k        rung level k: r_min * eta**k. Decision rungs are the levels with L_k < R; a trial
               that reaches R is finished, so R itself never needs a decision.
    K          number of decision rungs.
    b          bracket index, 0 <= b < n_brackets. Bracket b starts its trials at rung b (at
               resource L_b, or R when b == K) and has s = K - b halvings; b = 0 is the most
               aggressive bracket (starts at r_min), b = K trains every trial to R.
    w_b        weight of bracket b: proportional to the number of configurations Hyperband starts
               in it, (s_max + 1) / (s + 1) * eta**s with s = K - b, normalized over the brackets
               in use.

A bracket is a pure function of (seed, trial id): independent workers agree without talking.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Salt for the bracket draw, so the same (seed, trial id) used for another purpose differs.
_BRACKET_PURPOSE = np.uint64(0x6272616B)  # "brak"


def rung_levels(min_resource: int, max_resource: int, eta: int) -> np.ndarray:
    """Return the decision rung levels L_k = min_resource * eta**k with L_k < max_resource.

    Args:
        min_resource: r_min >= 1.
        max_resource: R >= r_min.
        eta: reduction factor >= 2.

    Returns:
        int64 (K,): increasing levels; empty when min_resource == max_resource.

    Raises:
        ValueError: if an argument is not an integer in range.
    """
    _check_int("min_resource", min_resource, 1)
    _check_int("eta", eta, 2)
    _check_int("max_resource", max_resource, min_resource)
    levels = []
    level = min_resource
    while level < max_resource:
        levels.append(level)
        level *= eta
    return np.asarray(levels, dtype=np.int64)


def bracket_probabilities(n_brackets: int, eta: int, n_rungs: int | None = None) -> np.ndarray:
    """Hyperband's share of new trials for each bracket.

    Args:
        n_brackets: number of brackets in use (1 <= n_brackets <= n_rungs + 1).
        eta: reduction factor >= 2.
        n_rungs: K, the number of decision rungs; default ``n_brackets - 1`` (all brackets).

    Returns:
        float64 (n_brackets,): probabilities, summing to 1, largest for bracket 0.
    """
    _check_int("n_brackets", n_brackets, 1)
    _check_int("eta", eta, 2)
    k = n_brackets - 1 if n_rungs is None else n_rungs
    _check_int("n_rungs", k, n_brackets - 1)
    s = k - np.arange(n_brackets, dtype=np.float64)
    w = (k + 1) / (s + 1) * float(eta) ** s
    return w / w.sum()


def bracket_for(seed: int, trial_id: int, n_brackets: int, eta: int,
                n_rungs: int | None = None) -> int:
    """Deterministic Hyperband-weighted bracket of a trial.

    Args:
        seed: the study seed (any integer; taken modulo 2**64).
        trial_id: the trial number (>= 0).
        n_brackets: number of brackets in use.
        eta: reduction factor >= 2.
        n_rungs: K; default ``n_brackets - 1``.

    Returns:
        The bracket index b in [0, n_brackets).
    """
    _check_int("trial_id", trial_id, 0)
    cum = cumulative(bracket_probabilities(n_brackets, eta, n_rungs))
    return int(_bracket_of(np.uint64(int(seed) % 2**64), trial_id, cum))


def check_weights(weights: object, n_brackets: int) -> np.ndarray:
    """Validate bracket weights and normalize them.

    Args:
        weights: ``n_brackets`` finite numbers >= 0, not all 0.
        n_brackets: the number of brackets in use.

    Returns:
        float64 (n_brackets,): probabilities summing to 1.

    Raises:
        ValueError: wrong length, a negative or non-finite weight, or all zero.
    """
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        w = None
    if (w is None or w.ndim != 1 or len(w) != n_brackets or not np.all(np.isfinite(w))
            or np.any(w < 0) or w.sum() <= 0):
        raise ValueError(f"bracket_weights must be {n_brackets} finite numbers >= 0 (one per "
                         f"bracket), not all 0, got {weights!r}")
    return w / w.sum()


def cumulative(prob: np.ndarray) -> np.ndarray:
    """Cumulative bracket thresholds (float64 (n_brackets,)); the last is exactly 1."""
    cum = np.cumsum(prob)
    cum[-1] = 1.0
    return cum


@njit(cache=True)
def _mix64(x: np.uint64) -> np.uint64:
    """SplitMix64 finalizer: a bijective 64-bit hash."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def _bracket_of(seed: np.uint64, trial_id: int, cum: np.ndarray) -> int:
    """Bracket for (seed, trial_id) given cumulative thresholds cum (n_brackets,)."""
    h = _mix64(_mix64(seed ^ _BRACKET_PURPOSE) + np.uint64(trial_id))
    u = np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)  # in [0, 1)
    for b in range(cum.shape[0]):
        if u < cum[b]:
            return b
    return cum.shape[0] - 1


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
