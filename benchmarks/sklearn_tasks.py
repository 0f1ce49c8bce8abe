"""Real tuning tasks for ``hpo bench``: scikit-learn models on its bundled data sets.

Each evaluation is a 5-fold cross-validation on a fixed 80 % training split
(``train_test_split(test_size=0.2, random_state=0)``; folds without shuffling, stratified for
the classifiers) and takes 10-170 ms on one thread. The tree and forest spaces are those of
the NeurIPS 2020 black-box optimization challenge's harness (bayesmark); the SVM, k-NN and
lasso spaces are adapted from it (wider C and gamma for standardized inputs, k up to 40 and
the weighting for k-NN, a log-scaled alpha for lasso). The
landscapes are what real tuning meets: plateaus (a tree with a large ``min_samples_leaf`` is a
single leaf, the same loss wherever that holds), integer steps, heavy tails (the log-loss of
an overconfident model) and, in the ``_noisy`` variants, noise.

Noise: ``dt_wine_noisy`` seeds the tree's randomness (its feature order) from a hash of the
hyperparameters, so two nearby points differ by a fresh draw of
the model's randomness as in the harness (which leaves ``random_state`` unset), while a rerun
of the benchmark gives the same numbers. The deterministic tasks fix ``random_state=0``.

The optimum of every task is unknown: ``f_star`` is a lower bound (0 for a log-loss or an
error rate), and ``hpo bench`` scores them against random search (the normalized score of
:mod:`hpo_core.benchmarks.analysis`).

Tasks (``SKLEARN_TASKS``):
    dt_wine, dt_wine_noisy    DecisionTreeClassifier on wine (178 rows, 3 classes), log-loss
    rf_wine                   RandomForestClassifier (10 trees) on wine, log-loss
    svm_breast                SVC (RBF, standardized inputs) on breast cancer, error rate
    knn_breast                KNeighborsClassifier on breast cancer, error rate (ties, steps)
    lasso_diabetes            Lasso on diabetes (regression), mean squared error
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from hpo_core.benchmarks.problems import Problem
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace

__all__ = ["SKLEARN_TASKS", "cv_objective", "point_seed"]

_FOLDS = 5


@functools.cache
def _data(name: str) -> tuple[Any, Any]:
    """The 80 % training split of a bundled data set (the folds are cut from it)."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    loader = {"wine": datasets.load_wine, "breast": datasets.load_breast_cancer,
              "digits": datasets.load_digits, "diabetes": datasets.load_diabetes}[name]
    x, y = loader(return_X_y=True)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=0)
    return x_train, y_train


def point_seed(params: Mapping[str, Any]) -> int:
    """A 31-bit seed from the hyperparameters alone (the same point, the same seed)."""
    text = repr(sorted((k, repr(v)) for k, v in params.items()))
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def cv_objective(model: Any, data: str, scoring: str) -> float:
    """Mean 5-fold cross-validated loss of ``model`` on ``data`` (lower is better).

    ``scoring``: ``"log_loss"``, ``"error"`` (1 - accuracy) or ``"mse"``.
    """
    from sklearn.model_selection import cross_val_score

    x, y = _data(data)
    sk = {"log_loss": "neg_log_loss", "error": "accuracy", "mse": "neg_mean_squared_error"}
    scores = cross_val_score(model, x, y, cv=_FOLDS, scoring=sk[scoring])
    mean = float(scores.mean())
    return 1.0 - mean if scoring == "error" else -mean


def _tree_args(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"max_depth": int(params["max_depth"]),
            "min_samples_split": float(params["min_samples_split"]),
            "min_samples_leaf": float(params["min_samples_leaf"]),
            "min_weight_fraction_leaf": float(params["min_weight_fraction_leaf"]),
            "max_features": float(params["max_features"]),
            "min_impurity_decrease": float(params["min_impurity_decrease"])}


def _tree_space() -> SearchSpace:
    return SearchSpace({
        "max_depth": Integer(1, 15, "linear"),
        "min_samples_split": Continuous(0.01, 0.99, "linear"),
        "min_samples_leaf": Continuous(0.01, 0.49, "linear"),
        "min_weight_fraction_leaf": Continuous(0.01, 0.49, "linear"),
        "max_features": Continuous(0.01, 0.99, "linear"),
        "min_impurity_decrease": Continuous(0.0, 0.5, "linear"),
    })


def dt_wine(params: Mapping[str, Any]) -> float:
    """Decision tree on wine, 6-D (bayesmark's DT space), 5-fold CV log-loss, random_state 0."""
    from sklearn.tree import DecisionTreeClassifier

    return cv_objective(DecisionTreeClassifier(random_state=0, **_tree_args(params)), "wine",
                        "log_loss")


def dt_wine_noisy(params: Mapping[str, Any]) -> float:
    """Decision tree on wine, 6-D, 5-fold CV log-loss, the tree's randomness seeded per point."""
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(random_state=point_seed(params), **_tree_args(params))
    return cv_objective(model, "wine", "log_loss")


def rf_wine(params: Mapping[str, Any]) -> float:
    """Random forest (10 trees) on wine, 6-D (bayesmark's RF space), 5-fold CV log-loss."""
    from sklearn.ensemble import RandomForestClassifier

    args = _tree_args(params)
    model = RandomForestClassifier(n_estimators=10, random_state=0, n_jobs=1, **args)
    return cv_objective(model, "wine", "log_loss")


def svm_breast(params: Mapping[str, Any]) -> float:
    """RBF SVM on standardized breast-cancer data, 3-D (C, gamma, tol, log scales), CV error."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    model = make_pipeline(StandardScaler(), SVC(
        C=float(params["C"]), gamma=float(params["gamma"]), tol=float(params["tol"])))
    return cv_objective(model, "breast", "error")


def knn_breast(params: Mapping[str, Any]) -> float:
    """k-nearest neighbours on standardized breast-cancer data, 3-D (k, Minkowski p,
    weighting), 5-fold CV error rate: a small discrete space full of ties."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), KNeighborsClassifier(
        n_neighbors=int(params["n_neighbors"]), p=int(params["p"]),
        weights=str(params["weights"]), n_jobs=1))
    return cv_objective(model, "breast", "error")


def lasso_diabetes(params: Mapping[str, Any]) -> float:
    """Lasso on diabetes, 2-D (alpha log-scaled, fit_intercept), 5-fold CV mean squared error."""
    from sklearn.linear_model import Lasso

    model = Lasso(alpha=float(params["alpha"]), fit_intercept=bool(params["fit_intercept"]),
                  max_iter=5000)
    return cv_objective(model, "diabetes", "mse")


def _task(name: str, space: SearchSpace, fn: Callable[[Mapping[str, Any]], float]) -> Problem:
    return Problem(name, space, fn, 0.0, {}, f_star_known=False, requires=("sklearn",))


def _build() -> dict[str, Problem]:
    tasks = [
        _task("dt_wine", _tree_space(), dt_wine),
        _task("dt_wine_noisy", _tree_space(), dt_wine_noisy),
        _task("rf_wine", _tree_space(), rf_wine),
        _task("svm_breast", SearchSpace({
            "C": Continuous(1e-2, 1e3, "log"),
            "gamma": Continuous(1e-4, 1.0, "log"),
            "tol": Continuous(1e-5, 1e-1, "log"),
        }), svm_breast),
        _task("knn_breast", SearchSpace({
            "n_neighbors": Integer(1, 40, "linear"),
            "p": Integer(1, 4, "linear"),
            "weights": Categorical(("uniform", "distance")),
        }), knn_breast),
        _task("lasso_diabetes", SearchSpace({
            "alpha": Continuous(1e-5, 1e2, "log"),
            "fit_intercept": Categorical((True, False)),
        }), lasso_diabetes),
    ]
    return {t.name: t for t in tasks}


#: The scikit-learn tasks by name, in the order ``--problems all`` runs them.
SKLEARN_TASKS: dict[str, Problem] = _build()
