"""One job document, four backends: local, Docker, Ray and (moto-mocked) SageMaker.

Every backend runs the same algorithm, loss = (x - 0.3)^2 + 1/epoch printed once per epoch:
``train.py`` for local and Ray, the busybox image's ``train`` for Docker, and simulated
CloudWatch logs for SageMaker. With the same RandomSeed each backend must produce the same
training jobs with the same objective values.
"""

from __future__ import annotations

import copy
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hpo_core.jobs.tuning_job import TuningJob
from tests.adapters.optional import require
from tests.adapters.test_amt_moto import DOC, SimulatedSageMaker

TRAIN = """
import json, os
hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
x = float(hp["x"])
for i in range(1, int(hp["epochs"]) + 1):
    print(f"epoch={i} loss={(x - 0.3) ** 2 + 1 / i:.6f}", flush=True)
"""
BACKENDS = ["local", pytest.param("docker", marks=pytest.mark.docker), "ray", "sagemaker"]


def document(backend: str, image: str) -> dict[str, Any]:
    """DOC for ``backend``: only the Local block differs (and the image is the test's)."""
    doc = copy.deepcopy(DOC)
    doc["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] = image
    doc["Local"] = {"Backend": backend, "Command": [sys.executable, "train.py"]}
    return doc


def _image(request: pytest.FixtureRequest, backend: str) -> str:
    return request.getfixturevalue("busybox") if backend == "docker" else \
        DOC["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"]


def _backend(backend: str, doc: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    """The backend to pass in: only SageMaker's (on mocked AWS); the tuner builds the others
    from ``Local.Backend`` (Ray joins the test's local instance)."""
    if backend == "ray":
        request.getfixturevalue("local_ray")
    if backend != "sagemaker":
        return None
    from hpo_core.adapters.sagemaker import SageMakerBackend

    sm, logs = request.getfixturevalue("aws")
    return SageMakerBackend.from_document(doc, client=SimulatedSageMaker(sm, logs),
                                          logs_client=logs, describe_s=0.0, seed=1)


def _results(job: TuningJob) -> tuple[dict[str, Any], list[tuple[float, int, float]]]:
    result = job.run()
    trials = sorted((float(t["TunedHyperParameters"]["x"]),
                     int(t["TunedHyperParameters"]["epochs"]),
                     round(t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], 6))
                    for t in job.trials())
    return result, trials


def _expected(trials: list[tuple[float, int, float]]) -> None:
    assert len(trials) == 4
    for x, epochs, value in trials:
        assert value == pytest.approx((x - 0.3) ** 2 + 1 / epochs, abs=2e-6)


@pytest.fixture
def aws() -> Any:
    require("moto", "dev")
    from moto import mock_aws

    from tests.adapters.sagemaker_fixtures import clients

    with mock_aws():
        yield clients()


@pytest.fixture(autouse=True)
def _clean_docker(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Remove this test's containers (job "quadratic" under ``tmp_path``), only those."""
    yield
    name = request.node.name
    if "[docker]" in name or name.startswith("test_the_same_trials"):
        client = request.getfixturevalue("docker_client")
        for c in client.containers.list(all=True, filters={"label": "hpo.job=quadratic"}):
            if c.labels.get("hpo.directory", "").startswith(str(tmp_path)):
                c.remove(force=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_same_document_on_every_backend(backend: str, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN))
    doc = document(backend, _image(request, backend))
    job = TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "job",
                              backend=_backend(backend, doc, request))
    result, trials = _results(job)
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    _expected(trials)


def test_the_same_trials_on_every_backend(tmp_path: Path, request: pytest.FixtureRequest,
                                          docker_client: Any) -> None:
    """With the same RandomSeed, every backend runs the same training jobs, same values."""
    seen = {}
    for backend in ("local", "docker", "ray", "sagemaker"):
        folder = tmp_path / backend
        folder.mkdir()
        (folder / "train.py").write_text(textwrap.dedent(TRAIN))
        doc = document(backend, _image(request, backend))
        job = TuningJob.from_dict(doc, base_dir=folder, directory=folder / "job",
                                  backend=_backend(backend, doc, request))
        result, seen[backend] = _results(job)
        assert result["HyperParameterTuningJobStatus"] == "Completed", (backend, result)
        _expected(seen[backend])
    assert seen["docker"] == seen["local"] == seen["ray"] == seen["sagemaker"]
