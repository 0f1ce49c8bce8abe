"""The plateau tabu: rows whose observed values tie mark a flat region the acquisition avoids."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hpo_core import gp
from hpo_core.gp.optimize import acquisition_values, incumbent, plateau_radii
from hpo_core.strategies.plateaus import tie_groups
from hpo_core.strategies.quasirandom import sobol_table
from tests.gp.conftest import make_data


def test_tie_groups_mark_equal_observed_values_only() -> None:
    y = np.array([1.0, 2.0, 1.0, np.nan, 3.0, 2.0 + 1e-15, 0.5])
    groups = tie_groups(y, 10)
    assert groups.shape == (10,) and groups.dtype == np.int64
    assert groups[0] == groups[2] >= 0 and groups[1] == groups[5] >= 0
    assert groups[0] != groups[1]
    assert list(groups[[3, 4, 6, 7, 8, 9]]) == [-1] * 6  # failed, unique, padding
    assert list(tie_groups(np.array([1.0, 2.0, 3.0]), 4)) == [-1] * 4
    assert list(tie_groups(np.array([np.nan, np.nan]), 2)) == [-1, -1]
    # each value rounds on its own scale: a huge one does not make small distinct ones tie
    assert list(tie_groups(np.array([1e12, 0.3801, 0.38, 0.38]), 4)) == [-1, -1, 0, 0]


def _plateau_state():
    """1-D: a flat best region at x = 0.30 and 0.36 (value 0), worse values elsewhere."""
    x = np.array([[0.05], [0.30], [0.36], [0.65], [0.95]])
    y = np.array([1.0, 0.0, 0.0, 0.8, 1.2])
    state = gp.fit(make_data(x, y), jax.random.key(0), gp.default_prior(1))
    ties = np.full(state.x.shape[0], -1, dtype=np.int64)
    ties[[1, 2]] = 0
    return state, jnp.asarray(ties)


def test_the_radius_is_half_way_to_the_nearest_tie_in_kernel_distance() -> None:
    state, ties = _plateau_state()
    r2 = np.asarray(plateau_radii(state, ties))
    ls = float(np.asarray(state.ls)[0])
    expected = 0.25 * ((0.36 - 0.30) / ls) ** 2
    assert np.allclose(r2[[1, 2]], expected) and np.all(r2[[0, 3, 4]] == 0.0)
    assert np.all(r2[5:] == 0.0)  # padded rows


def test_the_tabu_lowers_scores_on_the_plateau_and_leaves_the_rest() -> None:
    state, ties = _plateau_state()
    config = gp.AcqConfig(jnp.asarray(False), jnp.asarray(1.0), jnp.asarray(15))
    best = incumbent(state)
    r2 = plateau_radii(state, ties)
    xs = jnp.asarray([[0.30], [0.33], [0.80]])
    plain = np.asarray(acquisition_values(state, xs, best, config))
    tabu = np.asarray(acquisition_values(state, xs, best, config, r2))
    assert tabu[0] < plain[0] - 7.0  # at a tied row: log sigmoid(-8)
    # half way between them: on both rims, log(1/2) each
    assert np.isclose(tabu[1], plain[1] + 2.0 * np.log(0.5), atol=1e-6)
    assert abs(tabu[2] - plain[2]) < 1e-6  # far from the plateau: unchanged
    none = jnp.full(ties.shape, -1)
    assert np.allclose(acquisition_values(state, xs, best, config, plateau_radii(state, none)),
                       plain)


def test_the_next_point_leaves_the_plateau() -> None:
    state, ties = _plateau_state()
    config = gp.AcqConfig(jnp.asarray(False), jnp.asarray(1.0), jnp.asarray(15))
    cube = gp.CubeSpec(jnp.array([True]), jnp.zeros((0,), dtype=int), jnp.zeros((0, 1)),
                       jnp.zeros((0, 1), dtype=bool))
    pool = jnp.asarray(sobol_table(256, 1))
    plain, _ = gp.optimize_acquisition(state, jax.random.key(1), pool, cube, config)
    tabu, _ = gp.optimize_acquisition(state, jax.random.key(1), pool, cube, config, ties)
    assert 0.28 <= float(plain[0, 0]) <= 0.38  # log-EI alone stays next to the tied rows
    half = 0.5 * (0.36 - 0.30)
    assert min(abs(float(tabu[0, 0]) - c) for c in (0.30, 0.36)) > half
