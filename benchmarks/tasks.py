"""Machine-learning tasks for ``hpo bench``: real training runs whose optimum is unknown.

A task is a :class:`~hpo_core.benchmarks.problems.Problem` with ``f_star_known=False`` and a
``requires`` tuple of modules; the runner skips it (every strategy, every seed) with the reason
when one of them is not installed. Its ``f_star`` is a lower bound of the objective (0 for a
log-loss), so the "regret" a report shows for it is the final objective value itself.

Tasks (``TASKS``):
    xgboost_digits   XGBoost on scikit-learn's bundled digits data (1797 8x8 images, 10
                     classes): minimize the validation multi-class log-loss
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from hpo_core.benchmarks.problems import Problem
from hpo_core.space import Continuous, Integer, SearchSpace

__all__ = ["TASKS", "XGB_ROUNDS", "digits_split"]

#: Boosting rounds per evaluation (with early stopping after 5 rounds without improvement),
#: as in examples/xgboost_digits/job.json; one evaluation takes 0.1-0.5 s on one thread.
XGB_ROUNDS = 50
XGB_EARLY_STOPPING = 5


@functools.cache
def digits_split() -> tuple[Any, Any, Any, Any]:
    """The fixed stratified 80/20 split of digits: ``(x_train, x_valid, y_train, y_valid)``.

    Shapes ``(1437, 64), (360, 64), (1437,), (360,)``; ``random_state=0`` as in
    examples/xgboost_digits/make_data.py, so both use the same rows.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return tuple(train_test_split(x, y, test_size=0.2, stratify=y, random_state=0))  # type: ignore[return-value]


@functools.cache
def _dmatrices() -> tuple[Any, Any]:
    import xgboost as xgb

    x_tr, x_va, y_tr, y_va = digits_split()
    return xgb.DMatrix(x_tr, label=y_tr), xgb.DMatrix(x_va, label=y_va)


def xgboost_digits(params: Mapping[str, Any]) -> float:
    """XGBoost on digits, 4-D: validation log-loss of a 10-class booster (f* unknown, >= 0).

    Box as in examples/xgboost_digits/job.json (scaling ``auto``): alpha in [0.01, 0.5],
    eta in [0.1, 0.5], min_child_weight in [0, 2], max_depth in {1..10}. Fixed: objective
    multi:softprob, tree_method hist, nthread 1, seed 0, at most 50 boosting rounds with early
    stopping after 5 rounds without improvement on the validation set. The value is the lowest
    validation ``mlogloss`` over the rounds run (the early-stopping model's). Log-loss rather
    than accuracy because validation accuracy saturates: every method tied at 50 trials.
    """
    import xgboost as xgb

    dtrain, dvalid = _dmatrices()
    booster_params = {
        "objective": "multi:softprob", "num_class": 10, "eval_metric": "mlogloss",
        "tree_method": "hist", "nthread": 1, "seed": 0, "verbosity": 0,
        "alpha": float(params["alpha"]), "eta": float(params["eta"]),
        "min_child_weight": float(params["min_child_weight"]),
        "max_depth": int(params["max_depth"]),
    }
    log: dict[str, Any] = {}
    xgb.train(booster_params, dtrain, num_boost_round=XGB_ROUNDS, evals=[(dvalid, "validation")],
              early_stopping_rounds=XGB_EARLY_STOPPING, evals_result=log, verbose_eval=False)
    return float(min(log["validation"]["mlogloss"]))


def _build() -> dict[str, Problem]:
    space = SearchSpace({
        "alpha": Continuous(0.01, 0.5, "auto"),
        "eta": Continuous(0.1, 0.5, "auto"),
        "min_child_weight": Continuous(0.0, 2.0, "auto"),
        "max_depth": Integer(1, 10, "auto"),
    })
    return {"xgboost_digits": Problem("xgboost_digits", space, xgboost_digits, 0.0, {},
                                      f_star_known=False, requires=("xgboost", "sklearn"))}


#: Every task by name, in the order ``--problems all`` runs them (after the synthetic ones).
TASKS: dict[str, Problem] = _build()
