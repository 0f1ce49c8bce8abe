"""Generate the shipped learning-curve table ``benchmarks/data/mlp_digits_curves.npz``.

Trains scikit-learn's ``MLPClassifier`` (solver ``sgd``, Nesterov momentum, constant learning
rate) epoch by epoch with ``partial_fit`` on scikit-learn's bundled digits data (``load_digits``:
1797 8x8 images, 10 classes; no download), and records after every epoch the validation
accuracy, the validation log loss, the training loss and the epoch's wall time.

Run (from the repository root; one process, BLAS pinned to one thread)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/multifidelity/make_learning_curves.py \\
        --n-configs 2000 --out benchmarks/data/mlp_digits_curves.npz

Runtime of the shipped table (2000 configurations x 81 epochs, scikit-learn 1.9.1, numpy
2.4.6, Python 3.11.7): 3197 s (53 min) in one thread on a 2-core machine shared with other
work (about 0.85 s per configuration when the core is free). Output 1.3 MB. Final validation
accuracy over the 2000 configurations: min 0.009, 10% 0.109, 25% 0.391, median 0.920,
75% 0.970, 99% 0.981, max 0.985 (1063 above 0.9).

Determinism:
    * data: ``X / 16``; a stratified 70/30 train/validation split with ``random_state=0``
      (1257 training, 540 validation images).
    * configurations: ``MAX_CONFIGS`` configurations are drawn at once from
      ``numpy.random.default_rng(CONFIG_SEED)`` and the table keeps the first ``--n-configs``,
      so a smaller table is a prefix of a larger one.
    * training: configuration ``i`` uses ``random_state=i`` (weight init and shuffling).

Sampled hyperparameters (independently; "log" = log-uniform, integers rounded after the draw):
    n_layers            integer in {1, 2}, uniform
    n_units             integer in [16, 256], log (every hidden layer has this width)
    activation          'relu' | 'tanh' | 'logistic', uniform
    learning_rate_init  [1e-4, 1], log
    momentum            [0, 0.99], uniform
    alpha               [1e-6, 1e-1], log (L2 penalty)
    batch_size          integer in [16, 256], log

Divergence: when SGD produces non-finite weights (scikit-learn raises ``ValueError``) or
non-finite validation probabilities, the configuration is marked diverged at that epoch
(``diverged_at``, 1-based; 0 = never) and every later epoch records the majority-class
accuracy of the validation set and a validation loss of ``DIVERGED_LOSS``.

File contents (``numpy.savez_compressed``), n = configurations, E = ``MAX_EPOCHS``:
    n_layers (n,) int8, n_units (n,) int16, activation (n,) int8 (index into
    ``activations``), learning_rate_init (n,) float64, momentum (n,) float64, alpha (n,)
    float64, batch_size (n,) int16, activations (3,) str,
    val_correct (n, E) uint16: correctly classified validation images after each epoch,
    n_val () int64: the validation set size (accuracy = val_correct / n_val),
    val_loss (n, E) float32, train_loss (n, E) float32,
    epoch_seconds (n,) float32: mean measured wall time of one epoch (fit + validation),
    diverged_at (n,) int16, meta () str: JSON provenance.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

MAX_EPOCHS = 81
MAX_CONFIGS = 4000
CONFIG_SEED = 20261123
SPLIT_SEED = 0
DIVERGED_LOSS = float(np.log(1e15))  # the log loss of probability 1e-15 on the true class
ACTIVATIONS = ("relu", "tanh", "logistic")


def sample_configs(n: int) -> dict[str, np.ndarray]:
    """The first ``n`` of the ``MAX_CONFIGS`` configurations drawn from ``CONFIG_SEED``.

    Args:
        n: how many configurations, ``1 <= n <= MAX_CONFIGS``.

    Returns:
        Column arrays of shape ``(n,)`` keyed by hyperparameter name.
    """
    if not 1 <= n <= MAX_CONFIGS:
        raise ValueError(f"n: expected 1..{MAX_CONFIGS}, got {n}")
    rng = np.random.default_rng(CONFIG_SEED)
    m = MAX_CONFIGS

    def log_uniform(lo: float, hi: float) -> np.ndarray:
        return np.exp(rng.uniform(np.log(lo), np.log(hi), size=m))

    cols = {
        "n_layers": rng.integers(1, 3, size=m).astype(np.int8),
        "n_units": np.clip(np.rint(log_uniform(16, 256)), 16, 256).astype(np.int16),
        "activation": rng.integers(0, len(ACTIVATIONS), size=m).astype(np.int8),
        "learning_rate_init": log_uniform(1e-4, 1.0),
        "momentum": rng.uniform(0.0, 0.99, size=m),
        "alpha": log_uniform(1e-6, 1e-1),
        "batch_size": np.clip(np.rint(log_uniform(16, 256)), 16, 256).astype(np.int16),
    }
    return {k: v[:n] for k, v in cols.items()}


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed stratified split of the digits data: ``(x_train, x_val, y_train, y_val)``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return tuple(train_test_split(x / 16.0, y, test_size=0.3, stratify=y,  # type: ignore[return-value]
                                  random_state=SPLIT_SEED))


def train_curve(cfg: dict[str, Any], seed: int, data: tuple[np.ndarray, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Train one configuration for ``MAX_EPOCHS`` epochs, one ``partial_fit`` per epoch.

    Returns:
        ``(val_correct (E,), val_loss (E,), train_loss (E,), mean epoch seconds, diverged_at)``.
    """
    from sklearn.neural_network import MLPClassifier

    x_tr, x_va, y_tr, y_va = data
    classes = np.arange(10)
    model = MLPClassifier(
        hidden_layer_sizes=(int(cfg["n_units"]),) * int(cfg["n_layers"]),
        activation=ACTIVATIONS[int(cfg["activation"])], solver="sgd",
        learning_rate="constant", learning_rate_init=float(cfg["learning_rate_init"]),
        momentum=float(cfg["momentum"]), nesterovs_momentum=True,
        alpha=float(cfg["alpha"]), batch_size=int(cfg["batch_size"]), random_state=seed)
    correct = np.zeros(MAX_EPOCHS, np.uint16)
    val_loss = np.zeros(MAX_EPOCHS, np.float32)
    train_loss = np.zeros(MAX_EPOCHS, np.float32)
    majority = int(np.bincount(y_va).max())
    diverged_at = 0
    start = time.perf_counter()
    for epoch in range(MAX_EPOCHS):
        if not diverged_at:
            try:
                model.partial_fit(x_tr, y_tr, classes=classes)
                proba = model.predict_proba(x_va)
                ok = bool(np.isfinite(proba).all()) and np.isfinite(model.loss_)
            except (ValueError, FloatingPointError, OverflowError):
                ok = False
            if ok:
                correct[epoch] = int((proba.argmax(axis=1) == y_va).sum())
                p_true = np.clip(proba[np.arange(len(y_va)), y_va], 1e-15, 1.0)
                val_loss[epoch] = -np.mean(np.log(p_true))
                train_loss[epoch] = model.loss_
                continue
            diverged_at = epoch + 1
        correct[epoch] = majority
        val_loss[epoch] = train_loss[epoch] = DIVERGED_LOSS
    seconds = (time.perf_counter() - start) / MAX_EPOCHS
    return correct, val_loss, train_loss, seconds, diverged_at


def main(argv: list[str] | None = None) -> int:
    """Generate the table; see the module docstring for the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-configs", type=int, default=2000)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "data"
                        / "mlp_digits_curves.npz")
    parser.add_argument("--checkpoint-every", type=int, default=100)
    args = parser.parse_args(argv)

    import sklearn
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore")  # ConvergenceWarning on every partial_fit, overflow
    np.seterr(all="ignore")
    cfgs = sample_configs(args.n_configs)
    data = load_split()
    n, t0 = args.n_configs, time.perf_counter()
    correct = np.zeros((n, MAX_EPOCHS), np.uint16)
    val_loss = np.zeros((n, MAX_EPOCHS), np.float32)
    train_loss = np.zeros((n, MAX_EPOCHS), np.float32)
    seconds = np.zeros(n, np.float32)
    diverged = np.zeros(n, np.int16)
    meta = {"generator": "benchmarks/multifidelity/make_learning_curves.py",
            "sklearn": sklearn.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0], "config_seed": CONFIG_SEED,
            "split_seed": SPLIT_SEED, "max_epochs": MAX_EPOCHS, "n_train": len(data[2]),
            "n_val": len(data[3]), "dataset": "sklearn.datasets.load_digits, X / 16"}

    def save(done: int) -> None:
        meta["n_configs"] = done
        meta["elapsed_seconds"] = round(time.perf_counter() - t0, 1)
        tmp = args.out.with_name(args.out.stem + ".tmp.npz")
        arrays: dict[str, Any] = {k: v[:done] for k, v in cfgs.items()}
        arrays.update(
            activations=np.array(ACTIVATIONS), val_correct=correct[:done],
            n_val=np.int64(len(data[3])), val_loss=val_loss[:done],
            train_loss=train_loss[:done], epoch_seconds=seconds[:done],
            diverged_at=diverged[:done], meta=np.array(json.dumps(meta, sort_keys=True)))
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, args.out)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with threadpool_limits(1):
        for i in range(n):
            cfg = {k: v[i] for k, v in cfgs.items()}
            correct[i], val_loss[i], train_loss[i], seconds[i], diverged[i] = train_curve(
                cfg, i, data)
            if (i + 1) % args.checkpoint_every == 0 or i + 1 == n:
                save(i + 1)
                acc = correct[: i + 1, -1] / len(data[3])
                print(f"{i + 1}/{n} configs, {time.perf_counter() - t0:.0f} s, final acc "
                      f"quantiles {np.quantile(acc, [0, .25, .5, .75, 1]).round(3)}",
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
