"""Train XGBoost on the digits data inside the SageMaker container contract.

Reads its hyperparameters (``input/config/hyperparameters.json``, all strings) and its
``train`` / ``validation`` channels (gzip CSV, label first) through :mod:`hpo_core.training`,
trains a multi-class booster, prints ``validation:accuracy=...`` after every boosting round
(one intermediate point per round) and once more for the final model (the last line is the
final value, as in AMT), and saves the model to ``model/``.

Hyperparameters: the XGBoost ones (``eta``, ``alpha``, ``max_depth``, ``min_child_weight``,
``num_class``, ``objective``, ``nthread``, ...) plus ``num_round`` and
``early_stopping_rounds``.
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb

from hpo_core import training


def _load(channel: str) -> xgb.DMatrix:
    files = sorted(training.channel(channel).glob("*.csv*"))
    if not files:
        training.fail(f"channel {channel!r} holds no .csv or .csv.gz file")
    data = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    return xgb.DMatrix(data[:, 1:], label=data[:, 0])


class _PrintAccuracy(xgb.callback.TrainingCallback):
    """Prints the validation accuracy after every round (1 - merror)."""

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        train = 1.0 - evals_log["train"]["merror"][-1]
        valid = 1.0 - evals_log["validation"]["merror"][-1]
        print(f"[{epoch}] train:accuracy={train:.6f} validation:accuracy={valid:.6f}",
              flush=True)
        return False


def main() -> None:
    hp = training.hyperparameters()
    num_round = int(hp.pop("num_round", 100))
    early = hp.pop("early_stopping_rounds", None)
    params = {"eval_metric": "merror", "tree_method": "hist", "verbosity": 0, **hp}
    dtrain, dvalid = _load("train"), _load("validation")
    booster = xgb.train(params, dtrain, num_boost_round=num_round,
                        evals=[(dtrain, "train"), (dvalid, "validation")],
                        early_stopping_rounds=None if early is None else int(early),
                        callbacks=[_PrintAccuracy()], verbose_eval=False)
    best = getattr(booster, "best_iteration", None)
    rounds = (0, best + 1) if best is not None else (0, 0)
    predicted = booster.predict(dvalid, iteration_range=rounds)
    accuracy = float(np.mean(predicted == dvalid.get_label()))
    training.report({"validation:accuracy": accuracy})
    booster.save_model(training.save_dir() / "xgboost-model.json")


if __name__ == "__main__":
    main()
