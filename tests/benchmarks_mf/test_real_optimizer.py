"""The simulator driving the real :class:`hpo_core.Optimizer` through ask / report / tell.

Random search, the median rule and Hyperband are all offered by the Optimizer: an Optimizer that
refuses one fails the test. Only a missing optional package (an extra's) skips it, and only
outside CI (:mod:`tests.optional`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hpo_core import Optimizer
from hpo_core.benchmarks.multifidelity.acceptance import optimizer_factory
from hpo_core.benchmarks.multifidelity.problems import MultiFidelityProblem, hartmann6_mf
from hpo_core.benchmarks.multifidelity.simulator import OUTCOMES, SimResult, simulate
from tests.optional import skip_unless_optional


@pytest.fixture(scope="module")
def problem() -> MultiFidelityProblem:
    return hartmann6_mf(max_resource=27)


def _run(problem: MultiFidelityProblem, strategy: str, **kw: Any
         ) -> tuple[SimResult, Optimizer]:
    options = {k: kw.pop(k) for k in ("mode", "early_stopping") if k in kw}
    factory = optimizer_factory(strategy, **options)
    made: list[Optimizer] = []

    def make(p: MultiFidelityProblem, seed: int) -> Any:
        try:
            opt = factory(p, seed)
        except ImportError as e:
            skip_unless_optional(e)
        made.append(opt)
        return opt

    result = simulate(problem, make, **kw)
    return result, made[0]


def _check(result: SimResult, opt: Optimizer, problem: MultiFidelityProblem) -> None:
    seg = result.segments
    assert result.total_resource == result.n_reports == (seg.last_step - seg.first_step + 1).sum()
    assert result.n_trials == len(opt.trials)
    completed = set(seg.trial[seg.outcome == OUTCOMES.index("completed")].tolist())
    assert completed == {t.id for t in opt.trials if t.status == "completed"}
    stopped = set(seg.trial[seg.outcome == OUTCOMES.index("stopped")].tolist())
    assert stopped == {t.id for t in opt.trials if t.status == "stopped"}
    if completed:
        assert opt.best is not None and opt.best.value == result.final_best
        assert np.min(result.final_value) == result.final_best  # minimize


def test_random_without_early_stopping(problem) -> None:
    result, opt = _run(problem, "random", n_workers=4, budget=27 * 30, seed=0)
    _check(result, opt, problem)
    assert result.counts["stopped"] == result.counts["paused"] == 0
    assert result.counts["completed"] >= 26


def test_random_with_the_median_rule(problem) -> None:
    off, _ = _run(problem, "random", n_workers=4, max_trials=60, seed=1)
    auto, opt = _run(problem, "random", early_stopping="auto", n_workers=4, max_trials=60,
                     seed=1)
    _check(auto, opt, problem)
    assert auto.counts["stopped"] > 0
    assert auto.total_resource < off.total_resource == 60 * 27


@pytest.mark.parametrize("mode", ["stopping", "promotion"])
def test_hyperband(problem, mode) -> None:
    result, opt = _run(problem, "hyperband", mode=mode, n_workers=8, budget=27 * 40, seed=2)
    _check(result, opt, problem)
    assert result.total_resource == 27 * 40
    if mode == "stopping":
        assert result.counts["stopped"] > 0 and result.counts["paused"] == 0
    else:
        assert result.counts["paused"] > 0 and result.counts["resumed"] > 0
    again, _ = _run(problem, "hyperband", mode=mode, n_workers=8, budget=27 * 40, seed=2)
    np.testing.assert_array_equal(result.final_value, again.final_value)
    assert result.counts == again.counts
