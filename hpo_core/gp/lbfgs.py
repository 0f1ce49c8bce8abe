"""A small box-constrained L-BFGS written with ``jax.lax.while_loop`` (vmap-friendly).

Notation:
    p          number of variables
    x          ``(p,)`` current point, kept inside ``[lower, upper]``
    g          ``(p,)`` gradient at ``x``
    free       ``(p,)`` bool, variables allowed to move (the others stay where they start)
    S, Y       ``(m, p)`` the last ``m`` steps ``x_{k+1} - x_k`` and gradient changes
    active     variables at a bound whose gradient points outward, plus the non-free ones

Each call minimizes one function from one start; run many starts side by side with
``jax.vmap`` (each keeps its own memory ``S, Y``: nothing couples the restarts). The step is
the two-loop L-BFGS direction on the inactive variables, projected onto the box, with a
backtracking Armijo line search. It stops after ``max_iter`` iterations, when the projected
gradient is below ``gtol``, or when the line search cannot decrease ``f``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["LbfgsResult", "minimize"]

_MEMORY = 8
_ARMIJO = 1e-4
_BACKTRACKS = 12


class LbfgsResult(NamedTuple):
    x: jax.Array  # (p,)
    f: jax.Array  # ()
    iterations: jax.Array  # () int


class _State(NamedTuple):
    x: jax.Array
    f: jax.Array
    g: jax.Array
    s: jax.Array  # (m, p)
    y: jax.Array  # (m, p)
    rho: jax.Array  # (m,) 1 / (y.s), 0 for an empty slot
    stored: jax.Array  # () pairs stored so far (the newest sits at (stored - 1) % m)
    k: jax.Array  # iterations done
    done: jax.Array  # bool


def _direction(g: jax.Array, s: jax.Array, y: jax.Array, rho: jax.Array,
               stored: jax.Array) -> jax.Array:
    """Two-loop recursion: ``-H g`` with the circular memory (empty slots have ``rho = 0``)."""
    m = s.shape[0]
    order = (stored - 1 - jnp.arange(m)) % m  # newest first

    def first(q: jax.Array, i: jax.Array) -> tuple[jax.Array, jax.Array]:
        j = order[i]
        a = rho[j] * jnp.dot(s[j], q)
        return q - a * y[j], a

    q, alphas = jax.lax.scan(first, g, jnp.arange(m))
    newest = order[0]
    yy = jnp.dot(y[newest], y[newest])
    gamma = jnp.where(rho[newest] > 0, 1.0 / jnp.maximum(rho[newest] * yy, 1e-300), 1.0)
    r = gamma * q

    def second(r: jax.Array, i: jax.Array) -> tuple[jax.Array, None]:
        j = order[m - 1 - i]
        b = rho[j] * jnp.dot(y[j], r)
        return r + s[j] * (alphas[m - 1 - i] - b), None

    r, _ = jax.lax.scan(second, r, jnp.arange(m))
    return -r


def minimize(fun: Callable[[jax.Array], tuple[jax.Array, jax.Array]], x0: jax.Array,
             lower: jax.Array, upper: jax.Array, free: jax.Array, max_iter: jax.Array,
             gtol: float = 1e-6, ftol: float = 1e-9, first_step: float = 1.0) -> LbfgsResult:
    """Minimize ``fun`` (returning ``(f, grad)``) over the box from ``x0``.

    Args:
        fun: ``x (p,) -> (f (), g (p,))``; must be finite at ``x0`` for progress.
        x0: ``(p,)`` start, clipped into the box.
        lower, upper: ``(p,)`` bounds.
        free: ``(p,)`` bool, which variables may move.
        max_iter: () int, iteration cap (an array leaf: changing it does not recompile).
        gtol: stop when the largest projected gradient component is below this.
        ftol: stop when an iteration lowers ``f`` by less than ``ftol * (1 + |f|)``.
        first_step: largest coordinate change of the first (plain gradient) step.

    Returns:
        The best point found, its value and the number of iterations.
    """
    x0 = jnp.clip(x0, lower, upper)
    p = x0.shape[0]
    zeros = jnp.zeros((_MEMORY, p), x0.dtype)
    # ``fun`` is traced once, inside the line search: the state starts at f = inf with a zero
    # gradient, so the first "line search" evaluates x0 itself and accepts it.
    f0 = jnp.asarray(jnp.inf, x0.dtype)
    g0 = jnp.zeros_like(x0)

    def projected(x: jax.Array, g: jax.Array) -> jax.Array:
        active = (~free) | ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        return jnp.where(active, 0.0, g)

    init = _State(x0, f0, g0, zeros, zeros, jnp.zeros((_MEMORY,), x0.dtype),
                  jnp.asarray(0), jnp.asarray(-1), jnp.asarray(False))

    def cond(st: _State) -> jax.Array:
        return (~st.done) & (st.k < max_iter)  # k = -1 while x0 is being evaluated

    def body(st: _State) -> _State:
        gp = projected(st.x, st.g)
        d = _direction(gp, st.s, st.y, st.rho, st.stored)
        d = jnp.where(gp == 0.0, 0.0, d)
        descent = jnp.dot(d, gp) < 0
        d = jnp.where(descent, d, -gp)
        # Without curvature memory the step is a plain gradient step: cap its size.
        d = jnp.where(st.stored == 0, d * jnp.minimum(1.0, first_step / jnp.maximum(
            jnp.max(jnp.abs(d)), 1e-300)), d)

        def ls_cond(c: tuple) -> jax.Array:
            _, x_new, f_new, _, i = c
            ok = f_new <= st.f + _ARMIJO * jnp.dot(st.g, x_new - st.x)
            return (i == 0) | ((~ok) & (i < _BACKTRACKS))

        def ls_body(c: tuple) -> tuple:
            step, _, _, _, i = c
            step = step * jnp.where(i == 0, 1.0, 0.3)
            x_new = jnp.clip(st.x + step * d, lower, upper)
            f_new, g_new = fun(x_new)
            f_new = jnp.where(jnp.isfinite(f_new), f_new, jnp.inf)
            return step, x_new, f_new, g_new, i + 1

        start = (jnp.asarray(1.0, x0.dtype), st.x, st.f, st.g, jnp.asarray(0))
        _, x_new, f_new, g_new, _ = jax.lax.while_loop(ls_cond, ls_body, start)
        improved = f_new < st.f
        sk = x_new - st.x
        yk = g_new - st.g
        sy = jnp.dot(sk, yk)
        keep = improved & (sy > 1e-12)
        slot = st.stored % _MEMORY
        s = jnp.where(keep, st.s.at[slot].set(sk), st.s)
        y = jnp.where(keep, st.y.at[slot].set(yk), st.y)
        rho = jnp.where(keep, st.rho.at[slot].set(1.0 / jnp.where(keep, sy, 1.0)), st.rho)
        x = jnp.where(improved, x_new, st.x)
        f = jnp.where(improved, f_new, st.f)
        g = jnp.where(improved, g_new, st.g)
        small = jnp.max(jnp.abs(projected(x, g))) < gtol
        stalled = ~improved | (st.f - f <= ftol * (1.0 + jnp.abs(f)))
        stalled = stalled | ~jnp.isfinite(f)  # no finite value even at x0: give up
        return _State(x, f, g, s, y, rho, st.stored + keep.astype(st.stored.dtype), st.k + 1,
                      small | stalled)

    final = jax.lax.while_loop(cond, body, init)
    return LbfgsResult(final.x, final.f, jnp.maximum(final.k, 0))
