"""Numba kernels for asynchronous successive halving (ASHA) rung tables across brackets.

Notation (see ``brackets.py``): K decision rungs at levels L_k, brackets b in [0, n_brackets),
bracket b owns rungs k = b .. K-1. Each (bracket, rung) pair is a *table* t = toff[b] + k - b.
Values are stored as keys, lower is better (the wrapper negates for maximize).

Each table keeps its n entries split around the moving 1/eta quantile, q = floor(n / eta):
    T   max-heap of the q best entries (root: the q-th best, the worst of the top),
    B   min-heap of the other n - q entries (root: the best of the rest),
    U   min-heap of top entries not yet promoted (promotion mode), lazily cleaned: an entry
        that left T or was promoted is dropped when it reaches the root.
Entries are ordered by (key, entry id); entry ids grow with arrival, so among equal keys the
earlier report ranks higher. An insertion moves at most one entry between T and B, so every
insertion, stop decision and promotion query is O(log n).

Arrays (one `RungArrays` NamedTuple, passed whole to every kernel):
    cfg        int64 (6,): MODE, ETA, N_RUNGS, N_BRACKETS, MAX_RESOURCE, QUOTA (1: a table
               promotes at most floor(n / eta) entries in all).
    seed       uint64 (1,): study seed for the bracket hash.
    levels     int64 (K,): rung levels.
    cum        float64 (n_brackets,): cumulative bracket probabilities.
    toff       int64 (n_brackets,): first table of each bracket.
    trials     int64 (trial_cap, 6): BRACKET, NEXT (next rung to record), LAST (last step),
               STATUS, ALLOWED (largest step it may report now), LAST_ENTRY.
    ent_key    float64 (ent_cap,): key of each entry.
    ent_info   int64 (ent_cap, 3): TABLE, TRIAL, FLAGS of each entry.
    heaps      int64 (3 * n_tables, 3): T, B, U descriptors of each table (see ``_heap``).
    n_promoted int64 (n_tables,): entries promoted out of each table so far.
    pool_key, pool_id   float64 / int64 (P,): the heap pool.
    ctr        int64 (4,): POOL_TOP, N_ENTRIES, TOTAL_RESOURCE, N_REPORTS.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ._heap import POOL_TOP, SIZE, START, pop, push, reserve, room_needed
from .brackets import _bracket_of

# cfg
MODE, ETA, N_RUNGS, N_BRACKETS, MAX_RESOURCE, QUOTA = 0, 1, 2, 3, 4, 5
STOPPING, PROMOTION = 0, 1
# trials columns
BRACKET, NEXT, LAST, STATUS, ALLOWED, LAST_ENTRY = 0, 1, 2, 3, 4, 5
N_TRIAL_FIELDS = 6
UNSEEN, RUNNING, PAUSED, STOPPED = 0, 1, 2, 3
# ent_info columns and flags
E_TABLE, E_TRIAL, E_FLAGS = 0, 1, 2
IN_TOP, PROMOTED, IN_U, RETIRED = 1, 2, 4, 8
# ctr
N_ENTRIES, TOTAL_RESOURCE, N_REPORTS = 1, 2, 3
# decisions (>= 0) and return codes (< 0)
CONTINUE, STOP, PAUSE = 0, 1, 2
NEED_ENTRIES, NEED_POOL = -1, -2
ERR_STOPPED, ERR_STEP_ORDER, ERR_PAUSED, ERR_ABOVE = -3, -4, -5, -6


class RungArrays(NamedTuple):
    """All state of a rung table as flat arrays (see the module docstring for shapes)."""

    cfg: np.ndarray
    seed: np.ndarray
    levels: np.ndarray
    cum: np.ndarray
    toff: np.ndarray
    trials: np.ndarray
    ent_key: np.ndarray
    ent_info: np.ndarray
    heaps: np.ndarray
    n_promoted: np.ndarray
    pool_key: np.ndarray
    pool_id: np.ndarray
    ctr: np.ndarray


@njit(cache=True)
def _start_trial(a: RungArrays, t: int, b: int) -> int:
    """Register trial t in bracket b (b < 0: hashed); return the resource it may train to."""
    if b < 0:
        b = _bracket_of(a.seed[0], t, a.cum)
    k = a.cfg[N_RUNGS]
    a.trials[t, BRACKET] = b
    a.trials[t, NEXT] = b
    a.trials[t, LAST] = 0
    a.trials[t, STATUS] = RUNNING
    a.trials[t, LAST_ENTRY] = -1
    if a.cfg[MODE] == PROMOTION and b < k:
        a.trials[t, ALLOWED] = a.levels[b]
    else:
        a.trials[t, ALLOWED] = a.cfg[MAX_RESOURCE]
    return a.trials[t, ALLOWED]


@njit(cache=True)
def _insert(a: RungArrays, tbl: int, e: int, key: float, promo: bool) -> bool:
    """Insert entry e into table tbl; return whether key is within the top max(1, q)."""
    h_top, h_rest, h_unp = 3 * tbl, 3 * tbl + 1, 3 * tbl + 2
    heaps, pk, pi, info = a.heaps, a.pool_key, a.pool_id, a.ent_info
    n_top = heaps[h_top, SIZE]
    n = n_top + heaps[h_rest, SIZE] + 1
    q = n // a.cfg[ETA]
    root = heaps[h_top, START]
    if n_top > 0 and (key < pk[root] or (key == pk[root] and e < pi[root])):
        push(heaps, pk, pi, h_top, key, e, True)
        info[e, E_FLAGS] |= IN_TOP
        if promo:
            push(heaps, pk, pi, h_unp, key, e, False)
            info[e, E_FLAGS] |= IN_U
    else:
        push(heaps, pk, pi, h_rest, key, e, False)
    if heaps[h_top, SIZE] > q:
        k2, e2 = pop(heaps, pk, pi, h_top, True)
        push(heaps, pk, pi, h_rest, k2, e2, False)
        info[e2, E_FLAGS] &= ~IN_TOP
    elif heaps[h_top, SIZE] < q:
        k2, e2 = pop(heaps, pk, pi, h_rest, False)
        push(heaps, pk, pi, h_top, k2, e2, True)
        f = info[e2, E_FLAGS] | IN_TOP
        if promo and (f & (IN_U | PROMOTED | RETIRED)) == 0:
            push(heaps, pk, pi, h_unp, k2, e2, False)
            f |= IN_U
        info[e2, E_FLAGS] = f
    if q >= 1:
        return key <= pk[heaps[h_top, START]]
    return key <= pk[heaps[h_rest, START]]


@njit(cache=True)
def _report_one(a: RungArrays, t: int, step: int, key: float) -> int:
    """Apply one report; return a decision (>= 0) or a code (< 0) with no state changed."""
    tr = a.trials
    status = tr[t, STATUS]
    if status == STOPPED:
        return ERR_STOPPED
    if status == PAUSED:
        return ERR_PAUSED
    if status == UNSEEN:
        _start_trial(a, t, -1)
    if step <= tr[t, LAST]:
        return ERR_STEP_ORDER
    if step > tr[t, ALLOWED]:
        return ERR_ABOVE
    n_rungs = a.cfg[N_RUNGS]
    promo = a.cfg[MODE] == PROMOTION
    k0 = tr[t, NEXT]
    k1 = k0
    while k1 < n_rungs and a.levels[k1] <= step:
        k1 += 1
    b = tr[t, BRACKET]
    if k1 > k0:
        if a.ctr[N_ENTRIES] + (k1 - k0) > a.ent_key.shape[0]:
            return NEED_ENTRIES
        need = 0
        n_heaps = 3 if promo else 2  # U is only used in promotion mode
        for r in range(k0, k1):
            tbl = a.toff[b] + r - b
            for h in range(3 * tbl, 3 * tbl + n_heaps):
                need += room_needed(a.heaps, h, 2)
        if a.ctr[POOL_TOP] + need > a.pool_key.shape[0]:
            return NEED_POOL
        for r in range(k0, k1):
            tbl = a.toff[b] + r - b
            for h in range(3 * tbl, 3 * tbl + n_heaps):
                reserve(a.heaps, a.pool_key, a.pool_id, a.ctr, h, 2)
    a.ctr[TOTAL_RESOURCE] += step - tr[t, LAST]
    a.ctr[N_REPORTS] += 1
    tr[t, LAST] = step
    decision = CONTINUE
    for r in range(k0, k1):
        tbl = a.toff[b] + r - b
        e = a.ctr[N_ENTRIES]
        a.ctr[N_ENTRIES] = e + 1
        a.ent_key[e] = key
        a.ent_info[e, E_TABLE] = tbl
        a.ent_info[e, E_TRIAL] = t
        a.ent_info[e, E_FLAGS] = 0
        tr[t, LAST_ENTRY] = e
        tr[t, NEXT] = r + 1
        in_top = _insert(a, tbl, e, key, promo)
        if promo:
            tr[t, STATUS] = PAUSED
            decision = PAUSE
        elif not in_top:
            tr[t, STATUS] = STOPPED
            decision = STOP
            break
    return decision


@njit(cache=True)
def _report_batch(a: RungArrays, trial_ids: np.ndarray, steps: np.ndarray, keys: np.ndarray,
                  out: np.ndarray, first: int) -> tuple[int, int]:
    """Apply reports first..n-1 in order, writing decisions to out (n,).

    Returns:
        (i, code): i == n and code == 0 when all were applied; otherwise report i was not
        applied (reports before it were) and code says why.
    """
    for i in range(first, trial_ids.shape[0]):
        code = _report_one(a, trial_ids[i], steps[i], keys[i])
        if code < 0:
            return i, code
        out[i] = code
    return trial_ids.shape[0], 0


@njit(cache=True)
def _best_unpromoted(a: RungArrays, tbl: int) -> int:
    """Entry id of the best promotable entry of table tbl, or -1 (drops stale U roots)."""
    h = 3 * tbl + 2
    while a.heaps[h, SIZE] > 0:
        e = a.pool_id[a.heaps[h, START]]
        f = a.ent_info[e, E_FLAGS]
        if (f & (PROMOTED | RETIRED)) == 0 and (f & IN_TOP) != 0:
            return e
        pop(a.heaps, a.pool_key, a.pool_id, h, False)
        a.ent_info[e, E_FLAGS] = f & ~IN_U
    return -1


@njit(cache=True)
def _next_promotion(a: RungArrays, bracket: int, consume: bool) -> tuple[int, int, int]:
    """Best promotable trial, highest rung first, then lowest bracket.

    With QUOTA set, a table that has already promoted floor(n / eta) entries is skipped.

    Args:
        bracket: search only this bracket, or all when < 0.
        consume: promote it (the trial resumes up to the next level) or only look.

    Returns:
        (trial id, rung it leaves, resource it may now train to), or (-1, -1, 0).
    """
    n_rungs = a.cfg[N_RUNGS]
    for k in range(n_rungs - 1, -1, -1):
        for b in range(a.cfg[N_BRACKETS]):
            if b > k or (bracket >= 0 and b != bracket):
                continue
            tbl = a.toff[b] + k - b
            n = a.heaps[3 * tbl, SIZE] + a.heaps[3 * tbl + 1, SIZE]
            if a.cfg[QUOTA] != 0 and a.n_promoted[tbl] >= n // a.cfg[ETA]:
                continue
            e = _best_unpromoted(a, tbl)
            if e < 0:
                continue
            t = a.ent_info[e, E_TRIAL]
            allowed = a.levels[k + 1] if k + 1 < n_rungs else a.cfg[MAX_RESOURCE]
            if consume:
                pop(a.heaps, a.pool_key, a.pool_id, 3 * tbl + 2, False)
                a.n_promoted[tbl] += 1
                a.ent_info[e, E_FLAGS] = (a.ent_info[e, E_FLAGS] | PROMOTED) & ~IN_U
                a.trials[t, STATUS] = RUNNING
                a.trials[t, ALLOWED] = allowed
            return t, k, allowed
    return -1, -1, 0


@njit(cache=True)
def _retire(a: RungArrays, t: int) -> None:
    """Finish trial t: no more reports, and its paused entry can no longer be promoted."""
    e = a.trials[t, LAST_ENTRY]
    if e >= 0:
        a.ent_info[e, E_FLAGS] |= RETIRED
    a.trials[t, STATUS] = STOPPED
