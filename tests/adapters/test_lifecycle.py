"""The lifecycle helper every backend uses, on a fake process and a fake clock: timeout then
terminate, grace then kill, idempotent stop, exit code -> job state, the job's log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.adapters.base import FAILURE_LIMIT, JobState, TrainingJobRequest
from hpo_core.adapters.lifecycle import JobOutput, Lifecycle, close_log, exit_state, open_log
from tests.adapters.sagemaker_fixtures import Clock


class FakeProcess:
    """Records the signals it gets, with the clock's time, and finishes with ``exit_code``."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.signals: list[tuple[str, float]] = []
        self.running = True
        self.finished = 0

    def terminate(self) -> None:
        self.signals.append(("SIGTERM", self.clock.now))

    def kill(self) -> None:
        self.signals.append(("SIGKILL", self.clock.now))

    def is_running(self) -> bool:
        return self.running

    def names(self) -> list[str]:
        return [name for name, _ in self.signals]


def _life(max_runtime_s: float | None = 10.0, grace_s: float = 5.0,
          kill: bool = True) -> tuple[Lifecycle, FakeProcess, Clock]:
    clock = Clock()
    proc = FakeProcess(clock)
    life = Lifecycle(proc.terminate, proc.kill if kill else None, max_runtime_s=max_runtime_s,
                     grace_s=grace_s, clock=clock)
    return life, proc, clock


def _finish(life: Lifecycle, proc: FakeProcess, exit_code: int) -> Callable[[], JobState]:
    """A backend's finish: counts its calls; the lifecycle's state, else Completed."""

    def finish() -> JobState:
        proc.finished += 1
        return life.stopped_state(exit_code) or JobState("Completed", exit_code=exit_code)

    return finish


def test_timeout_terminates_then_kills_after_the_grace_period() -> None:
    life, proc, clock = _life(max_runtime_s=10.0, grace_s=5.0)
    finish = _finish(life, proc, -9)
    for t in (5.0, 10.0):  # within the limit (the limit itself included)
        clock.now = 1000.0 + t
        assert life.poll(proc.is_running, finish) == JobState("InProgress")
    assert proc.signals == []
    clock.now = 1010.5
    assert life.poll(proc.is_running, finish).status == "InProgress"
    assert proc.signals == [("SIGTERM", 1010.5)] and life.timed_out
    clock.now = 1015.5  # grace_s after SIGTERM, not more: no SIGKILL yet
    life.poll(proc.is_running, finish)
    assert proc.names() == ["SIGTERM"]
    clock.now = 1016.0
    life.poll(proc.is_running, finish)
    assert proc.signals == [("SIGTERM", 1010.5), ("SIGKILL", 1016.0)] and life.killed
    clock.now = 1100.0
    assert life.poll(proc.is_running, finish).status == "InProgress"  # killed, not yet reaped
    assert proc.names() == ["SIGTERM", "SIGKILL"]  # each sent once
    proc.running = False
    state = life.poll(proc.is_running, finish)
    assert state.status == "Failed" and state.exit_code == -9
    assert state.reason is not None and state.reason.startswith("MaxRuntimeExceeded")
    assert "MaxRuntimeInSeconds=10" in state.reason
    assert life.poll(proc.is_running, finish) is state and proc.finished == 1  # sticky


def test_stop_terminates_once_and_a_second_stop_is_a_no_op() -> None:
    life, proc, clock = _life(max_runtime_s=None, grace_s=2.0)
    finish = _finish(life, proc, 143)
    assert life.stop("early stopping") is True
    clock.advance(1.0)
    assert life.stop("tuning job ending") is False
    assert proc.names() == ["SIGTERM"] and life.stop_reason == "early stopping"
    clock.advance(1.5)  # 2.5 s after the first stop's SIGTERM
    life.poll(proc.is_running, finish)
    assert proc.names() == ["SIGTERM", "SIGKILL"]
    proc.running = False
    assert life.poll(proc.is_running, finish) == JobState("Stopped", "early stopping",
                                                          exit_code=143)
    assert life.stop("again") is False and proc.names() == ["SIGTERM", "SIGKILL"]


def test_a_job_that_ended_or_timed_out_is_not_stopped() -> None:
    life, proc, clock = _life(max_runtime_s=1.0)
    clock.advance(2.0)
    life.poll(proc.is_running, _finish(life, proc, -15))
    assert life.stop("early stopping") is False  # already terminated for the timeout
    assert proc.names() == ["SIGTERM"] and life.stop_reason is None
    proc.running = False
    assert (life.poll(proc.is_running, _finish(life, proc, -15)).reason or "").startswith(
        "MaxRuntimeExceeded")

    ended, proc2, _ = _life()
    proc2.running = False
    assert ended.poll(proc2.is_running, _finish(ended, proc2, 0)) == JobState(
        "Completed", exit_code=0)
    assert ended.stop("late") is False and proc2.signals == []


def test_no_limit_means_no_timeout() -> None:
    life, proc, clock = _life(max_runtime_s=None)
    clock.advance(10**9)
    assert life.poll(proc.is_running, _finish(life, proc, 0)).status == "InProgress"
    assert proc.signals == [] and not life.timed_out


def test_a_thread_is_abandoned_after_the_grace_period() -> None:
    life, proc, clock = _life(max_runtime_s=None, grace_s=5.0, kill=False)
    finish = _finish(life, proc, 0)
    life.stop("early stopping")
    clock.advance(5.0)
    assert life.poll(proc.is_running, finish, abandon=True).status == "InProgress"
    clock.advance(0.5)
    assert life.poll(proc.is_running, finish, abandon=True) == JobState(
        "Stopped", "early stopping", exit_code=0)
    assert proc.names() == ["SIGTERM"]  # no kill: there is none

    waits, proc2, clock2 = _life(max_runtime_s=None, grace_s=5.0, kill=False)
    waits.stop("early stopping")
    clock2.advance(60.0)
    assert waits.poll(proc2.is_running, _finish(waits, proc2, 0)).status == "InProgress"


def test_started_counts_from_the_given_time() -> None:  # an adopted container
    life, proc, clock = _life(max_runtime_s=10.0)
    adopted = Lifecycle(proc.terminate, proc.kill, max_runtime_s=10.0, started=clock.now - 9.5,
                        clock=clock)
    clock.advance(1.0)
    life.enforce()
    adopted.enforce()
    assert proc.names() == ["SIGTERM"] and adopted.timed_out and not life.timed_out


@given(st.lists(st.tuples(st.floats(0.0, 4.0), st.booleans()), max_size=40),
       st.floats(0.5, 20.0), st.floats(0.0, 5.0))
def test_terminate_and_kill_are_each_sent_once_and_in_order(
        steps: list[tuple[float, bool]], max_runtime_s: float, grace_s: float) -> None:
    life, proc, clock = _life(max_runtime_s=max_runtime_s, grace_s=grace_s)
    finish = _finish(life, proc, 1)
    for dt, stop in steps:
        clock.advance(dt)
        if stop:
            life.stop("stop")
        assert life.poll(proc.is_running, finish).status == "InProgress"
    names = proc.names()
    assert names == ["SIGTERM", "SIGKILL"][:len(names)]
    if len(proc.signals) == 2:
        assert proc.signals[1][1] - proc.signals[0][1] > grace_s
    if life.timed_out:
        assert proc.signals[0][1] - life.started > max_runtime_s and life.stop_reason is None


# ---------------------------------------------------------------------- exit code -> state
def _explain(rc: int) -> tuple[str, bool]:
    return f"AlgorithmError: exit status {rc}", rc == 137


def _failure(directory: Path, text: str) -> None:
    (directory / "output").mkdir(parents=True, exist_ok=True)
    (directory / "output" / "failure").write_text(text)


def test_exit_zero_is_completed_whatever_the_failure_file(tmp_path: Path) -> None:
    _failure(tmp_path, "ignored")
    assert exit_state(0, tmp_path, ["x"], _explain) == JobState("Completed", exit_code=0)


@pytest.mark.parametrize(("text", "retryable"), [
    ("ValueError: eta too big\n", False), ("RetryableError: the GPU went away", True)])
def test_the_failure_file_gives_the_reason(tmp_path: Path, text: str, retryable: bool) -> None:
    _failure(tmp_path, text)
    assert exit_state(3, tmp_path, ["boom"], _explain) == JobState(
        "Failed", text.strip(), retryable=retryable, exit_code=3)


def test_without_a_failure_file_the_explanation_and_log_tail(tmp_path: Path) -> None:
    tail = [f"line {i}" for i in range(8)]
    state = exit_state(137, tmp_path, tail, _explain)
    assert state == JobState("Failed", "AlgorithmError: exit status 137; last log lines:\n"
                             + "\n".join(tail[-5:]), retryable=True, exit_code=137)
    assert exit_state(2, tmp_path, [], _explain) == JobState(
        "Failed", "AlgorithmError: exit status 2", exit_code=2)
    long = exit_state(1, tmp_path, ["x" * 5000], _explain)
    assert long.reason is not None and len(long.reason) == FAILURE_LIMIT


def test_stopped_state_names_the_stop_or_the_timeout_and_none_for_a_job_left_alone() -> None:
    life, _, clock = _life(max_runtime_s=1.0)
    assert life.stopped_state(0) is None
    life.stop("early stopping")
    assert life.stopped_state(0) == JobState("Stopped", "early stopping", exit_code=0)
    timed, _, clock = _life(max_runtime_s=1.0)
    clock.advance(2.0)
    timed.enforce()
    assert (timed.stopped_state().reason or "").startswith("MaxRuntimeExceeded")


# ---------------------------------------------------------------------- the job's log
def test_job_output_log_tail_and_lines(tmp_path: Path) -> None:
    request = TrainingJobRequest(name="job-1", directory=tmp_path / "job", command=("train",),
                                 cwd=tmp_path, hyperparameters={}, attempt=2,
                                 log_path=tmp_path / "logs" / "job-1.log")
    output = JobOutput(open_log(request, "['train']"), keep=3)
    seen: list[tuple[str, str]] = []
    for i, raw in enumerate((b"a\n", b"b\r\n", "\u00e9".encode() + b"\xff", b"d\n")):
        output.feed("stdout" if i % 2 == 0 else "stderr", raw,
                    lambda s, line: seen.append((s, line)))
    output.note("[stream ended]")
    output.close("exit status 0")
    output.close("again")  # closed once
    assert seen == [("stdout", "a"), ("stderr", "b"), ("stdout", "\u00e9\ufffd"), ("stderr", "d")]
    assert list(output.tail) == ["\u00e9\ufffd", "d", "[stream ended]"]
    lines = (tmp_path / "logs" / "job-1.log").read_bytes().split(b"\n")
    assert lines[0].startswith(b"=== job-1 attempt 2 started ") and lines[0].endswith(
        b": ['train']")
    assert lines[1:] == [b"a", b"b\r", "\u00e9".encode() + b"\xff", b"d", b"=== exit status 0",
                         b""]
    no_log = TrainingJobRequest(name="j", directory=tmp_path, command=(), cwd=tmp_path,
                                hyperparameters={})
    assert open_log(no_log, "x") is None
    close_log(None, "nothing to close")
