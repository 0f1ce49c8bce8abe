"""Tuning jobs on the Docker backend: the parallel limit, a SIGKILLed tuner (adoption and
reaping), and one end-to-end job of the examples/docker image (python3 + numpy).

The end-to-end job names ``"Backend": "docker"`` (the tuner builds the backend); the others
pass a DockerBackend with a short grace period.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.docker import DockerBackend
from hpo_core.adapters.jobdefs import definitions_of
from hpo_core.jobs.tuning_job import TuningJob
from tests.adapters.support import Lines, run_to_end
from tests.adapters.test_docker import make_request

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]


def busybox_doc(name: str, image: str, max_jobs: int, parallel: int,
                **statics: str) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs,
                               "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}]},
            "RandomSeed": 3},
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": image, "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]},
            "StaticHyperParameters": statics,
            "StoppingCondition": {"MaxRuntimeInSeconds": 120}},
        "Local": {"Backend": "local", "Command": ["train"]},
    }


def _running(client: Any, job: str) -> list[Any]:
    return client.containers.list(filters={"label": f"hpo.job={job}"})


def _all(client: Any, job: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"hpo.job={job}"})


def test_tuner_keeps_within_max_parallel(tmp_path: Path, busybox: str, job_name: str,
                                         docker_client: Any) -> None:
    doc = busybox_doc(job_name, busybox, max_jobs=5, parallel=2, epochs="3", delay="0.3")
    backend = DockerBackend(job_name, definitions_of(doc), grace_s=1.0)
    job = TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "job",
                              backend=backend)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(len(_running(docker_client, job_name)))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = job.run()
    finally:
        done.set()
        watcher.join()
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    assert result["TrainingJobStatusCounters"]["Completed"] == 5
    assert max(seen) == 2
    best = result["BestTrainingJob"]
    x = float(best["TunedHyperParameters"]["x"])
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
        round((x - 0.3) ** 2 + 1 / 3, 6), abs=1e-6)
    assert not _all(docker_client, job_name)


def _recorded(directory: Path) -> int:
    """How many running trials have their container recorded in the job's store."""
    from hpo_core.jobs.store import Store, is_job_dir

    if not is_job_dir(directory):
        return 0
    store = Store(directory)
    try:
        return sum(1 for row in store.trials("InProgress") if row["process"])
    finally:
        store.close()


_TUNER = """
import json, sys
from hpo_core.adapters.docker import DockerBackend
from hpo_core.adapters.jobdefs import definitions_of
from hpo_core.jobs.tuning_job import TuningJob
doc = json.load(open(sys.argv[1]))
backend = DockerBackend(doc["HyperParameterTuningJobName"], definitions_of(doc), grace_s=1.0)
TuningJob.from_dict(doc, base_dir=sys.argv[2], directory=sys.argv[3], backend=backend).run()
"""


def test_sigkilled_tuner_leaves_no_container(tmp_path: Path, busybox: str, job_name: str,
                                             docker_client: Any) -> None:
    doc = busybox_doc(job_name, busybox, max_jobs=3, parallel=2, epochs="40", delay="0.1")
    (tmp_path / "job.json").write_text(json.dumps(doc))
    tuner = subprocess.Popen([sys.executable, "-c", _TUNER, str(tmp_path / "job.json"),
                              str(tmp_path), str(tmp_path / "job")], cwd=REPO,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len(_running(docker_client, job_name)) < 2 or _recorded(tmp_path / "job") < 2:
            assert tuner.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(tuner.pid, signal.SIGKILL)
        tuner.wait()
    orphans = {c.id for c in _running(docker_client, job_name)}
    assert len(orphans) == 2  # the dead tuner's containers run on
    backend = DockerBackend(job_name, definitions_of(doc), grace_s=1.0)
    result = TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "job",
                                 backend=backend).run()
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    assert result["TrainingJobStatusCounters"]["Completed"] == 3
    logs = [p.read_text() for p in (tmp_path / "job" / "logs").glob("*.log")]
    adopted = [text for text in logs if " adopted " in text]
    assert len(adopted) == 2  # the resumed tuner took both running containers back
    # after the "adopted" marker the log holds the container's whole output, replayed
    assert all("epoch=40 " in text.split(" adopted ", 1)[1] for text in adopted)
    assert not _all(docker_client, job_name)


def test_adopt_running_and_reap_finished_after_a_dead_tuner(
        tmp_path: Path, busybox: str, job_name: str, docker_client: Any) -> None:
    image = {"default": {"AlgorithmSpecification": {"TrainingImage": busybox}}}
    dead = DockerBackend(job_name, image, grace_s=1.0)
    running_req = make_request(tmp_path, "adopt-1", mode="live")
    finished_req = make_request(tmp_path, "reap-1", epochs="1")
    running = dead.process_info(dead.start(running_req, Lines()))
    finished = dead.process_info(dead.start(finished_req, Lines()))
    # the tuner "dies": its handles are gone, only the stored process info is left
    deadline = time.monotonic() + 20
    while docker_client.api.inspect_container(finished["container"])["State"]["Running"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    backend = DockerBackend(job_name, image, grace_s=1.0)
    assert backend.adopt(finished, finished_req, Lines()) is None  # ended: reaped
    lines = Lines()
    handle = backend.adopt(running, running_req, lines)
    assert handle is not None
    lines.wait_for("epoch=1 loss=0.75")  # the log is replayed from the start
    (running_req.directory / "model" / "go").touch()
    assert run_to_end(backend, handle).status == "Completed"
    assert lines.text() == ["epoch=1 loss=0.75", "epoch=2 loss=0.5"]
    assert not _all(docker_client, job_name)
    # reap() of a job still running kills and removes it
    again = backend.process_info(backend.start(make_request(tmp_path, "kill-1",
                                                            mode="ignore_term"), Lines()))
    backend.reap(again)
    assert not _all(docker_client, job_name)
    assert backend.reap_job() == 0


@pytest.mark.slow
def test_python_image_end_to_end(tmp_path: Path, example_image: str, job_name: str,
                                 docker_client: Any) -> None:
    doc = {
        "HyperParameterTuningJobName": job_name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize",
                                                 "MetricName": "validation:rmse"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.5",
                 "ScalingType": "Logarithmic"}]},
            "RandomSeed": 11},
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": example_image, "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "validation:rmse",
                                       "Regex": r"validation:rmse=([0-9.]+)"}]},
            "StaticHyperParameters": {"epochs": "20", "alpha": "0.001"},
            "ResourceConfig": {"InstanceType": "ml.c5.large", "InstanceCount": 1,
                               "VolumeSizeInGB": 1},
            "EnableNetworkIsolation": True},
        "Local": {"Backend": "docker"},
    }
    result = TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "job").run()
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    assert result["TrainingJobStatusCounters"]["Completed"] == 3
    best = result["BestTrainingJob"]
    assert 0 < best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] < 2
    weights = tmp_path / "job" / "training-jobs" / best["TrainingJobName"] / "model"
    assert (weights / "weights.npy").is_file()
    assert not _all(docker_client, job_name)
