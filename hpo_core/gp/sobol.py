"""Keyed random digital shift of a Sobol table (a scrambled Sobol sequence), inside ``jit``.

Notation:
    n, d    number of points, dimensions
    t_ij    the table: coordinate j of Sobol point i as a 32-bit integer, ``floor(2**32 x_ij)``
    s_j     the shift: one key-drawn 32-bit integer per dimension

Point i of the shifted sequence is ``((t_ij XOR s_j) + 1/2) / 2**32``. XOR with a constant
permutes the 2**k elementary intervals of every digit depth k, so the shift keeps the net
structure of the table (each interval still holds its share of the first 2**k points) and
makes each coordinate uniform. The table itself is built outside the GP core, which imports
jax and numpy only (the Bayesian strategy builds it with SciPy:
:func:`hpo_core.strategies.quasirandom.sobol_table`); any uint32 table is accepted.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["sobol_unit"]

_BITS = 32


def sobol_unit(table: jax.Array, key: jax.Array) -> jax.Array:
    """Digitally shifted points in the open unit cube, ``(n, d)`` float64.

    Args:
        table: ``(n, d)`` uint32 Sobol table ``t_ij`` (see the module docstring).
        key: ``jax.random`` key of the shift.
    """
    shift = jax.random.bits(key, (table.shape[1],), jnp.uint32)  # (d,)
    shifted = jnp.bitwise_xor(jnp.asarray(table, jnp.uint32), shift)
    return (shifted.astype(jnp.float64) + 0.5) / float(1 << _BITS)
