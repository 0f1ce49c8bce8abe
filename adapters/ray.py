"""The Ray backend: each training job is a Ray task with its own resource request.

The task runs on a node of an existing cluster (``address=``) or of a local Ray instance
started on first use. On the node it runs the job exactly as the local backend does
(:class:`~hpo_core.adapters.local.LocalBackend`: the contract files in the job directory,
``SM_*`` variables, the command as an argv list, MaxRuntimeInSeconds enforced with SIGTERM then
SIGKILL), and streams its output back: the task is a Ray streaming generator that yields a batch
of log lines every ``batch_s`` seconds, which a tuner-side thread writes to the job's log file
and passes to ``on_line`` as they arrive.

Requirements: ``hpo_core`` importable by the cluster's workers (same environment, or a
``runtime_env``), and the job directory (and channel data) at the same path on the nodes, as on
a local instance or a shared filesystem; model and output files stay where the task wrote them.

- Resources: ``num_cpus`` (default 1), ``num_gpus``, ``memory_mb`` per task (Ray schedules the
  task when a node has them free; a request no node can ever meet waits forever, so keep it
  within the cluster).
- Stop: ``ray.cancel`` of the task; on the node the task then sends SIGTERM to the training
  process group and SIGKILL after ``grace_s``. The job is reported Stopped as soon as Ray has
  cancelled the task.
- Failures: the job's own failure (exit status, ``output/failure``) as in the local backend; a
  dead worker or node (``WorkerCrashedError``, ``NodeDiedError``, ``OwnerDiedError``,
  ``ObjectLostError``, Ray's out-of-memory kill, ...) fails the trial as retryable; an exception
  raised by the task itself (the command cannot run) fails it as not retryable.
- Crash safety: the training process is started with ``PR_SET_PDEATHSIG`` (SIGKILL), so it
  dies with the Ray worker running it; Ray kills the tasks of a driver (tuner) that died, so a
  SIGKILLed tuner leaves nothing running. :meth:`RayBackend.reap` has nothing left to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from hpo_core.adapters.base import JobState, LineSink, TrainingJobRequest
from hpo_core.adapters.jobdefs import Definitions, definitions_of
from hpo_core.adapters.lifecycle import Lifecycle
from hpo_core.adapters.local import LocalBackend
from hpo_core.errors import ExecutionError

__all__ = ["RayBackend"]

#: Run argv[1:] with PR_SET_PDEATHSIG=SIGKILL (dies with the Ray worker that started it).
_FATE_SHARE = ("import ctypes, os, signal, sys\n"
               "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
               "os.execvp(sys.argv[1], sys.argv[1:])\n")
_RETRYABLE = ("WorkerCrashedError", "NodeDiedError", "OwnerDiedError", "ObjectLostError",
              "ObjectReconstructionFailedError", "LocalRayletDiedError", "RaySystemError",
              "OutOfMemoryError", "ActorDiedError", "ObjectFetchTimedOutError")


def run_training_job(request: TrainingJobRequest, grace_s: float,
                     batch_s: float) -> Iterator[dict[str, Any]]:
    """The Ray task (a streaming generator): run ``request`` like the local backend, yield
    ``{"started": ...}``, then ``{"lines": [(stream, line), ...]}`` batches, then
    ``{"state": ...}``. A cancel stops the job (SIGTERM, SIGKILL after ``grace_s``) whether
    Ray interrupts the task body (KeyboardInterrupt) or closes the generator at a ``yield``."""
    argv = list(request.command)
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    inner = dataclasses.replace(request, command=(sys.executable, "-c", _FATE_SHARE, *argv),
                                log_path=None)
    buffer: list[tuple[str, str]] = []
    lock = threading.Lock()

    def sink(stream: str, line: str) -> None:
        with lock:
            buffer.append((stream, line))

    def drain() -> list[tuple[str, str]]:
        with lock:
            out = buffer[:]
            buffer.clear()
        return out

    backend = LocalBackend(grace_s=grace_s)
    handle = backend.start(inner, sink)
    yield {"started": {"pid": handle.proc.pid, "worker_pid": os.getpid(),
                       "node": _node_ip()}}
    try:
        while True:
            state = backend.poll(handle)
            lines = drain()
            if lines:
                yield {"lines": lines}
            if state.done:
                yield {"state": dataclasses.asdict(state)}
                return
            time.sleep(batch_s)
    finally:  # ray.cancel (KeyboardInterrupt here, or GeneratorExit at a yield): stop the job
        if not backend.poll(handle).done:
            backend.stop(handle, "cancelled")
            while not backend.poll(handle).done:
                time.sleep(0.05)


def _node_ip() -> str | None:
    with contextlib.suppress(Exception):
        import ray

        return str(ray.util.get_node_ip_address())
    return None


@dataclass
class _Handle:
    request: TrainingJobRequest
    generator: Any
    log: IO[str] | None
    life: Lifecycle
    started: dict[str, Any] = field(default_factory=dict)
    reader: threading.Thread | None = None
    result: JobState | None = None
    error: JobState | None = None


class RayBackend:
    """Runs training jobs as Ray tasks.

    Args:
        tuning_job: the tuning job's name (kept for symmetry with the other backends).
        definitions: DefinitionName -> raw TrainingJobDefinition (unused today: resources come
            from the arguments below).
        address: the cluster to join (``"auto"``, ``"ray://host:10001"``, ...); None: the
            one ``RAY_ADDRESS`` names, else a new local instance. Unused when Ray is already
            initialized in this process.
        init_kwargs: more arguments for ``ray.init``.
        num_cpus, num_gpus, memory_mb: each task's resource request.
        grace_s: seconds between SIGTERM and SIGKILL when a job is stopped or times out.
        batch_s: how often the task sends its new log lines.
    """

    name = "ray"

    def __init__(self, tuning_job: str = "hpo", definitions: Definitions | None = None, *,
                 address: str | None = None, init_kwargs: Mapping[str, Any] | None = None,
                 num_cpus: float = 1.0, num_gpus: float = 0.0, memory_mb: int | None = None,
                 grace_s: float = 30.0, batch_s: float = 0.05) -> None:
        self.tuning_job = tuning_job
        self.definitions = definitions or {}
        self.address, self.init_kwargs = address, dict(init_kwargs or {})
        self.num_cpus, self.num_gpus, self.memory_mb = num_cpus, num_gpus, memory_mb
        self.grace_s, self.batch_s = grace_s, batch_s
        self._task: Any = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any], **kwargs: Any) -> RayBackend:
        """The backend of a job document (its name and definitions); ``kwargs`` as above."""
        return cls(str(document.get("HyperParameterTuningJobName", "hpo")),
                   definitions_of(document), **kwargs)

    def _ray(self) -> Any:
        try:
            import ray
        except ImportError as e:
            raise ExecutionError("the Ray backend needs ray: pip install 'hpo_core[ray]'",
                                 "abort") from e
        if not ray.is_initialized():
            try:
                address = self.address or os.environ.get("RAY_ADDRESS") or "local"
                ray.init(address=address, **self.init_kwargs)
            except Exception as e:  # ConnectionError, ValueError, RuntimeError ...
                where = self.address or "a new local instance"
                raise ExecutionError(f"cannot start or join Ray ({where}): {e}",
                                     "abort") from e
        if self._task is None:
            self._task = ray.remote(max_retries=0)(run_training_job)
        return ray

    def start(self, request: TrainingJobRequest, on_line: LineSink) -> _Handle:
        ray = self._ray()
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus,
                                   "name": f"hpo:{request.name}"}
        if self.memory_mb is not None:
            options["memory"] = int(self.memory_mb) * 2**20
        generator = self._task.options(**options).remote(request, self.grace_s, self.batch_s)
        log = None
        if request.log_path is not None:
            request.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(request.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed at end
            log.write(f"=== {request.name} attempt {request.attempt}: Ray task "
                      f"{options['name']} {list(request.command)!r}\n")
            log.flush()
        # the task enforces MaxRuntimeInSeconds and the grace period on the node; here a stop
        # is one cancel of the task
        life = Lifecycle(functools.partial(self._cancel, generator), grace_s=self.grace_s)
        h = _Handle(request, generator, log, life)
        h.reader = threading.Thread(target=self._consume, args=(ray, h, on_line),
                                    name=f"{request.name}-ray", daemon=True)
        h.reader.start()
        return h

    @staticmethod
    def _consume(ray: Any, h: _Handle, on_line: LineSink) -> None:
        try:
            for ref in h.generator:
                item = ray.get(ref)
                if "started" in item:
                    h.started = item["started"]
                for stream, line in item.get("lines", ()):
                    if h.log is not None:
                        h.log.write(line + "\n")
                        h.log.flush()
                    on_line(stream, line)
                if "state" in item:
                    h.result = JobState(**item["state"])
        except Exception as e:
            h.error = _failure(e)

    def poll(self, handle: _Handle) -> JobState:
        assert handle.reader is not None
        return handle.life.poll(handle.reader.is_alive, functools.partial(self._finish, handle))

    @staticmethod
    def _finish(h: _Handle) -> JobState:
        state = h.life.stopped_state() or h.result or h.error or JobState(
            "Failed", "InternalServerError: the Ray task ended without a result", retryable=True)
        if h.log is not None:
            h.log.write(f"=== {state.status}" + (f": {state.reason}" if state.reason else "")
                        + "\n")
            h.log.close()
            h.log = None
        return state

    def stop(self, handle: _Handle, reason: str) -> None:
        handle.life.stop(reason)

    def _cancel(self, generator: Any) -> None:
        with contextlib.suppress(Exception):
            self._ray().cancel(generator)

    def process_info(self, handle: _Handle) -> dict[str, Any]:
        return {"backend": "ray", "task": f"hpo:{handle.request.name}", **handle.started}

    def reap(self, info: dict[str, Any]) -> None:
        """Nothing to do: Ray kills the tasks of a dead driver, and the training process dies
        with its worker (PR_SET_PDEATHSIG)."""


def _failure(e: BaseException) -> JobState:
    """The JobState of a Ray exception raised by ``ray.get`` on the task's stream."""
    cause = getattr(e, "cause", None)
    names = {type(e).__name__, type(cause).__name__ if cause is not None else ""}
    names |= {c.__name__ for c in type(e).__mro__}
    text = str(cause if cause is not None else e).strip().splitlines()
    message = text[-1] if text else type(e).__name__
    if names & set(_RETRYABLE):
        return JobState("Failed", f"InternalServerError: the Ray worker or node running the "
                        f"job died ({type(e).__name__}: {message})", retryable=True)
    return JobState("Failed", f"the Ray task failed: {message}")
