"""Binary heaps that share one flat pool of arrays (private numba primitives).

Many small heaps (one pair per rung or per step) grow independently, so each heap owns a
*segment* of a shared pool, described by one row of a descriptor array. When a segment is full
it is moved to a segment of twice the capacity at the top of the pool (the old one is left as
waste, reclaimed by `compact_pool` when the Python wrapper grows the pool). Callers reserve room
first (`room_needed`, `reserve`) so that pushes never fail half way through an update.

Notation:
    h          heap index (row of ``heaps``).
    heaps      int64 (H, 3): columns START, SIZE, CAP of each heap's segment in the pool.
    pool_key   float64 (P,): keys; lower is better.
    pool_id    int64 (P,): entry ids; they break ties between equal keys (lower id first).
    ctr        int64 (C,): counters of the owning structure; ``ctr[POOL_TOP]`` is the first
               unused pool slot.
    is_max     False: root is the smallest (key, id); True: root is the largest.

Every operation is O(log n) in the size of the heap touched; nothing is ever rescanned.
"""

from __future__ import annotations

import numpy as np
from numba import njit

START = 0
SIZE = 1
CAP = 2
POOL_TOP = 0
MIN_CAP = 8


@njit(cache=True, inline="always")
def _before(k1: float, i1: int, k2: float, i2: int, is_max: bool) -> bool:
    """Whether (k1, i1) sits nearer the root than (k2, i2)."""
    if is_max:
        return k1 > k2 or (k1 == k2 and i1 > i2)
    return k1 < k2 or (k1 == k2 and i1 < i2)


@njit(cache=True)
def room_needed(heaps: np.ndarray, h: int, extra: int) -> int:
    """Pool slots `reserve(h, extra)` would take (0 when the segment already has room)."""
    size = heaps[h, SIZE]
    cap = heaps[h, CAP]
    if size + extra <= cap:
        return 0
    return max(MIN_CAP, 2 * cap, size + extra)


@njit(cache=True)
def reserve(heaps: np.ndarray, pool_key: np.ndarray, pool_id: np.ndarray, ctr: np.ndarray,
            h: int, extra: int) -> None:
    """Move heap ``h`` to a larger segment if it cannot take ``extra`` more items.

    The caller has checked (with `room_needed`) that the pool has the free slots.
    """
    need = room_needed(heaps, h, extra)
    if need == 0:
        return
    old = heaps[h, START]
    new = ctr[POOL_TOP]
    for j in range(heaps[h, SIZE]):
        pool_key[new + j] = pool_key[old + j]
        pool_id[new + j] = pool_id[old + j]
    heaps[h, START] = new
    heaps[h, CAP] = need
    ctr[POOL_TOP] = new + need


@njit(cache=True)
def push(heaps: np.ndarray, pool_key: np.ndarray, pool_id: np.ndarray, h: int,
         key: float, ident: int, is_max: bool) -> None:
    """Insert (key, ident) into heap ``h`` (room must have been reserved)."""
    start = heaps[h, START]
    i = heaps[h, SIZE]
    while i > 0:
        parent = (i - 1) >> 1
        pk = pool_key[start + parent]
        pi = pool_id[start + parent]
        if _before(key, ident, pk, pi, is_max):
            pool_key[start + i] = pk
            pool_id[start + i] = pi
            i = parent
        else:
            break
    pool_key[start + i] = key
    pool_id[start + i] = ident
    heaps[h, SIZE] += 1


@njit(cache=True)
def pop(heaps: np.ndarray, pool_key: np.ndarray, pool_id: np.ndarray, h: int,
        is_max: bool) -> tuple[float, int]:
    """Remove and return the root (key, id) of the non-empty heap ``h``."""
    start = heaps[h, START]
    n = heaps[h, SIZE] - 1
    top_key = pool_key[start]
    top_id = pool_id[start]
    heaps[h, SIZE] = n
    if n == 0:
        return top_key, top_id
    last_key = pool_key[start + n]
    last_id = pool_id[start + n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and _before(pool_key[start + c + 1], pool_id[start + c + 1],
                                 pool_key[start + c], pool_id[start + c], is_max):
            c += 1
        if _before(pool_key[start + c], pool_id[start + c], last_key, last_id, is_max):
            pool_key[start + i] = pool_key[start + c]
            pool_id[start + i] = pool_id[start + c]
            i = c
        else:
            break
    pool_key[start + i] = last_key
    pool_id[start + i] = last_id
    return top_key, top_id


@njit(cache=True)
def compact_pool(heaps: np.ndarray, pool_key: np.ndarray, pool_id: np.ndarray,
                 new_key: np.ndarray, new_id: np.ndarray) -> int:
    """Copy every heap into fresh pool arrays with capacity max(MIN_CAP, 2 * size).

    Empty heaps with no segment keep capacity 0. Returns the new pool top.
    """
    top = 0
    for h in range(heaps.shape[0]):
        size = heaps[h, SIZE]
        if heaps[h, CAP] == 0:
            continue
        old = heaps[h, START]
        for j in range(size):
            new_key[top + j] = pool_key[old + j]
            new_id[top + j] = pool_id[old + j]
        heaps[h, START] = top
        heaps[h, CAP] = max(MIN_CAP, 2 * size)
        top += heaps[h, CAP]
    return top


def grown_pool(heaps: np.ndarray, pool_key: np.ndarray, pool_id: np.ndarray,
               ctr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return larger, compacted pool arrays (updates ``heaps`` and ``ctr`` in place).

    The new pool leaves at least twice the compacted size free, which covers any single
    report's reservations (each at most doubles a segment).
    """
    live = int(np.maximum(2 * heaps[:, SIZE], np.where(heaps[:, CAP] > 0, MIN_CAP, 0)).sum())
    size = max(2 * pool_key.shape[0], 3 * live + MIN_CAP * 2 * heaps.shape[0] + 64)
    new_key = np.empty(size, dtype=np.float64)
    new_id = np.empty(size, dtype=np.int64)
    ctr[POOL_TOP] = compact_pool(heaps, pool_key, pool_id, new_key, new_id)
    return new_key, new_id


def heaps_from_sorted(groups: list[tuple[np.ndarray, np.ndarray]]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Build a packed pool from per-heap arrays that are already in heap order.

    A sorted array (ascending for a min-heap, descending for a max-heap) is a valid binary heap,
    which is how state import rebuilds heaps without replaying reports.

    Args:
        groups: one (keys (n_h,), ids (n_h,)) pair per heap, in heap-index order.

    Returns:
        (heaps (H, 3), pool_key (P,), pool_id (P,), pool_top).
    """
    caps = [max(MIN_CAP, 2 * len(k)) if len(k) else 0 for k, _ in groups]
    total = sum(caps)
    size = 3 * total + MIN_CAP * 2 * len(groups) + 64
    heaps = np.zeros((len(groups), 3), dtype=np.int64)
    pool_key = np.empty(size, dtype=np.float64)
    pool_id = np.empty(size, dtype=np.int64)
    top = 0
    for h, ((keys, ids), cap) in enumerate(zip(groups, caps, strict=True)):
        heaps[h] = (top, len(keys), cap)
        pool_key[top:top + len(keys)] = keys
        pool_id[top:top + len(keys)] = ids
        top += cap
    return heaps, pool_key, pool_id, top
