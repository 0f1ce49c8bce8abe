"""Input checks and array growth shared by the kernel wrappers (plain NumPy, no numba).

Notation: n reports in a batch; rows of a per-trial table are indexed by trial id.
"""

from __future__ import annotations

import math

import numpy as np

MAX_TRIAL_ID = 2**31 - 1


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer in [minimum, maximum], else raise ValueError."""
    if type(value) is int and minimum <= value and (maximum is None or value <= maximum):
        return value  # fast path for the per-report API
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        hi = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{hi}, got {value!r}")
    return int(value)


def check_value(name: str, value: object, finite: bool = False) -> float:
    """Return ``value`` as float; NaN (and +-inf when ``finite``) is rejected."""
    if type(value) is float and value == value and not (finite and math.isinf(value)):
        return value  # fast path for the per-report API
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN (map a failed value to +-inf or stop the "
                         f"trial), got {value!r}")
    if finite and math.isinf(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def check_batch(trial_ids: object, steps: object, values: object, max_step: int | None,
                finite: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a batch of reports; return contiguous int64 (n,), int64 (n,), float64 (n,).

    Values must not be NaN, and must be finite when ``finite``.
    """
    ids = np.ascontiguousarray(trial_ids)
    stp = np.ascontiguousarray(steps)
    val = np.ascontiguousarray(values, dtype=np.float64)
    for name, arr in (("trial_ids", ids), ("steps", stp)):
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"{name} must be a 1-d integer array, got dtype {arr.dtype} "
                             f"shape {arr.shape}")
    if val.ndim != 1 or not (ids.shape == stp.shape == val.shape):
        raise ValueError(f"trial_ids, steps and values must be 1-d of equal length, got "
                         f"shapes {ids.shape}, {stp.shape}, {val.shape}")
    ids = ids.astype(np.int64, copy=False)
    stp = stp.astype(np.int64, copy=False)
    if ids.size:
        _check_range("trial_ids", ids, 0, MAX_TRIAL_ID)
        _check_range("steps", stp, 1, max_step)
        bad = np.flatnonzero(np.isnan(val))
        if bad.size:
            raise ValueError(f"values must not be NaN, got NaN at index {bad[0]}")
        bad = np.flatnonzero(np.isinf(val)) if finite else bad
        if bad.size:
            raise ValueError(f"values must be finite, got {val[bad[0]]} at index {bad[0]}")
    return ids, stp, val


def _check_range(name: str, arr: np.ndarray, lo: int, hi: int | None) -> None:
    bad = np.flatnonzero((arr < lo) | (arr > hi if hi is not None else False))
    if bad.size:
        i = int(bad[0])
        hi_txt = "" if hi is None else f" and <= {hi}"
        raise ValueError(f"{name}[{i}] must be >= {lo}{hi_txt}, got {arr[i]}")


def grown_rows(arr: np.ndarray, n_rows: int, fill: np.ndarray | float | int) -> np.ndarray:
    """Return ``arr`` with at least ``n_rows`` rows (capacity doubles); new rows get ``fill``."""
    old = arr.shape[0]
    if n_rows <= old:
        return arr
    new = max(n_rows, 2 * old, 16)
    out = np.empty((new, *arr.shape[1:]), dtype=arr.dtype)
    out[:old] = arr
    out[old:] = fill
    return out
