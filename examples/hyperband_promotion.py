"""Hyperband in promotion mode: a complete worker loop with checkpoints, runs in seconds.

In promotion mode each trial is first given a small resource (``trial.resource``, its rung);
at that step ``report`` answers ``"pause"``: keep the trial's state (a checkpoint) and ask for
the next one. When a rung holds enough results, a later ``ask()`` returns a paused trial again
(same id, ``trial.is_resume``) with a larger resource: load its checkpoint and train on from
``trial.last_step``. Only a trial that reaches max_resource is told its final value; a trial
that breaks is told ``failed=True``.

The "training" here is a toy learning curve, so the whole loop runs in a fraction of a second:
replace ``train_one_epoch`` with your own epoch.

Run: python examples/hyperband_promotion.py
"""

from __future__ import annotations

import math
from typing import Any

from hpo_core import Continuous, Integer, Optimizer, SearchSpace

MAX_EPOCHS = 27
EPOCH_BUDGET = 1500  # the budget: epochs trained over all trials


def train_one_epoch(params: dict[str, Any], state: dict[str, float], epoch: int) -> float:
    """One epoch of a toy model; returns the validation accuracy after it."""
    lr, width = params["lr"], params["width"]
    quality = math.exp(-((math.log10(lr) + 2.0) ** 2)) * (1 - 1 / (1 + width / 32))
    state["acc"] = quality * (1 - math.exp(-epoch / 6))  # the learning curve
    return state["acc"]


def main() -> None:
    space = SearchSpace({"lr": Continuous(1e-4, 1.0, "log"), "width": Integer(8, 256, "log")})
    opt = Optimizer(space, strategy="hyperband", objective="maximize", seed=0,
                    min_resource=1, max_resource=MAX_EPOCHS, eta=3, mode="promotion")
    checkpoints: dict[int, dict[str, float]] = {}  # trial id -> model state (yours: files)
    epochs = started = promoted = 0
    while epochs < EPOCH_BUDGET:
        trial = opt.ask()  # a paused trial that is due for promotion, else a new configuration
        if trial.is_resume:
            promoted += 1
            state = checkpoints.pop(trial.id)  # load its checkpoint; train on from last_step
        else:
            started += 1
            state = {}
        try:
            decision = "continue"
            resource = trial.resource or MAX_EPOCHS  # always set under hyperband
            for epoch in range(trial.last_step + 1, resource + 1):
                value = train_one_epoch(trial.params, state, epoch)
                epochs += 1
                decision = opt.report(trial, epoch, value)
                if decision != "continue":
                    break
        except Exception as e:  # a broken run fails the trial; the loop goes on
            opt.tell(trial, failed=True, reason=f"{type(e).__name__}: {e}")
            continue
        if decision == "pause":  # reached its rung: keep it until it is promoted
            checkpoints[trial.id] = state
        elif decision == "continue":  # reached max_resource: the final value
            opt.tell(trial, state["acc"])
        # "stop" (a NaN or infinite value failed the trial): it is finished, nothing to tell
    best = opt.best
    counts: dict[str, int] = {}
    for t in opt.trials:
        counts[t.status] = counts.get(t.status, 0) + 1
    # Trials still paused when the budget ran out stay paused (a saved optimizer resumes them).
    print(f"{epochs} epochs: {started} configurations, {promoted} promoted, statuses {counts}")
    if best is not None:
        print(f"best trial: #{best.id} accuracy {best.value:.4f} at {MAX_EPOCHS} epochs, "
              f"lr={best.params['lr']:.3g} width={best.params['width']}")


if __name__ == "__main__":
    main()
