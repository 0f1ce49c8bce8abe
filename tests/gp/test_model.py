"""GP model: padding, interpolation, analytic gradient, warping, pending points, compiles."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve

from hpo_core import gp
from hpo_core.gp import model
from tests.gp.conftest import make_data

F = jnp.asarray(False)  # condition_on_pending's ``exact``: pending rows with the fitted noise


def test_bucket_sizes_are_geometric_and_few():
    sizes = []
    n = 1
    while n <= 2048:
        sizes.append(gp.bucket_size(n))
        n = sizes[-1] + 1
    assert sizes[:8] == [16, 24, 32, 48, 64, 96, 128, 192]
    assert len(set(sizes)) <= 15
    assert all(gp.bucket_size(n) >= n for n in range(1, 3000, 7))


def test_padding_changes_neither_fit_nor_likelihood(smooth_data, seed):
    x, y = smooth_data
    prior = gp.default_prior(2)
    small = make_data(x, y, 24)
    big = make_data(x, y, 48, fill=0.37)  # padded rows hold junk: it must not matter
    key = jax.random.key(seed)
    a, b = gp.fit(small, key, prior), gp.fit(big, key, prior)
    assert np.allclose(a.theta, b.theta, rtol=1e-6, atol=1e-8)
    assert np.allclose(a.objective, b.objective, rtol=1e-10)
    theta = a.theta + 0.2
    lml = jax.jit(gp.log_marginal_likelihood)
    assert np.allclose(lml(small, theta, prior), lml(big, theta, prior), rtol=1e-12)
    za = gp.warp_outputs(small.y, small.mask)
    zb = gp.warp_outputs(big.y, big.mask)
    ga = model._objective_and_grad(theta, small.x, za, small.mask, small.levels, prior)[1]
    gb = model._objective_and_grad(theta, big.x, zb, big.mask, big.levels, prior)[1]
    assert np.allclose(ga, gb, rtol=1e-9, atol=1e-12)
    q = jnp.asarray(np.random.default_rng(seed).random((9, 2)))
    post = jax.jit(gp.posterior)
    for u, v in zip(post(a, q), post(b, q), strict=True):
        assert np.allclose(u, v, rtol=1e-6, atol=1e-9)


def _naive_objective(theta, x, z, mask, levels, prior):
    """MAP objective per row written with autodiff-friendly dense algebra (the reference)."""
    n = jnp.sum(mask)
    ls, s, noise = model.hyperparameters(theta, prior)
    k, _, _ = model._covariance(x, mask, levels, ls, s, noise)
    chol = jnp.linalg.cholesky(k)
    alpha = cho_solve((chol, True), z)
    nll = 0.5 * z @ alpha + jnp.sum(jnp.log(jnp.diagonal(chol))) + 0.5 * n * jnp.log(2 * jnp.pi)
    return (nll + model._prior_nlp(theta, prior)) / n


def test_analytic_gradient_matches_autodiff(seed):
    rng = np.random.default_rng(seed)
    num = rng.random((15, 2))
    cat = (rng.integers(0, 3, (15, 1)) + 0.5) / 3
    x = np.concatenate([num, cat], 1)
    y = num[:, 0] ** 2 + np.sin(4 * num[:, 1]) + cat[:, 0]
    data = make_data(x, y, 24, levels=[3.0])
    prior = gp.default_prior(3)
    z = gp.warp_outputs(data.y, data.mask)
    theta = jnp.asarray(rng.normal(-0.5, 0.5, 5))
    value, grad = jax.jit(model._objective_and_grad)(theta, data.x, z, data.mask, data.levels,
                                                     prior)
    ref_v, ref_g = jax.value_and_grad(_naive_objective)(theta, data.x, z, data.mask,
                                                        data.levels, prior)
    assert np.allclose(value, ref_v, rtol=1e-10)
    assert np.allclose(grad, ref_g, rtol=1e-6, atol=1e-9)


def test_posterior_interpolates_noiseless_data(smooth_data, seed):
    x, y = smooth_data
    prior = gp.default_prior(2, deterministic=True)
    state = jax.jit(gp.fit)(make_data(x, y), jax.random.key(seed), prior)
    mean, var = jax.jit(gp.posterior)(state, jnp.asarray(x))
    z = np.asarray(state.z)[: len(y)]
    assert np.max(np.abs(np.asarray(mean) - z)) < 1e-3
    assert np.max(var) < 1e-4 * float(state.signal)
    assert np.allclose(jax.jit(gp.posterior_mean)(state, jnp.asarray(x)), mean, atol=1e-12)
    _, far_var = gp.posterior(state, jnp.full((1, 2), 5.0))
    assert float(far_var[0]) > 0.9 * float(state.signal)


def test_warp_handles_failures_and_tames_outliers():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan, 1e9])
    data = make_data(np.zeros((8, 1)), y, 16)
    z = np.asarray(jax.jit(gp.warp_outputs)(data.y, data.mask))[:8]
    assert np.all(np.isfinite(z))
    assert np.all(np.diff(z[:6]) > 0)  # order kept
    assert z[6] == z[7] == z.max()  # a failure is as bad as the worst value
    assert z.max() < 3.0  # the 1e9 outlier no longer dominates
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1.0) < 1e-9
    assert np.all(np.asarray(gp.warp_outputs(data.y, data.mask))[8:] == 0.0)


def test_condition_on_pending_keeps_mean_and_shrinks_variance(smooth_data, seed):
    x, y = smooth_data
    prior = gp.default_prior(2)
    size = gp.bucket_size(len(y) + 2)
    data = make_data(np.concatenate([x, [[0.9, 0.9], [0.05, 0.5]]]),
                     np.concatenate([y, [0.0, 0.0]]), size)
    data = data._replace(mask=jnp.arange(size) < len(y))
    state = jax.jit(gp.fit)(data, jax.random.key(seed), prior)
    pending = (jnp.arange(size) >= len(y)) & (jnp.arange(size) < len(y) + 2)
    key = jax.random.key(seed)
    cond = jax.jit(gp.condition_on_pending)(state, pending, prior, key, jnp.asarray(0.0), F)
    p = data.x[len(y):len(y) + 2]
    m0, v0 = gp.posterior(state, p)
    m1, v1 = gp.posterior(cond, p)
    assert np.allclose(m0, m1, atol=1e-3)
    assert np.all(v1 < 0.5 * v0)
    assert np.array_equal(cond.observed, state.observed)
    assert not np.any(np.asarray(cond.fantasy))  # the believer: every fantasy is the mean
    # Sampled fantasies: same variance; at the pending points the means spread around the
    # believer's by about the prior posterior sd (half of the draws mirror the other half).
    fant = jax.jit(gp.condition_on_pending)(state, pending, prior, key, jnp.asarray(1.0), F)
    means, v2 = jax.jit(gp.posterior_fantasies)(fant, p)
    assert np.allclose(v2, v1) and means.shape == (2, gp.model.FANTASIES)
    assert np.allclose(means.mean(axis=1), m1, atol=1e-6)
    sd = np.asarray(means).std(axis=1)
    assert np.all(sd > 0.2 * np.sqrt(v0)) and np.all(sd < 3.0 * np.sqrt(v0))
    # A spread below 1 scales every fantasy's deviation from the believer's mean (the same
    # draws: same key), here and anywhere else.
    half = jax.jit(gp.condition_on_pending)(state, pending, prior, key, jnp.asarray(0.5), F)
    q = jnp.concatenate([p, jnp.asarray([[0.5, 0.5], [0.2, 0.8]])])
    full_means, _ = gp.posterior_fantasies(fant, q)
    half_means, v3 = gp.posterior_fantasies(half, q)
    base, _ = gp.posterior(cond, q)
    assert np.allclose(v3, gp.posterior(cond, q)[1])
    assert np.allclose(np.asarray(half_means) - np.asarray(base)[:, None],
                       0.5 * (np.asarray(full_means) - np.asarray(base)[:, None]), atol=1e-9)
    assert np.ptp(np.asarray(half_means)[:2], axis=1).min() > 0  # not the believer
    plain, _ = gp.posterior_fantasies(state, p)  # no pending rows: one column repeated
    assert np.allclose(plain, np.asarray(m0)[:, None])


def test_with_hyperparameters_and_refit_reproduce_the_fit(smooth_data, seed):
    x, y = smooth_data
    prior = gp.default_prior(2)
    data = make_data(x, y)
    state = gp.fit(data, jax.random.key(seed), prior)
    again = jax.jit(gp.with_hyperparameters)(data, state.theta, prior)
    assert np.allclose(again.alpha, state.alpha) and np.allclose(again.chol, state.chol)
    moved = jax.jit(gp.refit)(data, state.theta + 0.3, prior, 60)  # back to the same optimum
    assert np.allclose(moved.theta, state.theta, atol=1e-3)
    assert float(moved.objective) <= float(state.objective) + 1e-8


def test_no_recompilation_within_a_bucket(seed):
    rng = np.random.default_rng(seed)
    prior = gp.default_prior(2)
    counts = []
    for n in (17, 20, 24):  # all in the 24 bucket
        x = rng.random((n, 2))
        gp.fit(make_data(x, x.sum(1), 24), jax.random.key(n), prior, max_iter=5)
        counts.append(gp.build_counts().get("fit", 0))
    assert counts[0] == counts[1] == counts[2]


def test_exact_pending_rows_are_latent_values_whatever_the_noise(seed):
    """A fantasy is a draw of the latent function at the pending points; with ``exact`` the
    model under it knows those values: at a pending point the posterior variance is ~0 and
    each fantasy's mean is that fantasy's value, even when the observed rows are noisy.
    Without it a pending row carries the fitted noise and keeps most of its variance (a batch
    could then pile its points on one spot, each scored as if the others did not exist)."""
    rng = np.random.default_rng(seed)
    x = rng.random((30, 2))
    y = np.sin(3.0 * x[:, 0]) + 0.5 * rng.standard_normal(30)  # noisy observations
    size = gp.bucket_size(32)
    p = np.array([[0.4, 0.6], [0.41, 0.6]])  # two pending points, close together
    data = make_data(np.concatenate([x, p]), np.concatenate([y, [0.0, 0.0]]), size)
    data = data._replace(mask=jnp.arange(size) < 30)
    prior = gp.default_prior(2, ls_floor=0.2)  # too smooth to read the noise as signal
    state = jax.jit(gp.fit)(data, jax.random.key(seed), prior)
    assert float(state.noise) > 0.05 * float(state.signal)  # the fit reads the noise
    pending = (jnp.arange(size) >= 30) & (jnp.arange(size) < 32)
    key = jax.random.key(seed)
    cond = jax.jit(gp.condition_on_pending)(state, pending, prior, key, jnp.asarray(1.0),
                                            jnp.asarray(True))
    noisy = jax.jit(gp.condition_on_pending)(state, pending, prior, key, jnp.asarray(1.0), F)
    _, v0 = gp.posterior(state, jnp.asarray(p))
    means, v1 = gp.posterior_fantasies(cond, jnp.asarray(p))
    _, v_noisy = gp.posterior_fantasies(noisy, jnp.asarray(p))
    assert np.all(np.asarray(v1) < 1e-3 * np.asarray(v0))
    assert np.all(np.asarray(v_noisy) > 0.3 * np.asarray(v0))
    # each fantasy's mean at the pending points is its own draw: the draws differ (not the
    # believer), the mirrored half sits on the other side, and they are the latent
    # posterior's (about its sd, not the noise's)
    base, _ = gp.posterior(state, jnp.asarray(p))
    dev = np.asarray(means) - np.asarray(base)[:, None]
    half = dev.shape[1] // 2
    assert np.allclose(dev[:, :half], -dev[:, half:], atol=1e-6)
    assert np.all(np.abs(dev).max(axis=1) > 0.1 * np.sqrt(np.asarray(v0)))
    assert np.all(dev.std(axis=1) < 3.0 * np.sqrt(np.asarray(v0)))


def test_inexact_pending_rows_carry_the_fitted_noise(smooth_data, seed):
    """Without ``exact`` a pending row is conditioned on as an observation at its believed
    mean would be: the same Cholesky factor (on smooth fits the nugget lets the points of a
    round sit close together)."""
    x, y = smooth_data
    prior = gp.default_prior(2)
    size = gp.bucket_size(len(y) + 1)
    data = make_data(np.concatenate([x, [[0.3, 0.3]]]), np.concatenate([y, [0.0]]), size)
    data = data._replace(mask=jnp.arange(size) < len(y))
    state = gp.fit(data, jax.random.key(seed), prior)
    pending = (jnp.arange(size) == len(y))
    key = jax.random.key(seed)
    cond = gp.condition_on_pending(state, pending, prior, key, jnp.asarray(0.0), F)
    as_observed = model._state(state.theta, cond.x, cond.z, cond.mask, cond.mask,
                               cond.levels, prior)
    diff = np.max(np.abs(np.asarray(cond.chol) - np.asarray(as_observed.chol)))
    assert diff < 1e-9, diff
    exact = gp.condition_on_pending(state, pending, prior, key, jnp.asarray(0.0),
                                    jnp.asarray(True))
    assert float(exact.chol[len(y), len(y)]) < float(cond.chol[len(y), len(y)])
