"""The Docker backend: each training job is a container of the definition's TrainingImage.

The container runs ``<TrainingImage> train`` as SageMaker does, with the job directory
(written on the host exactly as the local backend writes it, see
:mod:`hpo_core.adapters.local`) bind-mounted at ``/opt/ml`` and each channel's local directory
mounted read-only at ``/opt/ml/input/data/<channel>``. Its environment is the definition's
``Environment`` plus the ``SM_*`` variables with container paths (``SM_MODEL_DIR=/opt/ml/model``,
``SM_NUM_CPUS`` = the CPU limit, ``SM_CURRENT_INSTANCE_TYPE`` = the instance type). The
container's hostname is ``algo-1``, the one host of ``resourceconfig.json``, so it resolves
inside the container (the sagemaker-training toolkit looks every host up before it runs a
script).

Limits: CPUs and memory come from the definition's ``ResourceConfig.InstanceType`` looked up
in :data:`INSTANCE_TYPES` (CPUs capped at the host's count; no swap), or from the explicit
``cpus`` / ``memory_mb`` arguments; ``EnableNetworkIsolation`` gives ``--network none``.

Each container carries the labels ``hpo.job`` (tuning job name), ``hpo.trial`` (training job
name), ``hpo.attempt`` and ``hpo.directory`` (the training job's host directory). stdout and
stderr are followed by two threads (``docker logs --follow``) that append every line to the
job's log file and pass it to ``on_line`` as it arrives.

Ending: exit 0 is Completed; otherwise Failed with the text of ``output/failure``, else
``OutOfMemory`` when the kernel killed the container for its memory limit (exit 137 with
``State.OOMKilled``), else the exit status and the log tail. MaxRuntimeInSeconds and
:meth:`DockerBackend.stop` send SIGTERM, then SIGKILL after ``grace_s`` (note: a PID 1 without
a SIGTERM handler ignores SIGTERM, as on SageMaker, and is killed after the grace period).
Finished containers are removed once their state has been read.

Crash safety: :meth:`~DockerBackend.process_info` records the container id and labels;
:meth:`~DockerBackend.reap` kills and removes that container (and any other container of the
same training job), :meth:`~DockerBackend.adopt` takes a still-running one back (its log is
replayed from the start, so a fresh metric scraper sees every line once), and
:meth:`~DockerBackend.reap_job` removes every container left by a tuning job.

The ``docker`` SDK (extra ``docker``) is imported lazily; a client can be injected. A missing
image or an unreachable daemon raises :class:`~hpo_core.errors.ExecutionError` with action
``abort`` (a configuration problem every training job would hit).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hpo_core.adapters.base import JobState, LineSink, TrainingJobRequest
from hpo_core.adapters.contract import HOST
from hpo_core.adapters.docker_support import (
    CONTAINER_ROOT,
    INSTANCE_TYPES,
    age_seconds,
    check_image,
    container_environment,
    explain,
    missing_image_message,
    prepare_host_directory,
    resource_limits,
    split_lines,
    transport_errors,
    unreachable_message,
)
from hpo_core.adapters.jobdefs import Definitions, definitions_of, lookup, pick
from hpo_core.adapters.lifecycle import JobOutput, Lifecycle, close_log, exit_state, open_log
from hpo_core.errors import ExecutionError

__all__ = ["CONTAINER_ROOT", "INSTANCE_TYPES", "DockerBackend"]

_LABELS = ("hpo.job", "hpo.trial", "hpo.attempt", "hpo.directory")


@dataclass
class _Handle:
    request: TrainingJobRequest
    container_id: str
    labels: dict[str, str]
    memory_mb: int | None
    output: JobOutput
    life: Lifecycle
    readers: list[threading.Thread] = field(default_factory=list)
    waiter: threading.Thread | None = None
    exit_code: int | None = None
    wait_error: str | None = None


class DockerBackend:
    """Runs training jobs as Docker containers.

    Args:
        tuning_job: the tuning job's name (label ``hpo.job``).
        definitions: DefinitionName -> raw TrainingJobDefinition (see
            :func:`hpo_core.adapters.jobdefs.definitions_of`); gives TrainingImage,
            ResourceConfig.InstanceType and EnableNetworkIsolation.
        client: a ``docker.DockerClient`` (default: ``docker.from_env()`` on first use).
        image: TrainingImage for definitions that give none.
        cpus, memory_mb: explicit limits, overriding the instance-type table.
        instance_types: extra or replacement entries for :data:`INSTANCE_TYPES`.
        grace_s: seconds between SIGTERM and SIGKILL when a job is stopped or times out.
        pull: pull a missing image instead of failing.
    """

    name = "docker"

    def __init__(self, tuning_job: str = "hpo", definitions: Definitions | None = None, *,
                 client: Any = None, image: str | None = None, cpus: float | None = None,
                 memory_mb: int | None = None,
                 instance_types: Mapping[str, tuple[float, int]] | None = None,
                 grace_s: float = 30.0, pull: bool = False) -> None:
        self.tuning_job = tuning_job
        self.definitions: Definitions = definitions or {}
        self._client = client
        self.image, self.cpus, self.memory_mb = image, cpus, memory_mb
        self.instance_types = {**INSTANCE_TYPES, **(instance_types or {})}
        self.grace_s = grace_s
        self.pull = pull

    @classmethod
    def from_document(cls, document: Mapping[str, Any], **kwargs: Any) -> DockerBackend:
        """The backend of a job document (its name and definitions); ``kwargs`` as above."""
        return cls(str(document.get("HyperParameterTuningJobName", "hpo")),
                   definitions_of(document), **kwargs)

    # ------------------------------------------------------------------ client
    @property
    def client(self) -> Any:
        """The Docker client (connects on first use).

        Raises:
            ExecutionError: ``abort``: the SDK is missing or the daemon cannot be reached.
        """
        if self._client is None:
            try:
                import docker
            except ImportError as e:
                raise ExecutionError("the Docker backend needs the docker SDK: "
                                     "pip install 'hpo_core[docker]'", "abort") from e
            try:
                client = docker.from_env()
                client.ping()
            except docker.errors.DockerException as e:
                raise ExecutionError(unreachable_message(e), "abort") from e
            self._client = client
        return self._client

    # ------------------------------------------------------------------ start
    def start(self, request: TrainingJobRequest, on_line: LineSink) -> _Handle:
        try:
            def_name, definition = pick(self.definitions, request)
        except KeyError as e:
            raise ExecutionError(str(e.args[0]), "abort") from e
        where = ("TrainingJobDefinition" if def_name == "default"
                 else f"TrainingJobDefinitions[{def_name}]")
        image = lookup(definition, "AlgorithmSpecification", "TrainingImage") or self.image
        if not image:
            raise ExecutionError(f"{where}.AlgorithmSpecification.TrainingImage: required by the "
                                 "docker backend (the image whose 'train' runs the job)",
                                 "abort")
        client = self.client
        check_image(client, image, self.pull)
        instance_type = lookup(definition, "ResourceConfig", "InstanceType") or lookup(
            definition, "HyperParameterTuningResourceConfig", "InstanceType")
        cpus, memory_mb = resource_limits(instance_type, self.cpus, self.memory_mb,
                                          self.instance_types, where)
        isolated = bool(definition.get("EnableNetworkIsolation", False))
        labels = {"hpo.job": self.tuning_job, "hpo.trial": request.name,
                  "hpo.attempt": str(request.attempt),
                  "hpo.directory": str(Path(request.directory).resolve())}
        self._remove_matching(client, {k: labels[k] for k in ("hpo.job", "hpo.trial",
                                                              "hpo.directory")})
        root = prepare_host_directory(request, instance_type or "local")
        env = container_environment(request, cpus, instance_type or "local")
        volumes = {str(root): {"bind": str(CONTAINER_ROOT), "mode": "rw"}}
        for channel, source in request.channels.items():
            volumes[str(Path(source).resolve())] = {
                "bind": str(CONTAINER_ROOT / "input" / "data" / channel), "mode": "ro"}
        kwargs: dict[str, Any] = {"command": ["train"], "detach": True, "labels": labels,
                                  "environment": env, "volumes": volumes,
                                  "working_dir": str(CONTAINER_ROOT), "hostname": HOST}
        if isolated:
            kwargs["network_mode"] = "none"
        if cpus is not None:
            kwargs["nano_cpus"] = int(cpus * 1e9)
        if memory_mb is not None:
            kwargs["mem_limit"] = f"{memory_mb}m"
            kwargs["memswap_limit"] = f"{memory_mb}m"  # no swap: over the limit is an OOM kill
        log = open_log(request, f"docker {image} train")
        import docker

        try:
            container = client.containers.run(image, **kwargs)
        except docker.errors.ImageNotFound as e:
            close_log(log, f"could not start: {e}")
            raise ExecutionError(missing_image_message(image), "abort") from e
        except docker.errors.APIError as e:
            close_log(log, f"could not start: {e}")
            transient = e.status_code is None or e.status_code >= 500
            raise ExecutionError(f"docker could not start {image!r} for {request.name}: "
                                 f"{explain(e)}", "retry" if transient else "abort") from e
        except transport_errors() as e:
            close_log(log, f"could not start: {e}")
            raise ExecutionError(unreachable_message(e), "abort") from e
        handle = self._handle(request, container.id, labels, memory_mb, log)
        self._follow(handle, on_line)
        return handle

    def _handle(self, request: TrainingJobRequest, container_id: str, labels: dict[str, str],
                memory_mb: int | None, log: IO[bytes] | None,
                started: float | None = None) -> _Handle:
        life = Lifecycle(functools.partial(self._kill, container_id, "SIGTERM"),
                         functools.partial(self._kill, container_id, "SIGKILL"),
                         max_runtime_s=request.max_runtime_s, grace_s=self.grace_s,
                         started=started)
        return _Handle(request, container_id, labels, memory_mb, JobOutput(log), life)

    # ------------------------------------------------------------------ logs and waiting
    def _follow(self, h: _Handle, on_line: LineSink) -> None:
        for stream in ("stdout", "stderr"):
            t = threading.Thread(target=self._read, args=(h, stream, on_line),
                                 name=f"{h.request.name}-{stream}", daemon=True)
            t.start()
            h.readers.append(t)
        h.waiter = threading.Thread(target=self._wait, args=(h,), name=f"{h.request.name}-wait",
                                    daemon=True)
        h.waiter.start()

    def _read(self, h: _Handle, stream: str, on_line: LineSink) -> None:
        try:
            chunks = self.client.api.logs(h.container_id, stdout=stream == "stdout",
                                          stderr=stream == "stderr", stream=True, follow=True)
            for raw in split_lines(chunks):
                h.output.feed(stream, raw, on_line)
        except Exception as e:  # the daemon went away: the waiter reports it
            h.output.note(f"[log stream ended: {e}]")

    def _wait(self, h: _Handle) -> None:
        try:
            result = self.client.api.wait(h.container_id)
            h.exit_code = int(result.get("StatusCode", -1))
        except Exception as e:
            h.wait_error = explain(e)

    def poll(self, handle: _Handle) -> JobState:
        assert handle.waiter is not None
        return handle.life.poll(handle.waiter.is_alive, functools.partial(self._finish, handle))

    def _finish(self, h: _Handle) -> JobState:
        for t in h.readers:
            t.join(timeout=10.0)
        oom = self._oom_killed(h)
        h.output.close(f"exit status {h.exit_code}" + (" (OOM killed)" if oom else ""))
        state = self._final(h, oom)
        self._remove(h.container_id)
        return state

    def _oom_killed(self, h: _Handle) -> bool:
        try:
            state = self.client.api.inspect_container(h.container_id)["State"]
        except Exception:
            return False
        return bool(state.get("OOMKilled"))

    def _final(self, h: _Handle, oom: bool) -> JobState:
        rc = h.exit_code
        stopped = h.life.stopped_state(rc)
        if stopped is not None:
            return stopped
        if rc is None:
            return JobState("Failed", f"InternalServerError: lost the container "
                            f"{h.container_id[:12]}: {h.wait_error}", retryable=True)
        return exit_state(rc, h.request.directory, h.output.tail,
                          functools.partial(_explain, oom=oom, memory_mb=h.memory_mb))

    def stop(self, handle: _Handle, reason: str) -> None:
        handle.life.stop(reason)

    def _kill(self, container_id: str, sig: str) -> None:
        with contextlib.suppress(Exception):  # already gone: the waiter sees it end
            self.client.api.kill(container_id, signal=sig)

    def _remove(self, container_id: str) -> None:
        with contextlib.suppress(Exception):
            self.client.api.remove_container(container_id, force=True)

    # ------------------------------------------------------------------ crash safety
    def process_info(self, handle: _Handle) -> dict[str, Any]:
        return {"backend": "docker", "container": handle.container_id, **handle.labels}

    def reap(self, info: dict[str, Any]) -> None:
        """Kill and remove the container in ``info`` and any other of the same training job
        (nothing when no daemon answers: there is nothing this backend could do)."""
        cid = info.get("container")
        if isinstance(cid, str):
            self._remove(cid)
        match: dict[str, str] = {k: str(info[k]) for k in ("hpo.job", "hpo.trial", "hpo.directory")
                                 if k in info}
        if len(match) == 3:
            with contextlib.suppress(Exception):
                self._remove_matching(self.client, match)

    def adopt(self, info: dict[str, Any], request: TrainingJobRequest,
              on_line: LineSink) -> _Handle | None:
        """Take back the still-running container of ``info`` (after a tuner crash).

        Its whole log is replayed through ``on_line`` (so a fresh scraper sees every line once)
        and the runtime limit counts from the container's start. A container that has ended
        is removed and None returned: run the job again.
        """
        cid = info.get("container")
        if not isinstance(cid, str):
            return None
        try:
            attrs = self.client.api.inspect_container(cid)
        except Exception:
            return None
        if not attrs["State"].get("Running"):
            self.reap(info)
            return None
        started = age_seconds(attrs["State"].get("StartedAt", ""))
        labels = {k: v for k, v in (attrs["Config"].get("Labels") or {}).items() if k in _LABELS}
        memory = attrs["HostConfig"].get("Memory") or 0
        log = open_log(request, f"docker {attrs['Config'].get('Image', '?')} train",
                       verb="adopted (its whole output follows)")
        h = self._handle(request, cid, labels, memory // 2**20 or None, log,
                         started=time.monotonic() - started)
        self._follow(h, on_line)
        return h

    def containers(self, tuning_job: str | None = None, everything: bool = True) -> list[Any]:
        """Containers carrying label ``hpo.job`` (of ``tuning_job`` when given)."""
        label = "hpo.job" if tuning_job is None else f"hpo.job={tuning_job}"
        return list(self.client.containers.list(all=everything, filters={"label": label}))

    def reap_job(self, tuning_job: str | None = None, keep: tuple[str, ...] = ()) -> int:
        """Kill and remove every container of ``tuning_job`` (default: this backend's) except the
        ids in ``keep``; returns how many were removed."""
        n = 0
        for c in self.containers(tuning_job or self.tuning_job):
            if c.id not in keep:
                self._remove(c.id)
                n += 1
        return n

    def _remove_matching(self, client: Any, labels: Mapping[str, str]) -> None:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        with contextlib.suppress(Exception):
            for c in client.containers.list(all=True, filters=filters):
                self._remove(c.id)


def _explain(rc: int, *, oom: bool, memory_mb: int | None) -> tuple[str, bool]:
    """Reason and retryability of a nonzero exit (no ``output/failure``)."""
    if oom:
        limit = f" of {memory_mb} MiB" if memory_mb else ""
        return (f"OutOfMemory: the container was killed (exit {rc}) for using more than its "
                f"memory limit{limit}", False)
    how = f"exit status {rc}" + (" (killed by SIGKILL)" if rc == 137 else "")
    # a kill nobody here sent (the host, `docker kill`) may well pass on a second try
    return f"AlgorithmError: {how}", rc in (137, 143)
