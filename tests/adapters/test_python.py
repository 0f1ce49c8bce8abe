"""The in-process backend's lifecycle: a timeout or stop sets ``should_stop``; a function that
does not return within ``grace_s`` is abandoned and its later lines are dropped."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import JobState, TrainingJobRequest
from hpo_core.adapters.python import PythonBackend
from tests.adapters.support import Lines, run_to_end


def _request(tmp_path: Path, max_runtime_s: float | None = None) -> TrainingJobRequest:
    return TrainingJobRequest(name="py-1", directory=tmp_path / "py-1", command=("m:f",),
                              cwd=tmp_path, hyperparameters={"_tuning_objective_metric": "loss"},
                              max_runtime_s=max_runtime_s, log_path=tmp_path / "py-1.log")


def test_timeout_sets_should_stop_and_fails_the_job(tmp_path: Path) -> None:
    def train(ctx: Any) -> float:
        while not ctx.should_stop:
            time.sleep(0.01)
        return 1.0

    backend = PythonBackend(train, grace_s=5.0)
    state = run_to_end(backend, backend.start(_request(tmp_path, max_runtime_s=0.2), Lines()),
                       timeout=10)
    assert state.status == "Failed" and state.exit_code is None
    assert (state.reason or "").startswith("MaxRuntimeExceeded")


def test_a_function_that_ignores_stop_is_abandoned_after_the_grace_period(
        tmp_path: Path) -> None:
    release = threading.Event()

    def train(ctx: Any) -> None:
        ctx.log("started")
        release.wait(30)
        ctx.log("too late")

    lines = Lines()
    backend = PythonBackend(train, grace_s=0.3)
    handle = backend.start(_request(tmp_path), lines)
    lines.wait_for("started")
    t0 = time.monotonic()
    backend.stop(handle, "early stopping")
    backend.stop(handle, "tuning job ending")  # a no-op
    assert backend.poll(handle).status == "InProgress"  # within the grace period
    assert run_to_end(backend, handle, timeout=10) == JobState("Stopped", "early stopping")
    assert time.monotonic() - t0 >= 0.3
    release.set()
    time.sleep(0.1)
    assert lines.text() == ["started"]  # the abandoned thread's line was dropped
    assert (tmp_path / "py-1.log").read_text().splitlines()[-1] == "=== Stopped"
