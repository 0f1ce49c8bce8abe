"""Helpers of the Docker backend: the container's view of the contract, log lines, messages.

The host side of ``/opt/ml`` is written like the local backend's job directory
(:func:`hpo_core.adapters.local.prepare_directory`) except that channels are empty mount points
(the data is mounted read-only over them), and the ``SM_*`` variables name container paths.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.contract import toolkit_environment
from hpo_core.adapters.local import prepare_directory
from hpo_core.errors import ExecutionError

__all__ = ["CONTAINER_ROOT", "INSTANCE_TYPES", "age_seconds", "check_image",
           "container_environment", "explain", "missing_image_message",
           "prepare_host_directory", "resource_limits", "split_lines", "transport_errors",
           "unreachable_message"]

CONTAINER_ROOT = Path("/opt/ml")
#: Instance type -> (vCPUs, memory in MiB), for local CPU / memory limits.
INSTANCE_TYPES: dict[str, tuple[float, int]] = {
    "ml.t3.medium": (2, 4096), "ml.t3.large": (2, 8192), "ml.t3.xlarge": (4, 16384),
    "ml.m5.large": (2, 8192), "ml.m5.xlarge": (4, 16384), "ml.m5.2xlarge": (8, 32768),
    "ml.m5.4xlarge": (16, 65536), "ml.m6i.large": (2, 8192), "ml.m6i.xlarge": (4, 16384),
    "ml.c5.large": (2, 4096), "ml.c5.xlarge": (4, 8192), "ml.c5.2xlarge": (8, 16384),
    "ml.c5.4xlarge": (16, 32768), "ml.m4.xlarge": (4, 16384), "ml.r5.large": (2, 16384),
    "ml.g4dn.xlarge": (4, 16384), "ml.g5.xlarge": (4, 16384), "ml.p3.2xlarge": (8, 62464),
}


def prepare_host_directory(request: TrainingJobRequest, instance_type: str) -> Path:
    """The host side of ``/opt/ml``: the local layout, channels as empty mount points."""
    root = prepare_directory(dataclasses.replace(request, channels={}))
    for channel in request.channels:
        (root / "input" / "data" / channel).mkdir(parents=True, exist_ok=True)
    config = root / "input" / "config" / "resourceconfig.json"
    rc = json.loads(config.read_text(encoding="utf-8"))
    rc["current_instance_type"] = instance_type
    for group in rc.get("instance_groups", []):
        group["instance_type"] = instance_type
    config.write_text(json.dumps(rc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return root.resolve()


def container_environment(request: TrainingJobRequest, cpus: float | None,
                          instance_type: str) -> dict[str, str]:
    """The definition's Environment plus the ``SM_*`` variables, with container paths."""
    inside = dataclasses.replace(request, directory=CONTAINER_ROOT, command=("train",))
    n = max(1, int(cpus)) if cpus is not None else (os.cpu_count() or 1)
    return {**request.environment, **toolkit_environment(inside, instance_type=instance_type,
                                                         num_cpus=n),
            "PYTHONUNBUFFERED": "1"}


def check_image(client: Any, image: str, pull: bool) -> None:
    """Make sure the engine has ``image`` (pulling it when ``pull``).

    Raises:
        ExecutionError: ``abort``: the image is missing (or its pull failed), or no daemon
            answers.
    """
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as e:
        if not pull:
            raise ExecutionError(missing_image_message(image), "abort") from e
        try:
            client.images.pull(image)
        except docker.errors.DockerException as pe:
            raise ExecutionError(f"{missing_image_message(image)}; pulling it failed: "
                                 f"{explain(pe)}", "abort") from pe
    except transport_errors() as e:
        raise ExecutionError(unreachable_message(e), "abort") from e


def resource_limits(instance_type: str | None, cpus: float | None, memory_mb: int | None,
                    table: Mapping[str, tuple[float, int]],
                    where: str) -> tuple[float | None, int | None]:
    """(CPUs, memory in MiB) of a container: the explicit values, else the instance type's
    entry in ``table``; CPUs capped at the host's count.

    Raises:
        ExecutionError: ``abort``: the instance type is not in the table (and no explicit
            limits were given).
    """
    if instance_type and (cpus is None or memory_mb is None):
        if instance_type not in table:
            raise ExecutionError(
                f"{where}.ResourceConfig.InstanceType: {instance_type!r} is not in the "
                "docker backend's instance-type table; give explicit cpus/memory_mb or add "
                f"it (known: {', '.join(sorted(table))})", "abort")
        t_cpus, t_mem = table[instance_type]
        cpus = t_cpus if cpus is None else cpus
        memory_mb = t_mem if memory_mb is None else memory_mb
    if cpus is not None:
        cpus = min(float(cpus), float(os.cpu_count() or 1))
    return cpus, memory_mb


def split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Whole lines (with their newline) of a stream of byte chunks; a last partial line too."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        while (i := buf.find(b"\n")) >= 0:
            yield buf[: i + 1]
            buf = buf[i + 1:]
    if buf:
        yield buf


def age_seconds(started_at: str) -> float:
    """Seconds since a Docker ``StartedAt`` timestamp (0 when it cannot be read)."""
    from datetime import UTC, datetime

    try:
        text = started_at.rstrip("Z")
        if "." in text:
            head, frac = text.split(".", 1)
            text = f"{head}.{frac[:6]}"
        t = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return 0.0
    return max(0.0, (datetime.now(UTC) - t).total_seconds())


def transport_errors() -> tuple[type[BaseException], ...]:
    """Errors meaning "no daemon answered" (the SDK lets requests' errors through)."""
    import docker
    import requests

    return (docker.errors.DockerException, requests.exceptions.RequestException)


def explain(e: BaseException) -> str:
    explanation = getattr(e, "explanation", None)
    return str(explanation or e).strip()


def missing_image_message(image: str) -> str:
    return (f"TrainingImage {image!r} is not present in the local Docker engine; build it "
            f"(docker build -t {image} ...) or pull it, or pass pull=True")


def unreachable_message(e: BaseException) -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return (f"cannot reach the Docker daemon at {host}: {explain(e)}; is dockerd running and "
            "may this user use it?")
