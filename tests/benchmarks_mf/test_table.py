"""The shipped learning-curve table: shape, spread, provenance, and the nearest lookup."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hpo_core.benchmarks.multifidelity import make_learning_curves as gen
from hpo_core.benchmarks.multifidelity.table import (
    TABLE_PATH,
    NearestLookup,
    load_table,
    mlp_digits,
    mlp_digits_space,
)
from hpo_core.errors import HPOError

N_CONFIGS, EPOCHS = 2000, 81


@pytest.fixture(scope="module")
def table():
    return load_table()


@pytest.fixture(scope="module")
def problem():
    return mlp_digits()


def _ranks(a: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(a, kind="stable"), kind="stable")


def test_file_is_small_and_documented(table) -> None:
    assert TABLE_PATH.stat().st_size < 4_000_000
    assert table.meta["n_configs"] == table.n_configs == N_CONFIGS
    assert table.meta["max_epochs"] == table.max_epochs == gen.MAX_EPOCHS == EPOCHS
    assert (table.meta["n_train"], table.meta["n_val"]) == (1257, 540)
    assert table.meta["config_seed"] == gen.CONFIG_SEED


def test_shapes_and_ranges(table) -> None:
    assert table.val_accuracy.shape == table.val_loss.shape == (N_CONFIGS, EPOCHS)
    assert table.epoch_seconds.shape == table.diverged_at.shape == (N_CONFIGS,)
    assert np.all((table.val_accuracy >= 0) & (table.val_accuracy <= 1))
    assert np.all(np.isfinite(table.val_loss)) and np.all(table.val_loss >= 0)
    assert np.all(table.epoch_seconds > 0)


def test_final_accuracies_spread_widely(table) -> None:
    final = table.val_accuracy[:, -1]
    q10, q25, q50, q75 = np.quantile(final, [0.1, 0.25, 0.5, 0.75])
    assert final.min() < 0.15 and final.max() > 0.97  # chance level .. near the best MLP
    assert q10 < 0.5 and q75 - q25 > 0.2 and 0.8 < q50 < 0.97
    assert (final > 0.9).sum() > N_CONFIGS // 4  # plenty of good configurations
    assert (final >= np.quantile(final, 0.99)).sum() >= N_CONFIGS // 100  # ties at the top


def test_curves_learn_and_low_fidelities_are_informative(table) -> None:
    acc = table.val_accuracy
    assert acc[:, -1].mean() > acc[:, 8].mean() > acc[:, 0].mean()
    final = _ranks(acc[:, -1])
    rho = [np.corrcoef(_ranks(acc[:, e - 1]), final)[0, 1] for e in (1, 3, 9, 27)]
    assert rho == sorted(rho) and rho[0] > 0.5 and rho[-1] < 0.995


def test_table_configurations_lie_in_the_space(table) -> None:
    space = mlp_digits_space()
    for params in table.params:
        assert space.validate(params) == params


def test_prefix_sampling_and_ranges() -> None:
    small, large = gen.sample_configs(10), gen.sample_configs(100)
    for name, col in small.items():
        np.testing.assert_array_equal(col, large[name][:10])
    assert large["n_layers"].min() >= 1 and large["n_layers"].max() <= 2
    assert np.all((large["batch_size"] >= 16) & (large["batch_size"] <= 256))
    assert np.all((large["learning_rate_init"] >= 1e-4) & (large["learning_rate_init"] <= 1))
    with pytest.raises(ValueError):
        gen.sample_configs(gen.MAX_CONFIGS + 1)


def test_table_configurations_get_their_own_curve(table, problem) -> None:
    for i in range(0, N_CONFIGS, 97):
        curve = problem.curve(table.params[i])
        np.testing.assert_array_equal(curve.values, table.val_accuracy[i])
        assert curve.step_cost == table.epoch_seconds[i]


def test_nearest_lookup_against_brute_force(table, problem) -> None:
    space = problem.space
    lookup = NearestLookup(space, table.params)
    encoded = np.array([space.encode(p) for p in table.params])
    for params in space.sample(100, seed=7):
        row = lookup.index(params)
        assert table.params[row]["activation"] == params["activation"]
        same = [i for i, p in enumerate(table.params) if p["activation"] == params["activation"]]
        u = space.encode(params)
        numeric = [i for i, c in enumerate(space.coordinates) if c.kind != "categorical"]
        dist = ((encoded[same][:, numeric] - u[numeric]) ** 2).sum(axis=1)
        assert row == same[int(np.argmin(dist))]
        np.testing.assert_array_equal(problem.curve(params).values, table.val_accuracy[row])


def test_problem_metadata(table, problem) -> None:
    assert (problem.name, problem.objective, problem.max_resource) == (
        "mlp_digits", "maximize", EPOCHS)
    assert problem.optimum == table.val_accuracy[:, -1].max()
    loss = mlp_digits(metric="val_loss")
    assert loss.objective == "minimize" and loss.optimum == table.val_loss[:, -1].min()
    with pytest.raises(HPOError):
        mlp_digits(metric="accuracy")
    with pytest.raises(HPOError, match="regenerate"):
        load_table("/nonexistent/table.npz")


def test_generator_reproduces_a_row(table) -> None:
    pytest.importorskip("sklearn")
    from threadpoolctl import threadpool_limits

    cfg = {k: v[3] for k, v in gen.sample_configs(4).items()}
    with threadpool_limits(1), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after every partial_fit
        correct, *_ = gen.train_curve(cfg, 3, gen.load_split())
    assert np.abs(correct / 540.0 - table.val_accuracy[3]).max() <= 2 / 540
