"""The local backend with real subprocesses: the container contract, streaming, timeouts,
failures and stops."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.base import Backend, JobState, TrainingJobRequest
from hpo_core.adapters.local import LocalBackend
from hpo_core.adapters.python import PythonBackend
from hpo_core.errors import ExecutionError


def _request(tmp_path: Path, script: str, **kw: Any) -> TrainingJobRequest:
    (tmp_path / "train.py").write_text(textwrap.dedent(script))
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "rows.csv").write_text("1,2\n")
    base: dict[str, Any] = dict(
        name="job-001-abc", directory=tmp_path / "tj", command=("python", "train.py"),
        cwd=tmp_path, hyperparameters={"eta": "0.3", "max_depth": "5", "name": "a b",
                                       "_tuning_objective_metric": "loss"},
        channels={"train": data}, input_data_config={"train": {"TrainingInputMode": "File"}},
        environment={"EXTRA": "1"}, max_runtime_s=None, log_path=tmp_path / "logs" / "j.log")
    base.update(kw)
    return TrainingJobRequest(**base)


def _wait(backend: Backend, handle: Any, timeout: float = 30.0) -> JobState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = backend.poll(handle)
        if state.done:
            return state
        time.sleep(0.02)
    raise AssertionError("job did not end")


def test_contract_files_and_environment(tmp_path: Path) -> None:
    script = """
    import json, os
    keys = {k: v for k, v in os.environ.items() if k.startswith("SM_") or k in (
        "TRAINING_JOB_NAME", "EXTRA", "PYTHONUNBUFFERED")}
    root = os.path.dirname(os.path.dirname(os.environ["SM_INPUT_CONFIG_DIR"]))
    files = {p: json.load(open(os.path.join(root, "input/config", p))) for p in (
        "hyperparameters.json", "inputdataconfig.json", "resourceconfig.json")}
    data = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "rows.csv")).read()
    dirs = {d: os.path.isdir(os.path.join(root, d)) for d in (
        "model", "output", "output/data", "checkpoints", "input/data/train")}
    print(json.dumps({"env": keys, "files": files, "data": data, "dirs": dirs,
                      "cwd": os.getcwd()}))
    """
    lines: list[str] = []
    backend = LocalBackend()
    req = _request(tmp_path, script)
    state = _wait(backend, backend.start(req, lambda s, line: lines.append(line)))
    assert state.status == "Completed", state
    out = json.loads(lines[0])
    env, files, root = out["env"], out["files"], req.directory
    assert files["hyperparameters.json"] == req.hyperparameters  # all strings
    assert files["inputdataconfig.json"] == {"train": {"TrainingInputMode": "File"}}
    assert files["resourceconfig.json"]["current_host"] == "algo-1"
    assert out["data"] == "1,2\n" and all(out["dirs"].values())
    assert out["cwd"] == str(tmp_path)
    assert env["SM_HP_ETA"] == "0.3" and env["SM_HP_MAX_DEPTH"] == "5"
    assert env["SM_HP_NAME"] == "a b"  # never split: no shell anywhere
    assert json.loads(env["SM_HPS"])["max_depth"] == 5
    assert env["SM_CHANNEL_TRAIN"] == str(root / "input" / "data" / "train")
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert env["SM_MODEL_DIR"] == str(root / "model")
    assert env["SM_OUTPUT_DATA_DIR"] == str(root / "output" / "data")
    assert env["SM_INPUT_CONFIG_DIR"] == str(root / "input" / "config")
    assert json.loads(env["SM_TRAINING_ENV"])["job_name"] == "job-001-abc"
    assert json.loads(env["SM_USER_ARGS"])[:2] == ["--eta", "0.3"]
    assert env["TRAINING_JOB_NAME"] == "job-001-abc" and env["EXTRA"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    log = req.log_path.read_text()
    assert lines[0] in log and "exit status 0" in log


def test_lines_stream_as_they_arrive(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    script = f"""
    import os, time
    print("first", flush=True)
    while not os.path.exists({str(gate)!r}):
        time.sleep(0.01)
    print("second")
    """
    seen = threading.Event()
    lines: list[str] = []

    def sink(stream: str, line: str) -> None:
        lines.append(line)
        if line == "first":
            seen.set()

    backend = LocalBackend()
    handle = backend.start(_request(tmp_path, script), sink)
    assert seen.wait(20), "the first line did not arrive while the job was running"
    assert backend.poll(handle).status == "InProgress"
    assert "first" in (tmp_path / "logs" / "j.log").read_text()  # in the log already
    gate.touch()
    assert _wait(backend, handle).status == "Completed"
    assert lines == ["first", "second"]


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_timeout_kills_the_process_tree(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"""
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # ignores SIGTERM: needs SIGKILL
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
    open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
    print("loss=1", flush=True)
    time.sleep(60)
    """
    backend = LocalBackend(grace_s=0.5)
    t0 = time.monotonic()
    handle = backend.start(_request(tmp_path, script, max_runtime_s=1.0), lambda s, x: None)
    state = _wait(backend, handle)
    assert state.status == "Failed" and state.reason.startswith("MaxRuntimeExceeded")
    assert time.monotonic() - t0 < 20
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(pid), f"process {pid} of the job's tree survived"


def test_failure_reason_from_output_failure(tmp_path: Path) -> None:
    script = """
    import os, sys
    root = os.path.dirname(os.environ["SM_MODEL_DIR"])
    open(os.path.join(root, "output", "failure"), "w").write("ValueError: eta too big")
    sys.exit(3)
    """
    backend = LocalBackend()
    state = _wait(backend, backend.start(_request(tmp_path, script), lambda s, x: None))
    assert state == JobState("Failed", "ValueError: eta too big", False, 3)


def test_failure_reason_from_log_tail_and_retryable(tmp_path: Path) -> None:
    backend = LocalBackend()
    state = _wait(backend, backend.start(_request(
        tmp_path, "import sys\nprint('boom', file=sys.stderr)\nsys.exit(2)\n"),
        lambda s, x: None))
    assert state.status == "Failed" and "exit status 2" in state.reason and "boom" in \
        state.reason and not state.retryable
    script = """
    import os
    from hpo_core import training
    training.fail("RetryableError: the GPU went away")
    """
    state = _wait(backend, backend.start(_request(tmp_path, script), lambda s, x: None))
    assert state.retryable and state.reason == "RetryableError: the GPU went away"
    state = _wait(backend, backend.start(_request(
        tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
        lambda s, x: None))
    assert state.retryable and "SIGKILL" in state.reason


def test_stop_is_sigterm_and_reports_stopped(tmp_path: Path) -> None:
    script = """
    import signal, sys, time
    def bye(*_):
        print("got SIGTERM", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    print("ready", flush=True)
    time.sleep(60)
    """
    lines: list[str] = []
    backend = LocalBackend(grace_s=5)
    handle = backend.start(_request(tmp_path, script), lambda s, x: lines.append(x))
    deadline = time.monotonic() + 20
    while "ready" not in lines and time.monotonic() < deadline:
        time.sleep(0.01)
    backend.stop(handle, "early stopping")
    state = _wait(backend, handle)
    assert state.status == "Stopped" and state.reason == "early stopping"
    assert lines[-1] == "got SIGTERM"


def test_command_not_found_aborts(tmp_path: Path) -> None:
    with pytest.raises(ExecutionError) as info:
        LocalBackend().start(_request(tmp_path, "", command=("no-such-command-xyz",)),
                             lambda s, x: None)
    assert info.value.action == "abort" and "no-such-command-xyz" in str(info.value)


def test_reap_kills_a_job_left_by_a_dead_tuner(tmp_path: Path) -> None:
    backend = LocalBackend()
    handle = backend.start(_request(tmp_path, "import time\ntime.sleep(60)\n"),
                           lambda s, x: None)
    info = json.loads(json.dumps(backend.process_info(handle)))
    backend.reap(info)
    assert _wait(backend, handle, 10).status == "Failed"  # killed by SIGKILL
    backend.reap(info)  # gone: a no-op


def test_python_backend(tmp_path: Path) -> None:
    def train(ctx: Any) -> float:
        assert ctx.hyperparameters == {"eta": 0.3, "max_depth": 5, "name": "a b"}
        (ctx.model_dir / "model.txt").write_text("m")
        for step in range(3):
            ctx.report(loss=1.0 / (step + 1))
        return 0.1

    lines: list[str] = []
    backend = PythonBackend(train)
    req = _request(tmp_path, "")
    assert _wait(backend, backend.start(req, lambda s, x: lines.append(x))).status == \
        "Completed"
    assert [json.loads(x)["loss"] for x in lines] == [1.0, 0.5, 1.0 / 3, 0.1]
    assert (req.directory / "model" / "model.txt").read_text() == "m"

    def broken(ctx: Any) -> None:
        raise ValueError("bad eta")

    state = _wait(backend := PythonBackend(broken), backend.start(req, lambda s, x: None))
    assert state.status == "Failed" and state.reason == "ValueError: bad eta"


def test_python_is_the_running_interpreter(tmp_path: Path) -> None:
    lines: list[str] = []
    backend = LocalBackend()
    _wait(backend, backend.start(_request(tmp_path, "import sys\nprint(sys.executable)\n"),
                                 lambda s, x: lines.append(x)))
    assert os.path.realpath(lines[0]) == os.path.realpath(sys.executable)


def test_read_pieces_keeps_every_byte_and_cuts_long_lines() -> None:
    import io

    from hpo_core.adapters.base import read_pieces

    data = b"short\n" + b"x" * 25 + b"\n" + b"y" * 10 + b"\r\n" + b"tail"
    pieces = list(read_pieces(io.BufferedReader(io.BytesIO(data)), limit=8))
    assert b"".join(p for p, _ in pieces) == data + b"\n"
    assert [line for _, line in pieces if line is not None] == [
        "short", "x" * 8, "y" * 8, "tail"]
    assert max(len(p) for p, _ in pieces) <= 8


def test_a_long_line_is_logged_whole_and_passed_on_cut(tmp_path: Path) -> None:
    from hpo_core.adapters.base import LINE_LIMIT

    script = """
    import sys
    sys.stdout.write("z" * 3_000_000)
    sys.stdout.write("\\nloss=0.5\\n")
    sys.stdout.write("unterminated")
    """
    lines: list[str] = []
    backend = LocalBackend()
    handle = backend.start(_request(tmp_path, script), lambda _s, line: lines.append(line))
    assert _wait(backend, handle).status == "Completed"
    assert [len(x) for x in lines] == [LINE_LIMIT, len("loss=0.5"), len("unterminated")]
    log = (tmp_path / "logs" / "j.log").read_bytes()
    assert b"z" * 3_000_000 + b"\nloss=0.5\nunterminated\n" in log


def test_a_log_that_cannot_be_written_does_not_block_the_job(tmp_path: Path) -> None:
    import errno

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            pass

        def close(self) -> None:
            pass

    gate = tmp_path / "gate"
    script = f"""
    import os, time
    while not os.path.exists({str(gate)!r}):
        time.sleep(0.01)
    for i in range(20000):
        print("line", i, "x" * 100)
    print("loss=0.5")
    """
    lines: list[str] = []
    backend = LocalBackend()
    handle = backend.start(_request(tmp_path, script), lambda _s, line: lines.append(line))
    handle.output.log = FullDisk()  # the disk fills up after the job started
    gate.touch()
    state = _wait(backend, handle)  # the pipe is still read: no job blocked on it
    assert state.status == "Completed" and lines[-1] == "loss=0.5" and len(lines) == 20001
    assert b"line 0 " not in (tmp_path / "logs" / "j.log").read_bytes()  # it could not be
