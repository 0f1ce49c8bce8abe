"""The job lifecycle the backends share: stopping, timeouts, the final state, the job's log.

Each backend's handle holds a :class:`Lifecycle`, built with the two ways of ending that job
(``terminate``: SIGTERM or the backend's equivalent; ``kill``: SIGKILL, or nothing for a thread
that cannot be killed)::

    life = Lifecycle(terminate, kill, max_runtime_s=request.max_runtime_s, grace_s=grace_s)
    life.stop("early stopping")          # terminate now; again, or after the end: a no-op
    state = life.poll(running, finish)   # the backend's poll: InProgress while running(),
                                         # terminate once past max_runtime_s, kill once
                                         # grace_s later; then finish() once, kept as final

    def finish():                        # the job has ended with exit status `code`
        return life.stopped_state(code) or exit_state(code, directory, tail, explain)

The final state of a job the tuner ended comes from :meth:`Lifecycle.stopped_state` (Failed
``MaxRuntimeExceeded`` after a timeout, else ``Stopped`` with the stop's reason), whatever the
exit code; a job that ended by itself is mapped by :func:`exit_state` (0: Completed;
``output/failure``: Failed with its text; else the backend's explanation of the code).

:class:`JobOutput` is the byte log file and recent lines of a process or container job, fed by
its reader threads (:func:`open_log` writes the header line, :func:`close_log` the last one).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from hpo_core.adapters.base import (
    FAILURE_LIMIT,
    JobState,
    LineSink,
    TrainingJobRequest,
    read_failure,
    timeout_state,
)

__all__ = ["JobOutput", "Lifecycle", "close_log", "exit_state", "open_log"]

#: ``explain(exit_code) -> (reason, retryable)`` for a nonzero exit without ``output/failure``.
Explain = Callable[[int], tuple[str, bool]]


class Lifecycle:
    """Stop and timeout escalation of one job, and its final state once known.

    Args:
        terminate: asks the job to end (SIGTERM, a stop event, a cancel); called at most once.
        kill: ends it for good (SIGKILL), called at most once, ``grace_s`` after ``terminate``;
            None when there is no such thing (a thread: it is abandoned instead).
        max_runtime_s: the job is terminated after this many seconds (None: no limit).
        grace_s: seconds between ``terminate`` and ``kill``.
        started: when the job started on ``clock`` (default: now).
        clock: monotonic seconds (tests pass a fake one).

    Attributes:
        stop_reason: the reason given to :meth:`stop` (None: not stopped).
        timed_out: terminated for running past ``max_runtime_s``.
        term_at: when ``terminate`` was called (None: not yet).
        killed: the grace period ran out (``kill`` was called, or a thread abandoned).
        final: the job's final state, set by the backend once the job has ended.
    """

    def __init__(self, terminate: Callable[[], None], kill: Callable[[], None] | None = None,
                 *, max_runtime_s: float | None = None, grace_s: float = 30.0,
                 started: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._terminate, self._kill, self._clock = terminate, kill, clock
        self.max_runtime_s, self.grace_s = max_runtime_s, grace_s
        self.started = clock() if started is None else started
        self.stop_reason: str | None = None
        self.timed_out = False
        self.term_at: float | None = None
        self.killed = False
        self.final: JobState | None = None

    def stop(self, reason: str) -> bool:
        """Terminate the job for ``reason``; False (and nothing done) when it has ended or is
        already being terminated (stopped before, or timed out)."""
        if self.final is not None or self.term_at is not None:
            return False
        self.stop_reason = reason
        self._terminate()
        self.term_at = self._clock()
        return True

    def poll(self, running: Callable[[], bool], finish: Callable[[], JobState], *,
             abandon: bool = False) -> JobState:
        """The job's state, as a backend's ``poll`` reports it.

        Args:
            running: whether the job still runs (its process, container, thread, task).
            finish: the final state of the ended job (called once; collects its output).
            abandon: a job still running when the grace period ran out is given up and
                finished all the same (a thread, which cannot be killed).

        Returns:
            :attr:`final` once known; ``InProgress`` while ``running()`` (with
            :meth:`enforce`); else ``finish()``, kept as :attr:`final`.
        """
        if self.final is not None:
            return self.final
        if running():
            self.enforce()
            if not (abandon and self.killed):
                return JobState("InProgress")
        self.final = finish()
        return self.final

    def enforce(self) -> None:
        """Call while the job runs: terminate it once past ``max_runtime_s``, kill it once
        ``grace_s`` after it was terminated (for a timeout or a stop)."""
        now = self._clock()
        if self.term_at is None:
            limit = self.max_runtime_s
            if limit is not None and now - self.started > limit:
                self.timed_out = True
                self._terminate()
                self.term_at = now
        elif not self.killed and now - self.term_at > self.grace_s:
            if self._kill is not None:
                self._kill()
            self.killed = True

    def stopped_state(self, exit_code: int | None = None) -> JobState | None:
        """The final state of a job the tuner ended (timeout, then stop), None otherwise."""
        if self.timed_out:
            return timeout_state(self.max_runtime_s, exit_code)
        if self.stop_reason is not None:
            return JobState("Stopped", self.stop_reason, exit_code=exit_code)
        return None


def exit_state(exit_code: int, directory: Path, tail: Iterable[str],
               explain: Explain) -> JobState:
    """The final state of a job that ended by itself with ``exit_code``.

    Args:
        exit_code: the process's or container's exit status.
        directory: the job's directory (its ``output/failure`` is read).
        tail: the job's last output lines; the last five go into the reason.
        explain: ``(reason, retryable)`` of a nonzero exit without ``output/failure``.

    Returns:
        Completed for 0; else Failed with the text of ``output/failure`` (retryable when it
        starts with ``RetryableError``), or with ``explain``'s reason and the last log lines.
    """
    if exit_code == 0:
        return JobState("Completed", exit_code=0)
    text = read_failure(directory)
    if text:
        return JobState("Failed", text, retryable=text.startswith("RetryableError"),
                        exit_code=exit_code)
    reason, retryable = explain(exit_code)
    lines = "\n".join(list(tail)[-5:])
    more = f"; last log lines:\n{lines}" if lines else ""
    return JobState("Failed", f"{reason}{more}"[:FAILURE_LIMIT], retryable=retryable,
                    exit_code=exit_code)


class JobOutput:
    """A job's log file (bytes, appended to) and its last ``keep`` output lines, shared by the
    threads that read its stdout and stderr."""

    def __init__(self, log: IO[bytes] | None, keep: int = 20) -> None:
        self.log = log
        self.tail: deque[str] = deque(maxlen=keep)
        self.lock = threading.Lock()

    def feed(self, stream: str, raw: bytes, on_line: LineSink) -> None:
        """One raw output line: appended to the log file and the tail, then passed on."""
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        with self.lock:
            if self.log is not None:
                self.log.write(raw if raw.endswith(b"\n") else raw + b"\n")
                self.log.flush()
            self.tail.append(line)
        on_line(stream, line)

    def piece(self, stream: str, piece: bytes, line: str | None, on_line: LineSink) -> None:
        """One piece of output from :func:`~hpo_core.adapters.base.read_pieces`: appended to
        the log file; ``line`` (the line it ends, cut to ``LINE_LIMIT``) to the tail, then
        passed on. A log that cannot be written (a full disk) is closed, and reading goes on:
        a reader that stopped would leave its job blocked on a full pipe."""
        with self.lock:
            if self.log is not None:
                try:
                    self.log.write(piece)
                    self.log.flush()
                except OSError as e:
                    self.tail.append(f"=== the log stopped: {e}")
                    with contextlib.suppress(OSError):
                        self.log.close()
                    self.log = None
            if line is not None:
                self.tail.append(line)
        if line is not None:
            on_line(stream, line)

    def note(self, text: str) -> None:
        """A line for the tail only (not the job's own output)."""
        with self.lock:
            self.tail.append(text)

    def close(self, message: str) -> None:
        """Write the last line ``=== message`` and close the log file (once)."""
        with self.lock:
            close_log(self.log, message)
            self.log = None


def open_log(request: TrainingJobRequest, command: str,
             verb: str = "started") -> IO[bytes] | None:
    """Open the job's log file for appending with the header line ``=== <name> attempt <n>
    <verb> <time>: <command>`` (None: the request has no log file)."""
    if request.log_path is None:
        return None
    request.log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(request.log_path, "ab")  # noqa: SIM115 - closed when the job ends
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    log.write(f"=== {request.name} attempt {request.attempt} {verb} {stamp}: "
              f"{command}\n".encode())
    log.flush()
    return log


def close_log(log: IO[bytes] | None, message: str) -> None:
    """Write ``=== message`` to ``log`` and close it (nothing when it is None)."""
    if log is not None:
        log.write(f"=== {message}\n".encode())
        log.close()
