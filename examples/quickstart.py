"""Quickstart: tune a benchmark problem with the ask/tell API and print the best trial.

The problem is ``mixed`` from the benchmark suite: a log-scaled learning rate, a dropout rate,
integer layers and batch size (log-scaled), and a categorical optimizer, with a known optimum
(regret 0 at lr=1e-3, dropout=0.2, layers=4, batch_size=64, optimizer=adam).

Run: python examples/quickstart.py
"""

from __future__ import annotations

from hpo_core import Optimizer
from hpo_core.benchmarks.problems import get_problem


def main() -> None:
    problem = get_problem("mixed")
    opt = Optimizer(problem.space, strategy="random", objective="minimize", seed=0)
    # A known default goes first, as you would try your current settings.
    opt.enqueue({"lr": 1e-2, "dropout": 0.0, "layers": 2, "batch_size": 256, "optimizer": "sgd"})
    for _ in range(100):  # the ask/tell loop: your training code goes where problem() is
        trial = opt.ask()
        opt.tell(trial, problem(trial.params))
    best = opt.best
    print(f"strategy: {opt.strategy}  trials: {len(opt.trials)}  best trial: #{best.id}")
    print(f"best value: {best.value:.4f}  (regret {best.value - problem.f_star:.4f})")
    print("best hyperparameters (AMT strings):", problem.space.to_strings(best.params))


if __name__ == "__main__":
    main()
