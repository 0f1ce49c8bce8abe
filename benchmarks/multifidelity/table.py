"""The shipped learning-curve table as a multi-fidelity problem (``mlp_digits``).

``benchmarks/data/mlp_digits_curves.npz`` holds scikit-learn ``MLPClassifier`` learning curves
on the bundled digits data, one per sampled configuration, 81 epochs each; the script that
made it, its command and the sampling distributions are in
:mod:`hpo_core.benchmarks.multifidelity.make_learning_curves`.

Search space (the real hyperparameters, with the ranges the table was sampled from)::

    n_layers            Integer(1, 2)
    n_units             Integer(16, 256, "log")
    activation          Categorical(["relu", "tanh", "logistic"])
    learning_rate_init  Continuous(1e-4, 1.0, "log")
    momentum            Continuous(0.0, 0.99, "linear")
    alpha               Continuous(1e-6, 1e-1, "log")
    batch_size          Integer(16, 256, "log")

Lookup (how any strategy can use a finite table): a suggested point is answered with the
curve of the *nearest sampled configuration* with the same categorical values, where
"nearest" is the Euclidean distance between the points' encodings in the unit cube of
:meth:`SearchSpace.encode` (the coordinates every strategy works in, so log-scaled
parameters are compared on the log scale). A configuration of the table is answered with its
own curve exactly. This is the usual nearest-neighbour surrogate of tabular benchmarks; its
resolution is that of ~2000 points in a 6-D cube per activation, so the optimum is the
table's best configuration.

Objective: validation accuracy after each epoch (maximize), or ``metric="val_loss"``
(minimize). One epoch costs the configuration's measured mean epoch seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpo_core.benchmarks.multifidelity.base import Curve, MultiFidelityProblem, Params
from hpo_core.errors import HPOError
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace

__all__ = ["TABLE_PATH", "CurveTable", "NearestLookup", "load_table", "mlp_digits",
           "mlp_digits_space"]

#: Where the table ships (``hpo_core/benchmarks/data/`` once installed).
TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "mlp_digits_curves.npz"
_NUMERIC = ("n_layers", "n_units", "learning_rate_init", "momentum", "alpha", "batch_size")
_CATEGORICAL_PENALTY = 1e6  # larger than any squared distance inside the cube


def mlp_digits_space() -> SearchSpace:
    """The search space of the table (see the module docstring)."""
    return SearchSpace({
        "n_layers": Integer(1, 2),
        "n_units": Integer(16, 256, "log"),
        "activation": Categorical(["relu", "tanh", "logistic"]),
        "learning_rate_init": Continuous(1e-4, 1.0, "log"),
        "momentum": Continuous(0.0, 0.99, "linear"),
        "alpha": Continuous(1e-6, 1e-1, "log"),
        "batch_size": Integer(16, 256, "log"),
    })


@dataclass(frozen=True)
class CurveTable:
    """The table's arrays (n configurations, E epochs).

    Attributes:
        params: the configurations as parameter dicts, length n.
        val_accuracy: shape ``(n, E)``, validation accuracy after each epoch.
        val_loss: shape ``(n, E)``, validation log loss after each epoch.
        epoch_seconds: shape ``(n,)``, measured mean seconds of one epoch.
        diverged_at: shape ``(n,)``, the 1-based epoch SGD diverged at, 0 if never.
        meta: the generator's provenance record.
    """

    params: list[dict[str, Any]]
    val_accuracy: np.ndarray
    val_loss: np.ndarray
    epoch_seconds: np.ndarray
    diverged_at: np.ndarray
    meta: dict[str, Any]

    @property
    def n_configs(self) -> int:
        """Number of configurations."""
        return len(self.params)

    @property
    def max_epochs(self) -> int:
        """Number of epochs recorded per configuration."""
        return int(self.val_accuracy.shape[1])


def load_table(path: str | Path = TABLE_PATH) -> CurveTable:
    """Read the table file.

    Raises:
        HPOError: the file is missing (the message says how to regenerate it).
    """
    path = Path(path)
    if not path.is_file():
        raise HPOError(f"learning-curve table not found at {path}; regenerate it with "
                       "benchmarks/multifidelity/make_learning_curves.py")
    with np.load(path, allow_pickle=False) as data:
        names = [str(a) for a in data["activations"]]
        cols = {k: data[k] for k in (*_NUMERIC, "activation")}
        n = len(cols["n_layers"])
        params = [{
            "n_layers": int(cols["n_layers"][i]), "n_units": int(cols["n_units"][i]),
            "activation": names[int(cols["activation"][i])],
            "learning_rate_init": float(cols["learning_rate_init"][i]),
            "momentum": float(cols["momentum"][i]), "alpha": float(cols["alpha"][i]),
            "batch_size": int(cols["batch_size"][i]),
        } for i in range(n)]
        accuracy = data["val_correct"].astype(np.float64) / float(data["n_val"])
        return CurveTable(params, accuracy, data["val_loss"].astype(np.float64),
                          data["epoch_seconds"].astype(np.float64),
                          data["diverged_at"].astype(np.int64), json.loads(str(data["meta"])))


class NearestLookup:
    """Index of the table's configurations in the unit cube of ``space``.

    Args:
        space: the search space (its encoding defines the distance).
        params: the table's configurations.
    """

    def __init__(self, space: SearchSpace, params: list[dict[str, Any]]) -> None:
        coords = space.coordinates
        self._space = space
        self._cat = np.array([c.kind == "categorical" for c in coords])
        self._points = np.array([space.encode(p) for p in params])  # (n, dims)

    def index(self, params: Params) -> int:
        """The row of the nearest configuration (lowest row among ties)."""
        u = self._space.encode(params)
        diff = self._points - u
        num = diff[:, ~self._cat]
        dist = np.einsum("ij,ij->i", num, num)
        if self._cat.any():
            dist = dist + _CATEGORICAL_PENALTY * (np.abs(diff[:, self._cat]) > 1e-12).sum(1)
        return int(np.argmin(dist))


def mlp_digits(metric: str = "val_accuracy", path: str | Path = TABLE_PATH
               ) -> MultiFidelityProblem:
    """The ``mlp_digits`` problem over the shipped table.

    Args:
        metric: ``"val_accuracy"`` (maximize) or ``"val_loss"`` (minimize).
        path: the table file.
    """
    if metric not in ("val_accuracy", "val_loss"):
        raise HPOError(f"metric: expected 'val_accuracy' or 'val_loss', got {metric!r}")
    table = load_table(path)
    space = mlp_digits_space()
    lookup = NearestLookup(space, table.params)
    curves = table.val_accuracy if metric == "val_accuracy" else table.val_loss
    maximize = metric == "val_accuracy"
    final = curves[:, -1]
    optimum = float(final.max() if maximize else final.min())
    seconds = table.epoch_seconds

    def curve(params: Params) -> Curve:
        row = lookup.index(params)
        return Curve(curves[row], float(seconds[row]))

    return MultiFidelityProblem(
        "mlp_digits", space, table.max_epochs, "maximize" if maximize else "minimize",
        optimum, curve,
        f"MLPClassifier on sklearn digits, {table.n_configs} configurations, {metric}")
