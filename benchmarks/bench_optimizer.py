"""Speed benchmarks (pytest-benchmark): optimizer overhead per ask + tell.

Run the figures with ``pytest benchmarks/bench_optimizer.py``; CI runs each once as a plain
test with ``--benchmark-disable``, so every benchmark is fast and asserts its result.
Quality (regret) is measured by ``hpo bench``, not here.
"""

from __future__ import annotations

from typing import Any

from hpo_core import Optimizer, Trial
from hpo_core.benchmarks.problems import PROBLEMS

#: 10-D continuous box (Ackley's), the space the overhead is measured on.
_ACKLEY = PROBLEMS["ackley10"]


def test_random_ask_tell_10d(benchmark: Any) -> None:
    """One ask + tell of random search on a 10-D space (the history grows across rounds)."""
    opt = Optimizer(_ACKLEY.space, "random", seed=0)

    def step() -> Trial:
        trial = opt.ask()
        return opt.tell(trial, _ACKLEY(trial.params))

    trial = benchmark(step)
    assert trial.status == "completed"
    assert _ACKLEY.space.validate(trial.params) == trial.params
    assert trial.value is not None and trial.value >= _ACKLEY.f_star


def test_random_50_trials_10d(benchmark: Any) -> None:
    """A fresh random Optimizer through 50 ask + tell steps on the 10-D space."""

    def fifty() -> Optimizer:
        opt = Optimizer(_ACKLEY.space, "random", seed=1)
        for _ in range(50):
            trial = opt.ask()
            opt.tell(trial, _ACKLEY(trial.params))
        return opt

    opt = benchmark(fifty)
    assert len(opt.trials) == 50
    assert all(t.status == "completed" for t in opt.trials)
    assert opt.best is not None and opt.best.value >= _ACKLEY.f_star
