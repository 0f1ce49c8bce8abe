"""``Optimizer.optimize``: callbacks in Optuna's convention, ``stop()``, the progress bar, and
the validation of the new arguments."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from hpo_core import Continuous, Optimizer, OptimizerError, SearchSpace
from hpo_core.trial import Trial


@pytest.fixture
def opt() -> Optimizer:
    return Optimizer(SearchSpace({"x": Continuous(-1.0, 1.0)}), "random", seed=3)


def _square(params: dict[str, Any]) -> float:
    return float(params["x"]) ** 2


def test_callbacks_get_the_optimizer_and_each_finished_trial(opt: Optimizer) -> None:
    seen: list[tuple[int, str, int]] = []
    other: list[int] = []

    def record(o: Optimizer, trial: Trial) -> None:
        assert o is opt and trial.status == "completed"
        seen.append((trial.id, trial.status, len(o.trials)))

    opt.optimize(_square, n_trials=4, callbacks=[record, lambda o, t: other.append(t.id)])
    assert seen == [(0, "completed", 1), (1, "completed", 2), (2, "completed", 3),
                    (3, "completed", 4)]
    assert other == [0, 1, 2, 3]


def test_caught_failures_reach_the_callbacks_uncaught_ones_do_not(opt: Optimizer) -> None:
    statuses: list[str] = []

    def fail(params: dict[str, Any]) -> float:
        raise ValueError("bad")

    opt.optimize(fail, n_trials=2, catch=(ValueError,),
                 callbacks=[lambda o, t: statuses.append(t.status)])
    assert statuses == ["failed", "failed"]
    with pytest.raises(ValueError):
        opt.optimize(fail, n_trials=2, callbacks=[lambda o, t: statuses.append(t.status)])
    assert statuses == ["failed", "failed"] and len(opt.trials) == 3


def test_a_callback_stops_the_loop_and_the_next_call_runs_normally(opt: Optimizer) -> None:
    def stop_at_three(o: Optimizer, trial: Trial) -> None:
        if len(o.trials) == 3:
            o.stop()

    opt.optimize(_square, n_trials=10, callbacks=[stop_at_three])
    assert len(opt.trials) == 3
    opt.optimize(_square, n_trials=2)
    assert len(opt.trials) == 5


def test_the_objective_may_stop_the_loop(opt: Optimizer) -> None:
    def fn(params: dict[str, Any]) -> float:
        opt.stop()
        return 1.0

    opt.optimize(fn, n_trials=10)
    assert [t.status for t in opt.trials] == ["completed"]


def test_stop_outside_optimize_is_an_error(opt: Optimizer) -> None:
    with pytest.raises(OptimizerError, match=r"stop: no optimize\(\) loop is running"):
        opt.stop()
    opt.optimize(_square, n_trials=1)
    with pytest.raises(OptimizerError, match="no optimize"):
        opt.stop()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"callbacks": print}, r"callbacks must be a list of callables .* got <built-in"),
    ({"callbacks": "cb"}, r"callbacks must be a list .* got 'cb'"),
    ({"callbacks": [_square, 3]}, r"callbacks\[1\] must be callable .* got 3"),
    ({"show_progress_bar": 1}, r"show_progress_bar must be True or False, got 1 \(int\)"),
    ({"show_progress_bar": "yes"}, r"show_progress_bar must be True or False, got 'yes'"),
])
def test_bad_arguments_name_the_argument_and_value(opt: Optimizer, kwargs: dict[str, Any],
                                                   message: str) -> None:
    with pytest.raises(OptimizerError, match=message):
        opt.optimize(_square, n_trials=2, **kwargs)
    assert opt.trials == []


def test_progress_bar_off_a_terminal_prints_plain_lines(
        opt: Optimizer, capsys: pytest.CaptureFixture[str]) -> None:
    opt.optimize(_square, n_trials=20, show_progress_bar=True)
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 10
    best = opt.best
    assert best is not None
    assert re.fullmatch(rf"optimize: 20/20, best {best.value:.6g}, elapsed \d+:\d\d, "
                        r"left 0:00", lines[-1])
    opt.optimize(_square, n_trials=3)
    assert capsys.readouterr().err == ""  # off by default


def test_progress_bar_on_a_terminal(opt: Optimizer, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    opt.optimize(_square, n_trials=6, show_progress_bar=True)
    text = stream.getvalue()
    assert "3/6" in text and "6/6" in text and "best " in text and "left " in text
