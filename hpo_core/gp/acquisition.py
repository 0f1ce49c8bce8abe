"""Acquisition functions: they see a posterior (mean, variance), never the model.

Convention: the GP models a quantity to *minimize*; every acquisition returns a score to
*maximize*.

Notation:
    mean, var   ``(m,)`` posterior mean and variance of the latent function
    sigma       ``sqrt(var)``
    best        () incumbent: the lowest posterior mean over the observed points
    u           ``(best - mean) / sigma``, the standardized improvement
    h(u)        ``u Phi(u) + phi(u)``, so that ``EI = sigma * h(u)``

Log-EI (Ament et al., 2023, "Unexpected improvements to expected improvement") is computed
without forming ``EI``, which underflows to 0 for ``u`` below about -38 and leaves no
gradient. With ``t = -u``:

    u > -1:                     log h(u) directly
    -1000 < u <= -1:            log h(u) = log phi(u) + log(1 - t R(t)),
                                t R(t) = t sqrt(pi/2) erfcx(t / sqrt2)   (Mills ratio R)
    u <= -1000:                 1 - t R(t) = t^-2 (1 - 3 t^-2 + 15 t^-4 - ...), so
                                log h(u) = log phi(u) - 2 log t + log1p(-3/t^2 + 15/t^4)
                                (the next term is below 1e-16 relative; computing
                                ``1 - t R(t)`` there would cancel catastrophically)
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erfcx, ndtr

__all__ = ["log_ei", "log_h", "ucb"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_PI_2 = 0.5 * math.log(math.pi / 2.0)
_ASYMPTOTIC = -1000.0


def _log1mexp(a: jax.Array) -> jax.Array:
    """``log(1 - exp(a))`` for ``a < 0``, accurate at both ends."""
    return jnp.where(a > -math.log(2.0), jnp.log(-jnp.expm1(a)), jnp.log1p(-jnp.exp(a)))


def log_h(u: jax.Array) -> jax.Array:
    """``log(u Phi(u) + phi(u))``, finite for every finite ``u`` (any shape)."""
    log_phi = -0.5 * u * u - _LOG_SQRT_2PI
    # Each branch gets an input that is safe for it, so no NaN leaks into a gradient.
    u_hi = jnp.where(u > -1.0, u, 0.0)
    direct = jnp.log(u_hi * ndtr(u_hi) + jnp.exp(-0.5 * u_hi * u_hi - _LOG_SQRT_2PI))
    t = jnp.where((u <= -1.0) & (u > _ASYMPTOTIC), -u, 2.0)
    log_tr = jnp.log(t) + _HALF_LOG_PI_2 + jnp.log(erfcx(t / math.sqrt(2.0)))
    middle = log_phi + _log1mexp(jnp.minimum(log_tr, -1e-300))
    t_far = jnp.where(u <= _ASYMPTOTIC, -u, 1e3)
    inv2 = 1.0 / (t_far * t_far)
    far = log_phi - 2.0 * jnp.log(t_far) + jnp.log1p(inv2 * (-3.0 + 15.0 * inv2))
    return jnp.where(u > -1.0, direct, jnp.where(u > _ASYMPTOTIC, middle, far))


def log_ei(mean: jax.Array, var: jax.Array, best: jax.Array) -> jax.Array:
    """Log expected improvement below ``best`` (to maximize): ``(m,)``."""
    sigma = jnp.sqrt(jnp.maximum(var, 1e-300))
    return jnp.log(sigma) + log_h((best - mean) / sigma)


def ucb(mean: jax.Array, var: jax.Array, beta: jax.Array) -> jax.Array:
    """Confidence bound for minimization (to maximize): ``-(mean - sqrt(beta) * sigma)``."""
    return -(mean - jnp.sqrt(beta) * jnp.sqrt(jnp.maximum(var, 0.0)))
