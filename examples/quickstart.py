"""Quickstart: tune a benchmark problem with the ask/tell API and print the best trial.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import math

from hpo_core import Categorical, Continuous, Integer, Optimizer, SearchSpace

space = SearchSpace({
    "x1": Continuous(-5.0, 10.0),
    "x2": Continuous(0.0, 15.0),
    "scale": Categorical(["unit", "double"]),
    "repeats": Integer(1, 3),
})


def branin(params: dict) -> float:
    """Branin's function (minimum 0.397887 at three points), doubled when scale is 'double'."""
    x1, x2 = params["x1"], params["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    value = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
    return value * (2.0 if params["scale"] == "double" else 1.0)


def main() -> None:
    opt = Optimizer(space, strategy="random", objective="minimize", seed=0)
    opt.enqueue({"x1": 0.0, "x2": 5.0, "scale": "unit", "repeats": 1})  # a known default first
    for _ in range(200):  # ask/tell loop: your training code goes where branin() is
        trial = opt.ask()
        opt.tell(trial, branin(trial.params))
    best = opt.best
    print(f"trials: {len(opt.trials)}  best trial: #{best.id}  value: {best.value:.6f}")
    print("best hyperparameters:", {k: round(v, 4) if isinstance(v, float) else v
                                    for k, v in best.params.items()})
    print("as AMT hyperparameter strings:", space.to_strings(best.params))


if __name__ == "__main__":
    main()
