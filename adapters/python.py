"""The in-process backend: each training job is a call of a Python function in a thread.

The function receives a :class:`TrainingContext` and returns the final metrics::

    def train(ctx):
        for epoch in range(1, 11):
            loss = ...
            ctx.report(loss=loss)            # one intermediate point per call
        return {"loss": loss}                # or a number: the objective's final value

Every ``ctx.report`` and ``ctx.log`` line goes through the same path as a subprocess's
stdout (log file, metric definitions): ``report`` writes a JSON metric line, which the metric
scraper reads whatever the regexes. The job directory is laid out like ``/opt/ml`` as for the
local backend (``ctx.model_dir``, ``ctx.channels``, ...), but no ``SM_*`` environment variable
is set: the environment is shared by every thread.

A thread cannot be killed: a timeout or stop sets ``ctx.should_stop`` (the function should
check it and return); a function still running ``grace_s`` later is abandoned (the job is
reported Failed or Stopped, its thread runs on as a daemon and its later lines are dropped).
An exception fails the job with ``TypeName: message`` as the reason.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from hpo_core.adapters.base import FAILURE_LIMIT, JobState, LineSink, TrainingJobRequest
from hpo_core.adapters.lifecycle import Lifecycle
from hpo_core.adapters.local import prepare_directory
from hpo_core.errors import ExecutionError

__all__ = ["PythonBackend", "TrainingContext", "load_function"]


def load_function(spec: str) -> Callable[[TrainingContext], Any]:
    """Import ``"package.module:function"``.

    Raises:
        ExecutionError (abort): the module or function cannot be found.
    """
    module_name, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as e:
        raise ExecutionError(f"cannot load training function {spec!r}: {type(e).__name__}: {e}",
                             "abort") from e
    if not callable(fn):
        raise ExecutionError(f"training function {spec!r} is not callable", "abort")
    return fn  # type: ignore[no-any-return]


def _typed(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class TrainingContext:
    """What a training function sees (one per training job)."""

    def __init__(self, request: TrainingJobRequest, emit: Callable[[str], None],
                 stop_event: threading.Event) -> None:
        root = request.directory
        self.job_name = request.name
        self.hyperparameter_strings = dict(request.hyperparameters)
        #: Hyperparameters typed as the toolkit does (JSON values: ``"3"`` -> 3), without
        #: ``_tuning_objective_metric``.
        self.hyperparameters = {k: _typed(v) for k, v in request.hyperparameters.items()
                                if not k.startswith("_tuning")}
        self.objective_metric = request.hyperparameters.get("_tuning_objective_metric")
        self.channels = {c: root / "input" / "data" / c for c in request.channels}
        self.model_dir = root / "model"
        self.output_data_dir = root / "output" / "data"
        self.checkpoint_dir = root / "checkpoints"
        self._emit = emit
        self._stop = stop_event

    @property
    def should_stop(self) -> bool:
        """True once the tuner asked the job to stop (timeout, early stopping, stop)."""
        return self._stop.is_set()

    def log(self, *parts: Any) -> None:
        """Write one log line."""
        self._emit(" ".join(str(p) for p in parts))

    def report(self, metrics: Mapping[str, float] | None = None, **more: float) -> None:
        """Report metric values (one step of each): ``ctx.report({"validation:acc": 0.9})``
        or ``ctx.report(loss=0.1)``."""
        values = {**(metrics or {}), **more}
        for k, v in values.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"report: metric {k!r} must be a finite number, got {v!r}")
        self._emit(json.dumps({k: float(v) for k, v in values.items()}))


@dataclass
class _Handle:
    request: TrainingJobRequest
    thread: threading.Thread
    life: Lifecycle
    log: IO[str] | None
    lock: threading.Lock
    result: dict[str, Any] = field(default_factory=dict)


class PythonBackend:
    """Runs training jobs as calls of ``function(ctx)`` in threads.

    Args:
        function: the callable, or None to load each request's ``command[0]``
            (``"module:function"``).
        grace_s: seconds a stopped or timed-out function gets to return.
    """

    name = "python"

    def __init__(self, function: Callable[[TrainingContext], Any] | None = None,
                 grace_s: float = 5.0) -> None:
        self.function = function
        self.grace_s = grace_s

    def start(self, request: TrainingJobRequest, on_line: LineSink) -> _Handle:
        fn = self.function or load_function(request.command[0])
        prepare_directory(request)
        log = None
        if request.log_path is not None:
            request.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(request.log_path, "a", encoding="utf-8")  # noqa: SIM115
            log.write(f"=== {request.name} attempt {request.attempt} started "
                      f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
            log.flush()
        stop_event, lock = threading.Event(), threading.Lock()
        holder: dict[str, _Handle] = {}

        def emit(line: str) -> None:
            h = holder["h"]
            with lock:
                if h.life.final is not None:
                    return  # abandoned: drop late lines
                if h.log is not None:
                    h.log.write(line + "\n")
                    h.log.flush()
            on_line("stdout", line)

        ctx = TrainingContext(request, emit, stop_event)

        def body() -> None:
            h = holder["h"]
            try:
                value = fn(ctx)
                if isinstance(value, Mapping):
                    ctx.report(value)
                elif value is not None and ctx.objective_metric:
                    ctx.report({ctx.objective_metric: value})
                h.result["ok"] = True
            except BaseException as e:  # the job's failure, reported by poll
                h.result["error"] = f"{type(e).__name__}: {e}"
                ctx.log("".join(traceback.format_exception(e)).rstrip())

        thread = threading.Thread(target=body, name=request.name, daemon=True)
        # a thread cannot be killed: once grace_s has passed after should_stop, it is abandoned
        life = Lifecycle(stop_event.set, None, max_runtime_s=request.max_runtime_s,
                         grace_s=self.grace_s)
        handle = _Handle(request, thread, life, log, lock)
        holder["h"] = handle
        thread.start()
        return handle

    def poll(self, handle: _Handle) -> JobState:
        return handle.life.poll(handle.thread.is_alive, functools.partial(self._finish, handle),
                                abandon=True)

    def _finish(self, h: _Handle) -> JobState:
        state = h.life.stopped_state() or self._outcome(h)
        with h.lock:
            h.life.final = state  # set under the lock: emit drops the lines of an abandoned job
            if h.log is not None:
                h.log.write(f"=== {state.status}\n")
                h.log.close()
                h.log = None
        return state

    @staticmethod
    def _outcome(h: _Handle) -> JobState:
        """The state of a function that returned or raised by itself."""
        if "error" in h.result:
            return JobState("Failed", h.result["error"][:FAILURE_LIMIT])
        return JobState("Completed")

    def stop(self, handle: _Handle, reason: str) -> None:
        handle.life.stop(reason)

    def process_info(self, handle: _Handle) -> dict[str, Any]:
        return {}

    def reap(self, info: dict[str, Any]) -> None:
        """Nothing to do: an in-process job died with its tuner."""

