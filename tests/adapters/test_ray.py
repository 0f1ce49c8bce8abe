"""The Ray backend against a local Ray instance started by the test session (fixture
``local_ray``: 2 CPUs)."""

# ruff: noqa: E402  (imports after the require() of an optional dependency)

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.optional import require

ray = require("ray", "ray")

from hpo_core.adapters.base import Backend, JobState, TrainingJobRequest
from hpo_core.adapters.ray import RayBackend
from tests.adapters.support import Lines, run_to_end

SCRIPT = """
import json, os, signal, sys, time
ml = os.environ["SM_INPUT_CONFIG_DIR"].rsplit("/input/config", 1)[0]
hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
mode, x = hp.get("mode", "ok"), float(hp.get("x", "0.5"))
def on_term(*_):
    open(os.path.join(ml, "output", "data", "terminated"), "w").write("SIGTERM")
    print("got SIGTERM", flush=True)
    sys.exit(143)
signal.signal(signal.SIGTERM, on_term)
print(f"model_dir={os.environ['SM_MODEL_DIR']} pid={os.getpid()}", flush=True)
for epoch in range(1, int(hp.get("epochs", "3")) + 1):
    print(f"epoch={epoch} loss={(x - 0.3) ** 2 + 1 / epoch:.6f}", flush=True)
    time.sleep(float(hp.get("delay", "0.05")))
if mode == "wait":
    while not os.path.exists(os.path.join(ml, "model", "go")):
        time.sleep(0.05)
    print("released", flush=True)
elif mode == "sleep":
    time.sleep(120)
elif mode == "fail":
    open(os.path.join(ml, "output", "failure"), "w").write("ValueError: bad x")
    sys.exit(1)
"""


def make_request(tmp_path: Path, name: str, max_runtime_s: float | None = None,
                 **hp: str) -> TrainingJobRequest:
    script = tmp_path / "train.py"
    if not script.exists():
        script.write_text(textwrap.dedent(SCRIPT))
    return TrainingJobRequest(
        name=name, directory=tmp_path / "training-jobs" / name, command=("python", "train.py"),
        cwd=tmp_path, hyperparameters={"_tuning_objective_metric": "loss", **hp},
        max_runtime_s=max_runtime_s, log_path=tmp_path / "logs" / f"{name}.log")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_is_a_backend() -> None:
    assert isinstance(RayBackend(), Backend)


def test_unreachable_cluster_is_a_configuration_error(tmp_path: Path) -> None:
    from hpo_core.errors import ExecutionError

    if ray.is_initialized():
        pytest.skip("a Ray instance is already running in this process")
    backend = RayBackend("job", address="ray://127.0.0.1:1")
    with pytest.raises(ExecutionError) as e:
        backend.start(make_request(tmp_path, "ray-nowhere"), Lines())
    assert e.value.action == "abort"


def test_contract_and_lines_stream_back_live(local_ray: Any, tmp_path: Path) -> None:
    backend = RayBackend("job", grace_s=1.0)
    req = make_request(tmp_path, "ray-live", mode="wait", x="0.5")
    lines = Lines()
    handle = backend.start(req, lines)
    lines.wait_for("epoch=3")
    assert backend.poll(handle).status == "InProgress"  # the lines arrived while it runs
    assert (req.directory / "input" / "config" / "hyperparameters.json").is_file()
    assert lines.text()[0].startswith(f"model_dir={req.directory / 'model'} ")
    info = backend.process_info(handle)
    assert info["backend"] == "ray" and _alive(info["pid"])
    (req.directory / "model" / "go").touch()
    assert run_to_end(backend, handle) == JobState("Completed", exit_code=0)
    assert lines.text()[1:] == ["epoch=1 loss=1.040000", "epoch=2 loss=0.540000",
                                "epoch=3 loss=0.373333", "released"]
    assert "released" in req.log_path.read_text()  # type: ignore[union-attr]


def test_stop_cancels_the_task_and_terminates_the_job(local_ray: Any, tmp_path: Path) -> None:
    backend = RayBackend("job", grace_s=2.0)
    req = make_request(tmp_path, "ray-stop", mode="sleep")
    lines = Lines()
    handle = backend.start(req, lines)
    lines.wait_for("epoch=3")
    pid = backend.process_info(handle)["pid"]
    backend.stop(handle, "early stopping")
    assert run_to_end(backend, handle) == JobState("Stopped", "early stopping")
    assert _wait_gone(pid)
    assert (req.directory / "output" / "data" / "terminated").read_text() == "SIGTERM"


def test_timeout_and_failure_reasons(local_ray: Any, tmp_path: Path) -> None:
    backend = RayBackend("job", grace_s=1.0)
    slow = backend.start(make_request(tmp_path, "ray-timeout", max_runtime_s=1.0,
                                      mode="sleep"), Lines())
    failing = backend.start(make_request(tmp_path, "ray-fail", mode="fail"), Lines())
    state = run_to_end(backend, slow)
    assert state.status == "Failed" and (state.reason or "").startswith("MaxRuntimeExceeded")
    assert run_to_end(backend, failing) == JobState("Failed", "ValueError: bad x", exit_code=1)


def test_dead_worker_is_a_retryable_failure_and_kills_the_job(local_ray: Any,
                                                              tmp_path: Path) -> None:
    backend = RayBackend("job", grace_s=1.0)
    lines = Lines()
    handle = backend.start(make_request(tmp_path, "ray-dead", mode="sleep"), lines)
    lines.wait_for("epoch=3")
    info = backend.process_info(handle)
    os.kill(info["worker_pid"], signal.SIGKILL)  # the node running it dies
    state = run_to_end(backend, handle)
    assert state.status == "Failed" and state.retryable, state
    assert "died" in (state.reason or "")
    assert _wait_gone(info["pid"])  # PR_SET_PDEATHSIG: no orphan training process


def test_resource_request_is_honoured(local_ray: Any, tmp_path: Path) -> None:
    backend = RayBackend("job", num_cpus=2, grace_s=1.0)  # the whole local cluster
    a, b = Lines(), Lines()
    ha = backend.start(make_request(tmp_path, "ray-cpu-a", epochs="4", delay="0.25"), a)
    hb = backend.start(make_request(tmp_path, "ray-cpu-b", epochs="4", delay="0.25"), b)
    assert run_to_end(backend, ha).status == "Completed"
    assert run_to_end(backend, hb).status == "Completed"
    first, second = sorted([a.items, b.items], key=lambda items: items[0][0])
    assert second[0][0] >= first[-1][0]  # one 2-CPU task at a time


_DRIVER = """
import json, sys, time
from pathlib import Path
import ray
from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.ray import RayBackend
ray.init(address="local", num_cpus=1, object_store_memory=80 * 2**20, include_dashboard=False,
         log_to_driver=False)
tmp = Path(sys.argv[1])
backend = RayBackend("job", grace_s=1.0)
req = TrainingJobRequest(name="orphan", directory=tmp / "orphan", command=("python", "train.py"),
                         cwd=tmp, hyperparameters={"mode": "sleep"})
handle = backend.start(req, lambda _s, _l: None)
while "pid" not in handle.started:
    time.sleep(0.05)
(tmp / "started.json").write_text(json.dumps(handle.started))
time.sleep(600)
"""


@pytest.mark.slow
def test_a_sigkilled_driver_leaves_no_training_process(tmp_path: Path) -> None:
    import json
    import subprocess

    make_request(tmp_path, "unused")  # writes train.py
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(tmp_path)],
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    marker = tmp_path / "started.json"
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert driver.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        started = json.loads(marker.read_text())
        assert _alive(started["pid"])
    finally:
        os.kill(driver.pid, signal.SIGKILL)  # the tuner dies, its Ray instance with it
        driver.wait()
    assert _wait_gone(started["pid"], timeout=30), "the training process outlived its driver"
    with contextlib.suppress(ProcessLookupError):  # what is left of the driver's session
        os.killpg(driver.pid, signal.SIGKILL)
