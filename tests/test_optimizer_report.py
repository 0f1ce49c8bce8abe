"""Optimizer.report(): intermediate results, validation, and the replayable event log."""

from __future__ import annotations

import pytest

from hpo_core import Continuous, Optimizer, OptimizerError, SearchSpace


@pytest.fixture
def opt() -> Optimizer:
    return Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), seed=0)


def test_reports_are_recorded_and_continue_without_early_stopping(opt):
    t = opt.ask()
    assert [opt.report(t, s, 1.0 / s) for s in (1, 2, 5)] == ["continue"] * 3
    assert t.reports == [[1, 1.0], [2, 0.5], [5, 0.2]] and t.last_step == 5
    opt.tell(t, 0.2)
    assert t.status == "completed"


@pytest.mark.parametrize("step, message", [
    (0, "step must be an int >= 1, got 0"),
    (-3, "step must be an int >= 1"),
    (1.5, "step must be an int >= 1, got 1.5"),
    (True, "step must be an int >= 1, got True"),
])
def test_bad_steps(opt, step, message):
    t = opt.ask()
    with pytest.raises(OptimizerError, match=message):
        opt.report(t, step, 0.5)


def test_steps_must_increase(opt):
    t = opt.ask()
    opt.report(t, 3, 0.5)
    with pytest.raises(OptimizerError, match="steps must increase; got step 2 after step 3"):
        opt.report(t, 2, 0.4)
    with pytest.raises(OptimizerError, match="got step 3 after step 3"):
        opt.report(t, 3, 0.4)


def test_bad_values_and_states(opt):
    t = opt.ask()
    with pytest.raises(OptimizerError, match=r"expected a real number, got '0\.5'"):
        opt.report(t, 1, "0.5")
    opt.tell(t, 0.1)
    with pytest.raises(OptimizerError, match="trial 0 is completed"):
        opt.report(t, 2, 0.5)
    with pytest.raises(OptimizerError, match="unknown trial id 9"):
        opt.report(9, 1, 0.5)


def test_non_finite_report_fails_the_trial(opt):
    t = opt.ask()
    assert opt.report(t, 1, float("nan")) == "stop"
    assert t.status == "failed" and "not finite" in t.reason


def test_reports_survive_save_load(opt, tmp_path):
    t = opt.ask()
    opt.report(t, 1, 0.9)
    opt.save(tmp_path / "o.json")
    again = Optimizer.load(tmp_path / "o.json")
    assert again.trials[0].reports == [[1, 0.9]]
    assert again.report(0, 2, 0.8) == "continue"


def test_early_stopping_setting_is_validated():
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    with pytest.raises(OptimizerError, match="early_stopping: expected 'off' or 'auto', got 'on'"):
        Optimizer(space, early_stopping="on")
