"""The real sagemaker-training toolkit inside a Docker training image reads the job as on
SageMaker (marker ``docker``; the toolkit comes from extra ``sagemaker``): the image's ``train``
is the toolkit's entry point, which runs the ``sagemaker_program`` user script."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.docker import DockerBackend
from tests.adapters.support import Lines, run_to_end
from tests.adapters.test_toolkit_local import (
    STATICS,
    USER_HPS,
    assert_sees_the_job,
    toolkit_request,
    view_of,
)

pytestmark = pytest.mark.docker


def _backend(job_name: str, image: str) -> DockerBackend:
    definition = {"AlgorithmSpecification": {"TrainingImage": image,
                                             "TrainingInputMode": "File"}}
    return DockerBackend(job_name, {"default": definition}, grace_s=2.0)


def _request(tmp_path: Path, **extra: str) -> TrainingJobRequest:
    req = toolkit_request(tmp_path, ("train",), sagemaker_program="show_env.py",
                          sagemaker_submit_directory="/opt/program", **extra)
    assert set(USER_HPS) | set(STATICS) <= set(req.hyperparameters)
    return req


def test_toolkit_entry_point_in_the_container(tmp_path: Path, toolkit_image: str,
                                              job_name: str) -> None:
    req = _request(tmp_path)
    backend = _backend(job_name, toolkit_image)
    lines = Lines()
    started = time.monotonic()
    state = run_to_end(backend, backend.start(req, lines), timeout=180)
    assert state.status == "Completed", (state, lines.text())
    assert time.monotonic() - started < 90  # algo-1 resolved at once: no DNS wait
    view = view_of(lines)
    assert_sees_the_job(view, req, Path("/opt/ml"))
    assert view["hostname"] == "algo-1" and view["resolved"]
    assert view["argv"] == json.loads(view["toolkit_env"]["SM_USER_ARGS"])
    assert (req.directory / "model" / "model.txt").read_text() == "trained\n"
    assert (req.directory / "output" / "success").exists()
    assert "validation:accuracy=0.2500" in lines.text("stdout")


def test_toolkit_failure_in_the_container(tmp_path: Path, toolkit_image: str,
                                          job_name: str, docker_client: Any) -> None:
    req = _request(tmp_path, fail="yes")
    backend = _backend(job_name, toolkit_image)
    state = run_to_end(backend, backend.start(req, Lines()), timeout=180)
    written = (req.directory / "output" / "failure").read_text()
    assert state.status == "Failed"
    assert written.startswith("ExecuteUserScriptError") and "ExitCode 3" in written
    assert state.reason == written.strip()[:1024]
