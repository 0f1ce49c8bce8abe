"""Sobol points in base 2 with a keyed random digital shift (a scrambled Sobol sequence).

Notation:
    n, d        number of points, dimensions
    s           degree of the primitive polynomial of a dimension
    a_1..a_s-1  its inner coefficients over GF(2)
    m_k         initial direction integers (odd, < 2**k), k = 1..s
    v_k         32-bit direction numbers; point i is the XOR of v_k over the bits k of
                ``gray(i) = i ^ (i >> 1)``

Dimension 0 is the van der Corput sequence; dimension j >= 1 uses the j-th primitive
polynomial in order of degree (found by search, not from a table) and initial direction
integers drawn once from a fixed-seed generator, so the table is a pure function of
``(n, d)``. The random part is the digital shift: every point XORed with one key-drawn 32-bit
integer per dimension (:func:`sobol_unit`), which keeps the net structure and makes each
coordinate uniform.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["sobol_table", "sobol_unit"]

_BITS = 32


def _is_primitive(poly: int, s: int) -> bool:
    """Whether ``poly`` (degree ``s``, bit i = coefficient of x**i) is primitive over GF(2)."""
    order = (1 << s) - 1

    def mulmod(a: int, b: int) -> int:
        out = 0
        while b:
            if b & 1:
                out ^= a
            b >>= 1
            a <<= 1
            if a >> s & 1:
                a ^= poly
        return out

    def power(e: int) -> int:
        out, base = 1, 2  # the polynomial "x"
        while e:
            if e & 1:
                out = mulmod(out, base)
            base = mulmod(base, base)
            e >>= 1
        return out

    if power(order) != 1:
        return False
    q, rest, factors = 2, order, set()
    while q * q <= rest:
        while rest % q == 0:
            factors.add(q)
            rest //= q
        q += 1
    if rest > 1:
        factors.add(rest)
    return all(power(order // f) != 1 for f in factors)


@functools.lru_cache(maxsize=8)
def _polynomials(count: int) -> tuple[tuple[int, int], ...]:
    """The first ``count`` primitive polynomials ``(degree, poly)``, by degree then value."""
    out: list[tuple[int, int]] = []
    s = 1
    while len(out) < count:
        for poly in range((1 << s) | 1, 1 << (s + 1), 2):
            if _is_primitive(poly, s):
                out.append((s, poly))
                if len(out) == count:
                    break
        s += 1
    return tuple(out)


@functools.lru_cache(maxsize=32)
def _directions(d: int) -> np.ndarray:
    """``(d, 32)`` uint64 direction numbers."""
    v = np.zeros((d, _BITS), dtype=np.uint64)
    v[0] = [1 << (_BITS - 1 - k) for k in range(_BITS)]
    gen = np.random.default_rng(20241120)  # fixed: the table is a constant of the module
    for j, (s, poly) in enumerate(_polynomials(max(d - 1, 0)), start=1):
        m = [2 * int(gen.integers(0, 1 << k)) + 1 for k in range(s)]  # m_1..m_s, odd, < 2**k
        vj = [m[k] << (_BITS - 1 - k) for k in range(min(s, _BITS))]
        for k in range(s, _BITS):
            val = vj[k - s] ^ (vj[k - s] >> s)
            for i in range(1, s):
                if poly >> (s - i) & 1:
                    val ^= vj[k - i]
            vj.append(val)
        v[j] = vj
    return v


@functools.lru_cache(maxsize=16)
def sobol_table(n: int, d: int) -> np.ndarray:
    """The first ``n`` Sobol points of dimension ``d`` as 32-bit integers, ``(n, d)`` uint32.

    The returned array is read-only (it is cached).
    """
    v = _directions(max(d, 1))[:d]  # (d, 32)
    i = np.arange(n, dtype=np.uint64)
    gray = i ^ (i >> np.uint64(1))
    out = np.zeros((n, d), dtype=np.uint64)
    for k in range(_BITS):
        bit = ((gray >> np.uint64(k)) & np.uint64(1)).astype(bool)
        out[bit] ^= v[:, k]
    table = out.astype(np.uint32)
    table.flags.writeable = False
    return table


def sobol_unit(table: jax.Array, key: jax.Array) -> jax.Array:
    """Digitally shifted points in the open unit cube, ``(n, d)`` float64.

    Args:
        table: ``(n, d)`` uint32 from :func:`sobol_table`.
        key: ``jax.random`` key of the shift.
    """
    shift = jax.random.bits(key, (table.shape[1],), jnp.uint32)
    shifted = jnp.bitwise_xor(jnp.asarray(table, jnp.uint32), shift)
    return (shifted.astype(jnp.float64) + 0.5) / float(1 << _BITS)
