"""Helpers shared by the backend tests: a line sink to wait on, polling a job to its end."""

from __future__ import annotations

import threading
import time
from typing import Any

from hpo_core.adapters.base import Backend, JobState


class Lines:
    """A LineSink that remembers (arrival time, stream, line) and lets a test wait for one."""

    def __init__(self) -> None:
        self.items: list[tuple[float, str, str]] = []
        self._cond = threading.Condition()

    def __call__(self, stream: str, line: str) -> None:
        with self._cond:
            self.items.append((time.monotonic(), stream, line))
            self._cond.notify_all()

    def text(self, stream: str | None = None) -> list[str]:
        """The lines (of ``stream`` only, when given), in arrival order."""
        return [line for _, s, line in self.items if stream is None or s == stream]

    def wait_for(self, fragment: str, timeout: float = 30.0) -> None:
        """Block until a line containing ``fragment`` arrived (fail after ``timeout``)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: any(fragment in x for x in self.text()), timeout)
        assert ok, f"no line containing {fragment!r} within {timeout}s: {self.text()}"


def run_to_end(backend: Backend, handle: Any, timeout: float = 60.0) -> JobState:
    """Poll ``handle`` until its job ends; its final state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = backend.poll(handle)
        if state.done:
            return state
        time.sleep(0.05)
    raise AssertionError(f"the job did not end within {timeout}s")
