"""The scikit-learn tasks: each runs on its bundled data, the noisy variant is reproducible per
point but noisy across points, plateaus are where the docstrings say."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.benchmarks.runner import BENCH_PROBLEMS
from hpo_core.benchmarks.sklearn_tasks import SKLEARN_TASKS, point_seed
from tests.optional import require


@pytest.fixture(autouse=True)
def _sklearn() -> None:
    require("sklearn")  # the `examples` extra: skips outside CI, fails under it


TREE = {"max_depth": 5, "min_samples_split": 0.05, "min_samples_leaf": 0.02,
        "min_weight_fraction_leaf": 0.02, "max_features": 0.5, "min_impurity_decrease": 0.0}


def test_every_task_is_in_hpo_bench_and_gives_a_finite_loss() -> None:
    assert set(SKLEARN_TASKS) == {"dt_wine", "dt_wine_noisy", "rf_wine", "svm_breast",
                                  "knn_breast", "lasso_diabetes"}
    rng = np.random.default_rng(0)
    for name, task in SKLEARN_TASKS.items():
        assert BENCH_PROBLEMS[name] is task and not task.f_star_known
        value = task(task.space.decode(rng.random(task.space.dims)))
        assert np.isfinite(value) and value >= task.f_star, (name, value)


def test_the_noisy_tree_repeats_a_point_and_differs_from_the_fixed_one() -> None:
    noisy, fixed = SKLEARN_TASKS["dt_wine_noisy"], SKLEARN_TASKS["dt_wine"]
    assert noisy(TREE) == noisy(dict(reversed(TREE.items())))  # order of the keys is no seed
    assert fixed(TREE) == fixed(TREE)
    nearby = [{**TREE, "max_features": 0.5 + 1e-6 * i} for i in range(8)]
    values = {round(noisy(p), 12) for p in nearby}
    assert len(values) > 1  # a new draw of the tree's randomness at each point
    assert len({round(fixed(p), 12) for p in nearby}) == 1
    assert point_seed(TREE) != point_seed(nearby[1])


def test_big_leaves_are_a_plateau_small_ones_a_heavy_tail() -> None:
    fixed = SKLEARN_TASKS["dt_wine"]
    leaf = [fixed({**TREE, "min_samples_leaf": 0.49, "max_depth": d}) for d in (1, 7, 15)]
    assert len(set(leaf)) == 1  # max_depth does not matter there
    # small leaves: pure leaves, overconfident probabilities, a log-loss worse than the stump's
    assert fixed(TREE) > leaf[0]
    err = SKLEARN_TASKS["knn_breast"]({"n_neighbors": 5, "p": 2, "weights": "uniform"})
    assert 0.0 <= err < 0.1
