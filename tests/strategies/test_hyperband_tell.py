"""Hyperband: a told value is the value at the trial's resource, so telling a trial whose
reports stopped below it is an error; the legitimate tells still work. Also runs the
promotion-mode worker loop example."""

from __future__ import annotations

import runpy
import time
from pathlib import Path

import pytest

from hpo_core import Continuous, Optimizer, OptimizerError, SearchSpace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hyperband_promotion.py"


def _opt(mode: str = "stopping", **options: int) -> Optimizer:
    return Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), "hyperband", "maximize", seed=0,
                     mode=mode, **{"min_resource": 1, "max_resource": 81, "eta": 3, **options})


def test_tell_after_reports_below_the_resource_is_an_error() -> None:
    opt = _opt()
    trial = opt.ask()
    assert trial.resource == 81
    assert opt.report(trial, 3, 0.5) == "continue"
    with pytest.raises(OptimizerError, match=r"trial 0 reported up to step 3 of its resource "
                                             r"81"):
        opt.tell(trial, 0.74)
    assert trial.status == "pending" and trial.value is None  # nothing changed: go on
    assert opt.report(trial, 81, 0.74) == "continue"
    assert opt.tell(trial, 0.74).status == "completed"
    assert opt.best is trial


def test_a_failed_tell_is_always_accepted() -> None:
    opt = _opt()
    trial = opt.ask()
    opt.report(trial, 3, 0.5)
    assert opt.tell(trial, failed=True, reason="out of memory").status == "failed"
    other = opt.ask()
    opt.report(other, 2, 0.5)
    assert opt.tell(other, float("nan")).status == "failed"  # a non-finite value fails it


def test_a_tell_without_reports_is_taken_as_at_the_resource() -> None:
    opt = _opt()
    trial = opt.ask()
    assert opt.tell(trial, 0.9).status == "completed"


def test_a_trial_the_strategy_stopped_needs_no_tell() -> None:
    opt = _opt(max_resource=9)
    stopped = None
    for _ in range(30):
        trial = opt.ask()
        for step in range(1, 10):
            if opt.report(trial, step, trial.id * -0.01) == "stop":  # later trials are worse
                stopped = trial
                break
        else:
            opt.tell(trial, trial.id * -0.01)
        if stopped is not None:
            break
    assert stopped is not None and stopped.status == "stopped"
    with pytest.raises(OptimizerError, match="was stopped"):
        opt.tell(stopped, 0.1)


def test_promotion_mode_tells_only_at_the_top_rung() -> None:
    opt = _opt("promotion", min_resource=3, max_resource=27)
    trial = next(t for t in (opt.ask() for _ in range(20)) if t.resource < 27)
    opt.report(trial, 1, 0.5)
    with pytest.raises(OptimizerError, match=rf"reported up to step 1 of its resource "
                                             rf"{trial.resource}"):
        opt.tell(trial, 0.5)
    assert opt.report(trial, trial.resource, 0.6) == "pause"
    with pytest.raises(OptimizerError, match="paused"):
        opt.tell(trial, 0.6)


def test_the_promotion_worker_loop_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "best trial" in out and "promoted" in out
    assert time.monotonic() - start < 60
