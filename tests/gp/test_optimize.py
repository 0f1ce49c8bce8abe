"""Acquisition optimizer and the digital shift of Sobol points."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hpo_core import gp
from hpo_core.strategies.quasirandom import sobol_table
from tests.gp.conftest import make_data
from tests.strategies.test_quasirandom import assert_sobol_strata


def test_sobol_unit_is_a_keyed_digital_shift_in_the_open_cube():
    table = sobol_table(512, 5)
    f = jax.jit(gp.sobol_unit)
    a = np.asarray(f(jnp.asarray(table), jax.random.key(1)))
    b = np.asarray(f(jnp.asarray(table), jax.random.key(1)))
    c = np.asarray(f(jnp.asarray(table), jax.random.key(2)))
    assert a.shape == (512, 5) and a.dtype == np.float64
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() > 0.0 and a.max() < 1.0
    ints = np.floor(np.ldexp(a, 32)).astype(np.uint32)  # exact: a = (t ^ s + 1/2) / 2**32
    shift = ints[0] ^ table[0]  # (5,): the table's first point is the origin
    assert np.any(shift != 0)
    np.testing.assert_array_equal(ints ^ table, np.broadcast_to(shift, table.shape))
    assert_sobol_strata(ints, 9)  # the shift keeps every elementary interval's share


def _mixed_state(seed):
    """A GP on 2 numeric, 1 integer-like (5 levels) and 1 categorical (3 levels) column."""
    rng = np.random.default_rng(seed)
    n = 14
    num = rng.random((n, 2))
    ints = (rng.integers(0, 5, n) + 0.5) / 5
    cats = (rng.integers(0, 3, n) + 0.5) / 3
    x = np.column_stack([num, ints, cats])
    y = (num[:, 0] - 0.2) ** 2 + num[:, 1] + np.abs(ints - 0.5) + (cats > 0.5)
    data = make_data(x, y, levels=[3.0])
    state = gp.fit(data, jax.random.key(seed), gp.default_prior(4))
    levels = np.array([[(i + 0.5) / 5 for i in range(5)], [(i + 0.5) / 3 for i in range(3)]
                       + [0.5 / 3] * 2])
    ok = np.array([[True] * 5, [True] * 3 + [False] * 2])
    cube = gp.CubeSpec(jnp.array([True, True, False, False]), jnp.array([2, 3]),
                       jnp.asarray(levels), jnp.asarray(ok))
    return state, cube, levels, ok


def test_optimize_returns_sorted_valid_candidates(seed):
    state, cube, levels, ok = _mixed_state(seed)
    config = gp.AcqConfig(jnp.asarray(False), jnp.asarray(4.0), jnp.asarray(15))
    pool = jnp.asarray(sobol_table(512, 4))
    run = jax.jit(gp.optimize_acquisition, static_argnames=("n_starts", "n_pool_out"))
    xs, scores = run(state, jax.random.key(seed), pool, cube, config, n_starts=4, n_pool_out=8)
    xs, scores = np.asarray(xs), np.asarray(scores)
    assert xs.shape == (12, 4) and np.all(np.diff(scores) <= 0)
    assert np.all((xs >= 0) & (xs <= 1))
    for col, row in ((2, 0), (3, 1)):  # swept coordinates only ever hold real levels
        allowed = levels[row][ok[row]]
        assert np.all(np.min(np.abs(xs[:, col][:, None] - allowed[None]), axis=1) == 0.0)
    # The refined best beats every pool point and its score is what the acquisition says.
    best = gp.optimize.incumbent(state)
    direct = gp.optimize.acquisition_values(state, jnp.asarray(xs[:1]), best, config)
    assert np.allclose(direct[0], scores[0])
    # The exact sweep: no single swept coordinate change improves the best candidate.
    for col, row in ((2, 0), (3, 1)):
        for level in levels[row][ok[row]]:
            trial = xs[:1].copy()
            trial[0, col] = level
            val = gp.optimize.acquisition_values(state, jnp.asarray(trial), best, config)[0]
            assert float(val) <= scores[0] + 1e-9


def test_ucb_option_runs(seed):
    state, cube, _, _ = _mixed_state(seed)
    config = gp.AcqConfig(jnp.asarray(True), jnp.asarray(4.0), jnp.asarray(15))
    _, scores = gp.optimize_acquisition(state, jax.random.key(0),
                                         jnp.asarray(sobol_table(512, 4)), cube, config,
                                         n_starts=4, n_pool_out=8)
    assert np.all(np.isfinite(np.asarray(scores)))


def test_margin_trades_the_incumbent_neighbourhood_for_uncertainty(seed):
    """``AcqConfig.margin`` lowers log-EI's reference: with a margin of 3 standardized units
    the chosen point has a larger posterior variance than plain log-EI's, and its score is
    log-EI below the incumbent minus the margin."""
    rng = np.random.default_rng(seed)
    cells = (np.arange(4) + 0.5) / 4
    grid = np.array([(a, b) for a in cells for b in cells])  # the square covered coarsely
    near = 0.3 + 0.03 * rng.standard_normal((10, 2))  # and the basin finely
    x = np.clip(np.vstack([grid, near]), 0.0, 1.0)
    y = np.sum((x - 0.3) ** 2, axis=1) + 0.3 * np.sin(9.0 * x[:, 0])
    state = gp.fit(make_data(x, y), jax.random.key(seed), gp.default_prior(2))
    cube = gp.CubeSpec(jnp.array([True, True]), jnp.zeros((0,), dtype=int),
                       jnp.zeros((0, 1)), jnp.zeros((0, 1), dtype=bool))
    pool = jnp.asarray(sobol_table(512, 2))

    def choose(margin):
        config = gp.AcqConfig(jnp.asarray(False), jnp.asarray(1.0), jnp.asarray(15),
                              jnp.asarray(margin))
        xs, scores = gp.optimize_acquisition(state, jax.random.key(0), pool, cube, config,
                                             n_starts=4, n_pool_out=8)
        return np.asarray(xs[:1]), float(scores[0]), config

    plain, _, _ = choose(0.0)
    wide, score, config = choose(3.0)
    _, var_plain = gp.posterior(state, jnp.asarray(plain))
    _, var_wide = gp.posterior(state, jnp.asarray(wide))
    assert float(var_wide[0]) > 4.0 * float(var_plain[0])
    reference = gp.optimize.incumbent(state) - 3.0
    direct = gp.optimize.acquisition_values(state, jnp.asarray(wide), reference, config)
    assert np.isclose(float(direct[0]), score)


def test_augmented_ei_discounts_a_well_sampled_spot_of_a_noisy_fit(seed):
    """Augmented EI (AcqConfig.augmented): where many noisy rows pin the latent value, the
    predictive variance is mostly noise and the score drops far below plain log-EI's; away
    from the rows the latent variance dominates and the discount is smaller."""
    rng = np.random.default_rng(seed)
    spot = np.tile([[0.8, 0.2]], (20, 1)) + 0.002 * rng.standard_normal((20, 2))
    other = rng.random((12, 2))
    x = np.concatenate([spot, other])
    y = np.concatenate([0.1 * rng.standard_normal(20), 1.0 + rng.random(12)])  # best: the spot
    prior = gp.default_prior(2, ls_floor=0.2)
    state = gp.fit(make_data(x, y), jax.random.key(seed), prior)
    assert float(state.noise) > 1e-3 * float(state.signal)  # the spot's scatter is noise
    best = gp.optimize.incumbent(state)
    plain = gp.AcqConfig(jnp.asarray(False), jnp.asarray(1.0), jnp.asarray(15))
    aug = plain._replace(augmented=jnp.asarray(True))
    q = jnp.asarray([[0.8, 0.2], [0.3, 0.9]])
    a = np.asarray(gp.optimize.acquisition_values(state, q, best, plain))
    b = np.asarray(gp.optimize.acquisition_values(state, q, best, aug))
    _, var = gp.posterior(state, q)
    ratio = np.sqrt(float(state.noise) / (np.asarray(var) + float(state.noise)))
    assert np.allclose(a - b, -np.log1p(-ratio), rtol=1e-9)  # the factor, nothing else
    assert a[0] - b[0] > 1.0 + (a[1] - b[1])  # the sampled spot loses far more
