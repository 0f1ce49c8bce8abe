"""Fixtures of the adapter tests: a Docker daemon (required under CI), test images, clean-up.

Docker tests (marker ``docker``) fail when no daemon answers and ``CI`` is set, and are skipped
otherwise; so are those whose image needs a tool that is missing (the docker CLI, a static
busybox, debootstrap). Every container a test starts carries ``hpo.job=pytest-<session>-...``;
finalizers remove them (after each test, and the session's at its end), so nothing is left
running or lying around after a test, and concurrent test sessions leave each other alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.adapters import images
from tests.adapters.optional import missing, require, require_tool, under_ci

#: Job names of this test session: a session never touches another's containers.
JOB_PREFIX = f"pytest-{uuid.uuid4().hex[:6]}-"


def _no_daemon(reason: str) -> None:
    if under_ci():
        pytest.fail(f"CI: the Docker tests must run, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A connected ``docker.DockerClient``; fails under CI when there is none."""
    try:
        import docker
    except ImportError:
        _no_daemon("the docker SDK is not installed (pip install 'hpo_core[docker]')")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        _no_daemon(f"no Docker daemon answers: {e}")
    yield client
    _remove_test_containers(client)
    client.close()


def _remove_test_containers(client: Any) -> None:
    for c in client.containers.list(all=True, filters={"label": "hpo.job"}):
        if c.labels.get("hpo.job", "").startswith(JOB_PREFIX):
            c.remove(force=True)


@pytest.fixture(scope="session")
def busybox(docker_client: Any) -> str:
    """Tag of the busybox training image (built FROM scratch with the docker CLI and a static
    busybox: without either, skipped, or failed under CI)."""
    require_tool("docker", "docker.io")
    if images.static_busybox() is None:
        missing("the busybox image needs a static busybox on PATH "
                "(apt-get install busybox-static)")
    return images.busybox_image()


@pytest.fixture(scope="session")
def example_image(docker_client: Any) -> str:
    """Tag of examples/docker built on the debootstrap python image (built once, cached;
    building it needs the docker CLI, and debootstrap run as root unless the base image is
    there: without them, skipped, or failed under CI)."""
    require_tool("docker", "docker.io")
    if not images.image_exists(images.PYTHON_BASE_TAG):
        require_tool("debootstrap", "debootstrap")
        if os.geteuid() != 0:
            missing(f"building {images.PYTHON_BASE_TAG} runs debootstrap, which needs root")
    images.python_base_image()
    return images.example_image()


@pytest.fixture(scope="session")
def toolkit_image(docker_client: Any) -> str:
    """Tag of the python image with the sagemaker-training toolkit (built once, cached)."""
    require("sagemaker_training", "sagemaker")
    return images.toolkit_image()


@pytest.fixture
def job_name(docker_client: Any) -> Iterator[str]:
    """A unique tuning-job name; its containers are removed when the test ends."""
    name = f"{JOB_PREFIX}{uuid.uuid4().hex[:8]}"
    yield name
    for c in docker_client.containers.list(all=True, filters={"label": f"hpo.job={name}"}):
        c.remove(force=True)


@pytest.fixture(scope="session")
def local_ray() -> Iterator[Any]:
    """A local Ray instance (2 CPUs, small object store) for the session's Ray tests."""
    ray = require("ray", "ray")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, object_store_memory=80 * 2**20,
                 include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
