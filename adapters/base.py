"""The adapter Protocol: how the tuner runs one training job, whatever the backend.

A backend gets a :class:`TrainingJobRequest` (plain data: names, paths, strings) and a
``LineSink``, starts the job, and is polled until the job ends::

    handle = backend.start(request, on_line)     # on_line(stream, line) for every log line
    status = backend.poll(handle)                # JobState: InProgress until the end
    backend.stop(handle, "early stopping")       # SIGTERM now, SIGKILL after a grace period

Contract for implementers:

- ``on_line`` is called for every stdout/stderr line as it arrives (possibly from a reader
  thread), and every line is delivered before ``poll`` first reports a final state. It may
  block (the tuner's back-pressure): read the next line only after it returns. A line longer
  than :data:`LINE_LIMIT` goes whole to the log file and cut to its first ``LINE_LIMIT``
  bytes to ``on_line`` (:func:`read_pieces` does both in bounded memory).
- ``start`` raises :class:`~hpo_core.errors.ExecutionError` whose ``action`` says what the
  tuner should do (``retry`` / ``fail_trial`` / ``abort``); vendor errors are translated with
  ``raise ... from e``.
- ``process_info(handle)`` returns JSON-ready data the tuner stores, so that after a crash
  ``reap(info)`` can make sure a job started by a dead tuner is no longer running.

The lifecycle shared by the backends (timeout -> SIGTERM -> grace period -> SIGKILL, an
idempotent stop, exit code -> JobState) is :class:`hpo_core.adapters.lifecycle.Lifecycle`.

Adapters import only this module and plain data types, never the optimizer or strategies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

__all__ = ["FAILURE_LIMIT", "FINAL_STATES", "LINE_LIMIT", "Backend", "JobState", "LineSink",
           "TrainingJobRequest", "read_failure", "read_pieces", "timeout_state"]

#: ``on_line(stream, line)``: ``stream`` is ``"stdout"`` or ``"stderr"``; ``line`` has no newline.
LineSink = Callable[[str, str], None]
FINAL_STATES = ("Completed", "Failed", "Stopped")
#: Failure reasons are cut to this many characters (as SageMaker's FailureReason).
FAILURE_LIMIT = 1024
#: Bytes of one log line passed to ``on_line`` (CloudWatch caps a log event at 256 KB): a longer
#: line is kept whole in the log file and scraped on its first ``LINE_LIMIT`` bytes.
LINE_LIMIT = 256 * 1024


@dataclass(frozen=True)
class TrainingJobRequest:
    """Everything a backend needs to run one training job.

    Attributes:
        name: the training job name (unique in the tuning job).
        directory: the job's root, laid out like ``/opt/ml``.
        command: argv (local backend) or ``("module:function",)`` (python backend).
        cwd: working directory of the command.
        hyperparameters: name -> AMT string, ``_tuning_objective_metric`` included.
        channels: channel name -> local data directory.
        input_data_config: channel name -> its ``inputdataconfig.json`` entry.
        environment: extra environment variables (the definition's Environment).
        max_runtime_s: the job gets SIGTERM after this many seconds (None: no limit).
        log_path: file the job's stdout and stderr are appended to.
        attempt: 1 for the first run, 2 for the first retry, ...
        definition: the training-job definition it runs (``DefinitionName``; ``"default"`` for
            a single ``TrainingJobDefinition``), for backends that read the definition.
    """

    name: str
    directory: Path
    command: tuple[str, ...]
    cwd: Path
    hyperparameters: dict[str, str]
    channels: dict[str, Path] = field(default_factory=dict)
    input_data_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    max_runtime_s: float | None = None
    log_path: Path | None = None
    attempt: int = 1
    definition: str | None = None


@dataclass(frozen=True)
class JobState:
    """What ``poll`` reports.

    Attributes:
        status: ``InProgress``, ``Completed``, ``Failed`` or ``Stopped``.
        reason: why it failed or stopped (``output/failure``, the log tail, the timeout).
        retryable: the failure is transient (a signal the tuner did not send, a failure text
            starting with ``RetryableError``), so RetryStrategy may run it again.
        exit_code: the process's exit status (negative: killed by that signal), if any.
    """

    status: str
    reason: str | None = None
    retryable: bool = False
    exit_code: int | None = None

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES


@runtime_checkable
class Backend(Protocol):
    """An execution backend (local subprocess, in-process callable, Docker, SageMaker ...)."""

    name: str

    def start(self, request: TrainingJobRequest, on_line: LineSink) -> Any:
        """Start the job; return an opaque handle."""
        ...

    def poll(self, handle: Any) -> JobState:
        """The job's current state (also enforces ``max_runtime_s`` and stop grace periods)."""
        ...

    def stop(self, handle: Any, reason: str) -> None:
        """Begin stopping the job; ``poll`` reports ``Stopped`` once it has ended."""
        ...

    def process_info(self, handle: Any) -> dict[str, Any]:
        """JSON-ready data identifying the running job, for :meth:`reap` after a crash."""
        ...

    def reap(self, info: dict[str, Any]) -> None:
        """Make sure a job recorded by a dead tuner no longer runs (no-op if it has ended)."""
        ...


def read_failure(directory: Path) -> str:
    """The text a failing job wrote to ``<directory>/output/failure``, stripped and cut to
    :data:`FAILURE_LIMIT` (``""`` when there is none)."""
    try:
        text = (directory / "output" / "failure").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text.strip()[:FAILURE_LIMIT]


def timeout_state(max_runtime_s: float | None, exit_code: int | None = None) -> JobState:
    """The state of a job stopped for running past its ``MaxRuntimeInSeconds``."""
    limit = "?" if max_runtime_s is None else f"{max_runtime_s:g}"
    return JobState("Failed", f"MaxRuntimeExceeded: the job ran longer than "
                    f"MaxRuntimeInSeconds={limit} and was stopped", exit_code=exit_code)


def read_pieces(pipe: IO[bytes], limit: int = LINE_LIMIT) -> Iterator[tuple[bytes, str | None]]:
    """Read a byte stream in pieces of at most ``limit`` bytes, whatever its line lengths.

    Yields ``(piece, line)``: every piece goes to the log file as it is; ``line`` is set on the
    piece that ends a line: the line's first ``limit`` bytes, decoded (UTF-8, errors
    replaced), without its newline. A stream that ends inside a line gets ``(b"\\n", line)``,
    so the log ends with a newline.
    """
    head: bytes | None = None  # the first piece of a line longer than one piece
    for piece in iter(lambda: pipe.readline(limit), b""):
        if piece.endswith(b"\n"):
            yield piece, _decode(piece if head is None else head)
            head = None
        else:
            head = piece if head is None else head
            yield piece, None
    if head is not None:
        yield b"\n", _decode(head)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")
