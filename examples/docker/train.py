#!/usr/bin/env python3
"""SageMaker-style training entry point (``train``) of the Docker example.

Reads the container contract (``/opt/ml/input/config/hyperparameters.json``, every value a
string; the optional ``train`` channel), fits a ridge regression by gradient descent with numpy,
and prints one ``epoch=N validation:rmse=V`` line per epoch, which the job's MetricDefinitions
regex reads. The model goes to ``/opt/ml/model``; on an error the reason goes to
``/opt/ml/output/failure`` (what the tuner shows) and the exit status is 1.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import numpy as np

#: /opt/ml in a container; elsewhere (the local and Ray backends) the job directory.
ML = (Path(os.environ["SM_INPUT_CONFIG_DIR"]).parents[1] if "SM_INPUT_CONFIG_DIR" in os.environ
      else Path("/opt/ml"))


def load_data(channel: Path) -> tuple[np.ndarray, np.ndarray]:
    """``data.csv`` of the channel (last column the target), else a fixed synthetic problem."""
    csv = channel / "data.csv"
    if csv.is_file():
        table = np.loadtxt(csv, delimiter=",", ndmin=2)
        return table[:, :-1], table[:, -1]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    w = np.linspace(-1.0, 1.0, 8)
    return x, x @ w + 0.3 * rng.normal(size=400)


def main() -> int:
    hp = json.loads((ML / "input" / "config" / "hyperparameters.json").read_text())
    lr = float(hp.get("learning_rate", "0.05"))
    alpha = float(hp.get("alpha", "0.001"))
    epochs = int(hp.get("epochs", "10"))
    if not 0 < lr < 1:
        raise ValueError(f"learning_rate must be in (0, 1), got {lr}")
    x, y = load_data(ML / "input" / "data" / "train")
    n_train = int(0.8 * len(y))
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    w = np.zeros(x.shape[1])
    for epoch in range(1, epochs + 1):
        grad = xt.T @ (xt @ w - yt) / n_train + alpha * w
        w -= lr * grad
        rmse = float(np.sqrt(np.mean((xv @ w - yv) ** 2)))
        print(f"epoch={epoch} validation:rmse={rmse:.6f}", flush=True)
    (ML / "model").mkdir(parents=True, exist_ok=True)
    np.save(ML / "model" / "weights.npy", w)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        (ML / "output").mkdir(parents=True, exist_ok=True)
        (ML / "output" / "failure").write_text(f"{type(e).__name__}: {e}\n")
        traceback.print_exc()
        sys.exit(1)
