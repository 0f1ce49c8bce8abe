"""Matern-5/2 covariance with one lengthscale per dimension and a Hamming term for categories.

Notation:
    x1, x2    points of the unit cube, shapes ``(n1, d)`` and ``(n2, d)``; the last ``c``
              columns are categorical, the first ``d - c`` numeric
    levels    ``(c,)`` number of values of each categorical column (its shape fixes ``c``)
    ls        ``(d,)`` lengthscales
    delta_j   ``x1_j - x2_j``
    D_j       per-dimension squared distance: ``delta_j**2`` for a numeric dimension and the
              Hamming indicator ``[category differs]`` for a categorical one
    r2        scaled squared distance ``sum_j D_j / ls_j**2``
    s         signal variance; the covariance is ``s * matern52(r2)``

The numeric part of ``r2`` is one matrix product (``|a|^2 + |b|^2 - 2 a.b`` on ``x / ls``,
clipped at 0; exact zeros on the diagonal when ``x1 is x2``); the categorical part is a
broadcast over the ``c`` categorical columns only.

Categorical values sit at the cell centres ``(i + 0.5) / k`` of the cube coordinate, so two
distinct categories are at least ``1/k`` apart: ``|delta| * k > 0.5`` tests "differs". Writing
the Matern as a function of ``r2`` (not ``r``) keeps its derivative finite at zero distance: a
custom JVP gives ``d matern52 / d r2 = -5/6 (1 + sqrt5 r) exp(-sqrt5 r)``, which is ``-5/6`` at
``r2 = 0`` where the chain rule through ``sqrt`` would produce ``0 * inf``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["hamming", "matern52", "matern52_grad", "scaled_sq_dist"]

_SQRT5 = 5.0**0.5


def _safe_r(r2: jax.Array) -> jax.Array:
    """``sqrt(r2)`` with a zero (not NaN) derivative path at ``r2 = 0``."""
    pos = r2 > 0.0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, r2, 1.0)), 0.0)


@jax.custom_jvp
def matern52(r2: jax.Array) -> jax.Array:
    """Matern-5/2 correlation as a function of the scaled squared distance (any shape)."""
    r = _safe_r(r2)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * jnp.exp(-_SQRT5 * r)


def matern52_grad(r2: jax.Array) -> jax.Array:
    """``d matern52 / d r2``, finite everywhere (``-5/6`` at zero)."""
    r = _safe_r(r2)
    return -(5.0 / 6.0) * (1.0 + _SQRT5 * r) * jnp.exp(-_SQRT5 * r)


@matern52.defjvp
def _matern52_jvp(primals: tuple[jax.Array], tangents: tuple[jax.Array]) -> tuple[jax.Array,
                                                                                    jax.Array]:
    (r2,), (dr2,) = primals, tangents
    return matern52(r2), matern52_grad(r2) * dr2


def hamming(a: jax.Array, b: jax.Array, level: jax.Array) -> jax.Array:
    """``[a, b are different categories]`` as 0.0/1.0 (``a``, ``b`` broadcastable cell centres
    of a coordinate with ``level`` categories)."""
    return (jnp.abs(a - b) * level > 0.5).astype(a.dtype)


def scaled_sq_dist(x1: jax.Array, x2: jax.Array, ls: jax.Array, levels: jax.Array,
                   same: bool = False) -> jax.Array:
    """``r2`` between every row of ``x1`` ``(n1, d)`` and ``x2`` ``(n2, d)``: ``(n1, n2)``.

    Args:
        x1, x2: points; the last ``levels.shape[0]`` columns are categorical.
        ls: ``(d,)`` lengthscales.
        levels: ``(c,)`` categories of each categorical column.
        same: ``x1`` and ``x2`` are the same points (sets an exact zero diagonal).
    """
    c = levels.shape[0]
    p = x1.shape[1] - c
    a = x1[:, :p] / ls[:p]
    b = x2[:, :p] / ls[:p]
    r2 = jnp.sum(a * a, axis=1)[:, None] + jnp.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    r2 = jnp.maximum(r2, 0.0)
    if same:
        r2 = r2 * (1.0 - jnp.eye(r2.shape[0], dtype=r2.dtype))
    if c:
        h = hamming(x1[:, None, p:], x2[None, :, p:], levels)  # (n1, n2, c)
        r2 = r2 + jnp.sum(h / (ls[p:] * ls[p:]), axis=-1)
    return r2
