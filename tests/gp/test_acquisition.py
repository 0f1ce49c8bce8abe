"""Log-EI and UCB on a fake posterior (acquisitions see only mean and variance)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import norm

from hpo_core.gp.acquisition import log_ei, log_h, ucb


def _naive_ei(mean, var, best):
    sigma = np.sqrt(var)
    u = (best - mean) / sigma
    return sigma * (u * norm.cdf(u) + norm.pdf(u))


def test_log_ei_matches_naive_ei_where_ei_is_not_tiny():
    mean = np.linspace(-3.0, 6.0, 400)
    var = np.full_like(mean, 0.7)
    got = jax.jit(log_ei)(mean, var, 0.5)
    ref = np.log(_naive_ei(mean, var, 0.5))
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_log_h_is_finite_monotone_and_smooth_where_ei_underflows():
    u = -np.logspace(-3, 12, 2000)[::-1]  # -1e12 ... -1e-3
    got = np.asarray(jax.jit(log_h)(u))
    assert np.all(np.isfinite(got))
    assert np.all(np.diff(got) > 0)
    # Asymptotics: log h(u) ~ log phi(u) - 2 log|u| for u -> -inf.
    far = u[u < -1e5]
    asym = -0.5 * far**2 - 0.5 * math.log(2 * math.pi) - 2 * np.log(-far)
    assert np.allclose(got[u < -1e5], asym, rtol=1e-14, atol=1e-8)
    # The branches join continuously.
    for point in (-1.0, -1000.0):
        left, right = log_h(jnp.array([point * (1 + 1e-9), point * (1 - 1e-9)]))
        assert abs(float(left - right)) < 1e-6 * (1 + abs(float(left)))
    # Middle branch against mpmath-free high-precision identity at u = -30: h = phi * (1 - tR(t)).
    t = 30.0
    series = 1 / t**2 - 3 / t**4 + 15 / t**6 - 105 / t**8  # 1 - t R(t) asymptotic series
    ref = -0.5 * t * t - 0.5 * math.log(2 * math.pi) + math.log(series)
    assert abs(float(log_h(-t)) - ref) < 1e-7


def test_log_ei_gradient_is_finite_far_below_the_incumbent():
    grad = jax.jit(jax.grad(lambda m: log_ei(m, jnp.asarray(1e-4), 0.0)))
    for m in (0.1, 1.0, 5.0, 100.0):
        g = float(grad(jnp.asarray(m)))
        assert np.isfinite(g) and g < 0


def test_ucb_prefers_low_mean_and_high_variance():
    f = jax.jit(ucb)
    mean = jnp.array([0.0, 1.0, 0.0])
    var = jnp.array([1.0, 1.0, 4.0])
    got = np.asarray(f(mean, var, 4.0))
    assert np.allclose(got, [2.0, 1.0, 4.0])
