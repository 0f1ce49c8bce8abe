"""Matern-5/2 + Hamming covariance against a NumPy reference."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hpo_core.gp.covariance import matern52, matern52_grad, scaled_sq_dist


def _reference_r2(x1, x2, ls, levels):
    c = len(levels)
    p = x1.shape[1] - c
    diff = x1[:, None, :] - x2[None, :, :]
    d = diff**2
    for j, k in enumerate(levels):
        d[..., p + j] = np.abs(diff[..., p + j]) * k > 0.5
    return np.sum(d / ls**2, axis=-1)


def test_matern_value_and_safe_derivative_at_zero():
    assert float(jax.jit(matern52)(0.0)) == 1.0
    grad = jax.jit(jax.grad(matern52))(0.0)
    assert np.isfinite(grad) and abs(float(grad) + 5.0 / 6.0) < 1e-12
    r2 = jnp.linspace(1e-6, 4.0, 50)
    auto = jax.vmap(jax.grad(matern52))(r2)
    assert np.allclose(auto, matern52_grad(r2), rtol=1e-10)
    r = np.sqrt(np.asarray(r2))
    ref = (1 + np.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-np.sqrt(5) * r)
    assert np.allclose(matern52(r2), ref, rtol=1e-12)


def test_scaled_sq_dist_matches_reference_with_categories(seed):
    rng = np.random.default_rng(seed)
    levels = np.array([3.0, 5.0])
    num = rng.random((7, 2))
    cats = np.stack([(rng.integers(0, 3, 7) + 0.5) / 3, (rng.integers(0, 5, 7) + 0.5) / 5], 1)
    x1 = np.concatenate([num, cats], 1)
    x2 = np.concatenate([rng.random((4, 2)), cats[:4]], 1)
    ls = np.array([0.3, 0.7, 0.5, 2.0])
    got = jax.jit(scaled_sq_dist)(x1, x2, ls, levels)
    assert np.allclose(got, _reference_r2(x1, x2, ls, levels), atol=1e-12)
    same = jax.jit(scaled_sq_dist, static_argnames="same")(x1, x1, ls, levels, same=True)
    assert np.all(np.diagonal(np.asarray(same)) == 0.0)
    assert np.allclose(same, _reference_r2(x1, x1, ls, levels), atol=1e-12)
