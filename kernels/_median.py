"""Numba kernels for the median stopping rule (AMT ``Auto`` early stopping).

Notation:
    v          the value a trial reports at step k; keys are values with lower = better.
    a_j(k)     running average of trial j's reports at steps 1..k (sum / count).
    M_k        median of a_j(k) over the trials j that reported at step k before (two middle
               values averaged when their number is even).
    m          MIN_TRIALS: the rule acts only when at least m earlier trials reported at step k.

A trial reporting v at step k is stopped when v > M_k (strictly worse), then a(k) of the
trial (its own running average, v included) joins step k's median structure whatever the
decision. Each step keeps two heaps: LOW, a max-heap of the smaller half (one more element
when the count is odd) and HIGH, a min-heap of the larger half; M_k is read at the roots and an
insertion moves at most one element between them: O(log n) per report.

Arrays (one `MedianArrays` NamedTuple):
    cfg        int64 (1,): MIN_TRIALS.
    trials     int64 (trial_cap, 3): LAST (last step), STATUS, COUNT (reports so far).
    tsum       float64 (trial_cap,): running sum of each trial's reports.
    heaps      int64 (2 * step_cap, 3): LOW = 2 (k - 1), HIGH = 2 (k - 1) + 1 for step k.
    pool_key, pool_id   float64 / int64 (P,): heap pool (ids are entry numbers).
    ctr        int64 (3,): POOL_TOP, N_ENTRIES, N_REPORTS.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ._heap import POOL_TOP, SIZE, START, pop, push, reserve, room_needed

MIN_TRIALS = 3
# trials columns, statuses
LAST, STATUS, COUNT = 0, 1, 2
UNSEEN, RUNNING, STOPPED = 0, 1, 2
# ctr
N_ENTRIES, N_REPORTS = 1, 2
# decisions (>= 0) and codes (< 0)
CONTINUE, STOP = 0, 1
NEED_POOL, ERR_STOPPED, ERR_STEP_ORDER = -2, -3, -4


class MedianArrays(NamedTuple):
    """All state of the median rule as flat arrays (see the module docstring for shapes)."""

    cfg: np.ndarray
    trials: np.ndarray
    tsum: np.ndarray
    heaps: np.ndarray
    pool_key: np.ndarray
    pool_id: np.ndarray
    ctr: np.ndarray


@njit(cache=True)
def _median(a: MedianArrays, step: int) -> tuple[int, float]:
    """(number of averages recorded at step, their median or 0.0 when none)."""
    lo, hi = 2 * (step - 1), 2 * (step - 1) + 1
    n_lo = a.heaps[lo, SIZE]
    n_hi = a.heaps[hi, SIZE]
    if n_lo == 0:
        return 0, 0.0
    m_lo = a.pool_key[a.heaps[lo, START]]
    if n_lo > n_hi:
        return n_lo + n_hi, m_lo
    return n_lo + n_hi, (m_lo + a.pool_key[a.heaps[hi, START]]) / 2.0


@njit(cache=True)
def _report_one(a: MedianArrays, t: int, step: int, key: float) -> int:
    """Apply one report; return a decision (>= 0) or a code (< 0) with no state changed."""
    status = a.trials[t, STATUS]
    if status == STOPPED:
        return ERR_STOPPED
    if status == RUNNING and step <= a.trials[t, LAST]:
        return ERR_STEP_ORDER
    lo, hi = 2 * (step - 1), 2 * (step - 1) + 1
    need = room_needed(a.heaps, lo, 1) + room_needed(a.heaps, hi, 1)
    if a.ctr[POOL_TOP] + need > a.pool_key.shape[0]:
        return NEED_POOL
    reserve(a.heaps, a.pool_key, a.pool_id, a.ctr, lo, 1)
    reserve(a.heaps, a.pool_key, a.pool_id, a.ctr, hi, 1)
    a.trials[t, STATUS] = RUNNING
    a.trials[t, LAST] = step
    a.trials[t, COUNT] += 1
    a.tsum[t] += key
    avg = a.tsum[t] / a.trials[t, COUNT]
    n, med = _median(a, step)
    decision = CONTINUE
    if n >= a.cfg[0] and key > med:
        decision = STOP
        a.trials[t, STATUS] = STOPPED
    e = a.ctr[N_ENTRIES]
    a.ctr[N_ENTRIES] = e + 1
    a.ctr[N_REPORTS] += 1
    heaps, pk, pi = a.heaps, a.pool_key, a.pool_id
    if heaps[lo, SIZE] == 0 or avg <= pk[heaps[lo, START]]:
        push(heaps, pk, pi, lo, avg, e, True)
    else:
        push(heaps, pk, pi, hi, avg, e, False)
    if heaps[lo, SIZE] > heaps[hi, SIZE] + 1:
        k2, e2 = pop(heaps, pk, pi, lo, True)
        push(heaps, pk, pi, hi, k2, e2, False)
    elif heaps[hi, SIZE] > heaps[lo, SIZE]:
        k2, e2 = pop(heaps, pk, pi, hi, False)
        push(heaps, pk, pi, lo, k2, e2, True)
    return decision


@njit(cache=True)
def _report_batch(a: MedianArrays, trial_ids: np.ndarray, steps: np.ndarray,
                  keys: np.ndarray, out: np.ndarray, first: int) -> tuple[int, int]:
    """Apply reports first..n-1 in order (see ``_asha._report_batch`` for the return)."""
    for i in range(first, trial_ids.shape[0]):
        code = _report_one(a, trial_ids[i], steps[i], keys[i])
        if code < 0:
            return i, code
        out[i] = code
    return trial_ids.shape[0], 0
