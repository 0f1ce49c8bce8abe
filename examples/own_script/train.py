"""A training script in the SageMaker container contract, the smallest kind: it reads its
hyperparameters, "trains" for a few epochs and prints its metric once per epoch.

The model is a stand-in (a closed-form loss, so it runs in a blink): replace the loop body
with your training. ``hpo_core.training`` needs nothing but the standard library at run time
and works the same inside SageMaker's containers (it reads ``/opt/ml`` or
``SAGEMAKER_BASE_DIR``).
"""

from __future__ import annotations

import math

from hpo_core import training


def main() -> None:
    hp = training.hyperparameters()  # AMT's strings, parsed: {"lr": 0.01, "depth": 4, ...}
    lr, depth, optimizer = hp["lr"], hp["depth"], hp["optimizer"]
    epochs = int(hp.get("epochs", 5))
    penalty = {"adam": 0.0, "sgd": 0.15}[optimizer]
    floor = (math.log10(lr) + 2.5) ** 2 / 4 + (depth - 6) ** 2 / 50 + penalty
    for epoch in range(1, epochs + 1):
        loss = floor + 1.0 / epoch  # a learning curve that flattens towards the floor
        training.report(validation_loss=loss)  # prints "validation_loss=..." (one step)
    (training.save_dir() / "model.txt").write_text(f"lr={lr} depth={depth}\n")


if __name__ == "__main__":
    main()
