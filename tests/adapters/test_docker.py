"""The Docker backend against a real daemon (marker ``docker``: fails under CI without one)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.base import Backend, JobState, TrainingJobRequest
from hpo_core.adapters.docker import DockerBackend
from hpo_core.errors import ExecutionError
from hpo_core.jobs.metrics import MetricDefinition, MetricScraper
from tests.adapters.support import Lines, run_to_end

pytestmark = pytest.mark.docker


def make_request(tmp_path: Path, name: str, channels: dict[str, Path] | None = None,
                 **hyperparameters: str) -> TrainingJobRequest:
    hps = {"_tuning_objective_metric": "loss", **hyperparameters}
    idc = {c: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
               "RecordWrapperType": "None"} for c in channels or {}}
    return TrainingJobRequest(name=name, directory=tmp_path / "training-jobs" / name,
                              command=("train",), cwd=tmp_path, hyperparameters=hps,
                              channels=channels or {}, input_data_config=idc,
                              log_path=tmp_path / "logs" / f"{name}.log")


def backend_for(job: str, image: str, grace_s: float = 1.0, **definition: Any) -> DockerBackend:
    d = {"AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
         **definition}
    return DockerBackend(job, {"default": d}, grace_s=grace_s)


def test_is_a_backend() -> None:
    assert isinstance(DockerBackend(), Backend)


def test_contract_files_and_environment_inside_the_container(
        tmp_path: Path, busybox: str, job_name: str, docker_client: Any) -> None:
    data = tmp_path / "data" / "train"
    data.mkdir(parents=True)
    (data / "data.txt").write_text("channel data\n")
    backend = backend_for(job_name, busybox, EnableNetworkIsolation=True,
                          ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                          "VolumeSizeInGB": 5},
                          Environment={"CUSTOM_FLAG": "on"})
    req = make_request(tmp_path, "contract-1", {"train": data}, mode="contract", x="0.25",
                       epochs="2")
    req = TrainingJobRequest(**{**req.__dict__, "environment": {"CUSTOM_FLAG": "on"}})
    lines = Lines()
    state = run_to_end(backend, backend.start(req, lines))
    out = lines.text("stdout")
    assert state == JobState("Completed", exit_code=0), (state, out)
    hps = json.loads(next(x for x in out if x.startswith("hyperparameters: ")).split(": ", 1)[1])
    assert hps == {"_tuning_objective_metric": "loss", "mode": "contract", "x": "0.25",
                   "epochs": "2"}
    idc = json.loads(next(x for x in out if x.startswith("inputdataconfig: ")).split(": ", 1)[1])
    assert idc["train"]["TrainingInputMode"] == "File"
    rc = json.loads(next(x for x in out if x.startswith("resourceconfig: ")).split(": ", 1)[1])
    assert rc["current_host"] == "algo-1" and rc["current_instance_type"] == "ml.m5.large"
    assert "channel-file: channel data" in out
    assert "channel: read-only" in out
    env = dict(x[5:].split("=", 1) for x in out if x.startswith("env: "))
    assert env["SM_MODEL_DIR"] == "/opt/ml/model"
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert env["SM_INPUT_CONFIG_DIR"] == "/opt/ml/input/config"
    assert env["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data"
    assert env["SM_CHECKPOINT_DIR"] == "/opt/ml/checkpoints"
    assert env["SM_HP_X"] == "0.25" and env["SM_HP_MODE"] == "contract"
    assert env["SM_CURRENT_INSTANCE_TYPE"] == "ml.m5.large"
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert json.loads(env["SM_HPS"])["x"] == 0.25
    assert env["TRAINING_JOB_NAME"] == "contract-1"
    assert env["CUSTOM_FLAG"] == "on"
    assert "interfaces: lo " in out  # --network none: loopback only
    assert any(x.startswith("args: ") and x.split()[1].endswith("train") for x in out)
    assert [x for x in out if x.startswith("epoch=")] == [
        "epoch=1 loss=1.002500", "epoch=2 loss=0.502500"]
    # outputs land on the host; the channel was not written
    assert (req.directory / "model" / "model.txt").read_text() == "written by the container\n"
    assert (req.directory / "checkpoints" / "ckpt.txt").exists()
    assert not (data / "written").exists()
    log = req.log_path.read_text()  # type: ignore[union-attr]
    assert "channel: read-only" in log and "=== exit status 0" in log
    assert not docker_client.containers.list(all=True, filters={"label": f"hpo.job={job_name}"})


def test_metrics_are_scraped_while_the_container_runs(
        tmp_path: Path, busybox: str, job_name: str, docker_client: Any) -> None:
    backend = backend_for(job_name, busybox, ResourceConfig={"InstanceType": "ml.c5.large"})
    scraper = MetricScraper([MetricDefinition("loss", r"loss=([0-9.]+)")], "loss")
    points: list[tuple[int, float]] = []
    lines = Lines()

    def sink(stream: str, line: str) -> None:
        points.extend((u.step, u.value) for u in scraper.feed(line))
        lines(stream, line)

    req = make_request(tmp_path, "live-1", mode="live")
    handle = backend.start(req, sink)
    lines.wait_for("epoch=1")
    assert backend.poll(handle).status == "InProgress"
    assert points == [(1, 0.75)]  # scraped before the job ended
    info = backend.process_info(handle)
    attrs = docker_client.api.inspect_container(info["container"])
    assert attrs["Config"]["Labels"]["hpo.job"] == job_name
    assert attrs["Config"]["Labels"]["hpo.trial"] == "live-1"
    assert attrs["Config"]["Cmd"] == ["train"]
    assert attrs["HostConfig"]["Memory"] == 4096 * 2**20  # ml.c5.large: 2 vCPU, 4 GiB
    assert attrs["HostConfig"]["NanoCpus"] == 2 * 10**9
    assert attrs["HostConfig"]["NetworkMode"] != "none"
    (req.directory / "model" / "go").touch()
    assert run_to_end(backend, handle).status == "Completed"
    assert points == [(1, 0.75), (2, 0.5)]


def test_parallel_containers(tmp_path: Path, busybox: str, job_name: str,
                             docker_client: Any) -> None:
    backend = backend_for(job_name, busybox)
    sinks = {x: Lines() for x in ("0.1", "0.3", "0.9")}
    requests = {x: make_request(tmp_path, f"par-{i}", mode="gate", x=x, epochs="4")
                for i, x in enumerate(sinks)}
    handles = {x: backend.start(requests[x], sinks[x]) for x in sinks}
    for lines in sinks.values():
        lines.wait_for("waiting")
    running = docker_client.containers.list(filters={"label": f"hpo.job={job_name}"})
    assert len(running) == 3  # all three at once
    for req in requests.values():
        (req.directory / "model" / "go").touch()
    states = {x: run_to_end(backend, h) for x, h in handles.items()}
    assert all(s.status == "Completed" for s in states.values())
    finals = {x: sinks[x].text()[-1] for x in sinks}
    assert finals == {"0.1": "epoch=4 loss=0.290000", "0.3": "epoch=4 loss=0.250000",
                      "0.9": "epoch=4 loss=0.610000"}


def test_timeout_and_stop(tmp_path: Path, busybox: str, job_name: str) -> None:
    backend = backend_for(job_name, busybox, grace_s=1.0)
    timed = make_request(tmp_path, "timeout-1", mode="ignore_term")
    timed = TrainingJobRequest(**{**timed.__dict__, "max_runtime_s": 1.0})
    trap_lines, ignore_lines = Lines(), Lines()
    t0 = time.monotonic()
    h_timeout = backend.start(timed, Lines())
    h_trap = backend.start(make_request(tmp_path, "trap-1", mode="trap_term"), trap_lines)
    h_ignore = backend.start(make_request(tmp_path, "ignore-1", mode="ignore_term"),
                             ignore_lines)
    trap_lines.wait_for("epoch=1")
    ignore_lines.wait_for("epoch=1")
    backend.stop(h_trap, "early stopping")
    backend.stop(h_ignore, "tuning job ending")
    s_trap = run_to_end(backend, h_trap)
    assert s_trap.status == "Stopped" and s_trap.reason == "early stopping"
    assert s_trap.exit_code == 143 and "got SIGTERM, saving" in trap_lines.text()
    s_ignore = run_to_end(backend, h_ignore)  # PID 1 ignores SIGTERM: SIGKILL after grace
    assert s_ignore.status == "Stopped" and s_ignore.exit_code == 137
    s_timeout = run_to_end(backend, h_timeout)
    assert s_timeout.status == "Failed" and s_timeout.reason is not None
    assert s_timeout.reason.startswith("MaxRuntimeExceeded")
    assert 2.0 <= time.monotonic() - t0 < 15.0


def test_oom_and_nonzero_exit_reasons(tmp_path: Path, busybox: str, job_name: str) -> None:
    oom_backend = DockerBackend(job_name, {"default": {"AlgorithmSpecification": {
        "TrainingImage": busybox}}}, memory_mb=32, grace_s=1.0)
    backend = backend_for(job_name, busybox)
    h_oom = oom_backend.start(make_request(tmp_path, "oom-1", mode="oom"), Lines())
    h_fail = backend.start(make_request(tmp_path, "fail-1", mode="fail"), Lines())
    h_file = backend.start(make_request(tmp_path, "file-1", mode="failure_file", x="7"), Lines())
    oom = run_to_end(oom_backend, h_oom)
    assert oom.status == "Failed" and oom.exit_code == 137 and not oom.retryable
    assert oom.reason is not None and oom.reason.startswith("OutOfMemory")
    assert "32 MiB" in oom.reason
    fail = run_to_end(backend, h_fail)
    assert fail.status == "Failed" and fail.exit_code == 3 and not fail.retryable
    assert fail.reason is not None and "exit status 3" in fail.reason
    assert "something went wrong" in fail.reason
    failure = run_to_end(backend, h_file)
    assert failure == JobState("Failed", "ValueError: x must be small, got 7", exit_code=1)


def test_missing_image_and_unreachable_daemon(tmp_path: Path, busybox: str,
                                              job_name: str) -> None:
    import docker

    backend = backend_for(job_name, "hpo-test-no-such-image:0")
    with pytest.raises(ExecutionError, match="not present in the local Docker engine") as e:
        backend.start(make_request(tmp_path, "missing-1"), Lines())
    assert e.value.action == "abort"
    dead = DockerBackend(job_name, {"default": {"AlgorithmSpecification": {
        "TrainingImage": busybox}}},
        client=docker.DockerClient(base_url=f"unix://{tmp_path}/no-docker.sock", version="1.41"))
    with pytest.raises(ExecutionError, match="cannot reach the Docker daemon") as e:
        dead.start(make_request(tmp_path, "dead-1"), Lines())
    assert e.value.action == "abort"
    dead.reap({"container": "0" * 64, "hpo.job": job_name, "hpo.trial": "dead-1",
               "hpo.directory": str(tmp_path)})  # nothing to do, and no exception
    with pytest.raises(ExecutionError, match=r"TrainingImage: required") as e:
        DockerBackend(job_name, {}).start(make_request(tmp_path, "noimage-1"), Lines())
    assert e.value.action == "abort"
    unknown = backend_for(job_name, busybox, ResourceConfig={"InstanceType": "ml.zz.huge"})
    with pytest.raises(ExecutionError, match=r"ResourceConfig.InstanceType: 'ml.zz.huge'"):
        unknown.start(make_request(tmp_path, "unknown-1"), Lines())
