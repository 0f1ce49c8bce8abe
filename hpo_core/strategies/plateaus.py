"""Ties among observed values: the plateau helpers of the Bayesian strategy's ``plateaus``
option (pure numpy, no model).

Two values tie when they agree to 12 significant digits, each rounded on its own scale: so
1 and 1 + 1e-15 tie, 1 and 1 + 1e-9 do not, and one huge value (a sentinel 1e9 for a broken
configuration, a diverged loss) does not make distinct small values tie. NaN and infinite
values (failed trials) never tie.
"""

from __future__ import annotations

import numpy as np

__all__ = ["stagnant_repeats", "tie_groups", "tie_keys"]


def tie_keys(y: np.ndarray) -> np.ndarray:
    """``y`` rounded to 12 significant digits (equal keys: tied values); NaN where ``y`` is
    not finite."""
    return np.array([float(f"{v:.12g}") if np.isfinite(v) else np.nan for v in y.tolist()],
                    dtype=np.float64)


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
