"""The local backend: each training job is a subprocess seeing the SageMaker container contract.

The job's directory is laid out like ``/opt/ml``::

    input/config/hyperparameters.json   every value a string, plus _tuning_objective_metric
    input/config/inputdataconfig.json   one entry per channel
    input/config/resourceconfig.json    one host, "algo-1"
    input/data/<channel>/               a symlink to the local data directory (not copied:
                                        the script must treat it as read-only)
    model/  output/  output/data/  output/failure (written by a failing script)
    checkpoints/                        kept when a job is run again (retry, resume)

and the environment holds ``SM_*`` variables derived as the sagemaker-training toolkit derives
them (``SM_HP_<NAME>``, ``SM_HPS``, ``SM_USER_ARGS`` without the ``sagemaker_*`` and
``_tuning_objective_metric`` entries, ``SM_CHANNEL_<NAME>``, ``SM_MODEL_DIR``, ...; see
:mod:`hpo_core.adapters.contract`), plus ``SM_CHECKPOINT_DIR``, ``TRAINING_JOB_NAME``,
``SAGEMAKER_BASE_DIR`` (the job directory: the unmodified toolkit reads the job there) and
``SM_STUDIO_LOCAL_MODE=True`` (the toolkit's one-host path: it does not wait for the
host ``algo-1`` to resolve).

The command is an argv list run without a shell, in its own session (process group), with
stdin closed and ``PYTHONUNBUFFERED=1``; a first word ``python`` or ``python3`` means the
interpreter running the tuner. stdout and stderr are read line by line by two threads that
append each line to the job's log file and pass it on as it arrives. Exit 0 is Completed; any
other exit is Failed with the text of ``output/failure`` (else the log tail) as the reason. A
job over its ``max_runtime_s``, and a stopped job, get SIGTERM on their process group, then
SIGKILL after ``grace_s``; when the main process ends, what is left of its group is killed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hpo_core.adapters.base import JobState, LineSink, TrainingJobRequest, read_pieces
from hpo_core.adapters.contract import resource_config, toolkit_environment
from hpo_core.adapters.lifecycle import JobOutput, Lifecycle, close_log, exit_state, open_log
from hpo_core.errors import ExecutionError

__all__ = ["LocalBackend", "contract_environment", "prepare_directory"]

_RETRY_SIGNALS = {signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def prepare_directory(request: TrainingJobRequest) -> Path:
    """Lay out ``request.directory`` like ``/opt/ml`` (keeping ``checkpoints/``); return it."""
    root = request.directory
    for sub in ("input", "model", "output"):
        shutil.rmtree(root / sub, ignore_errors=True)
    config = root / "input" / "config"
    config.mkdir(parents=True)
    for sub in ("model", "output/data", "output/intermediate", "checkpoints"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    _write_json(config / "hyperparameters.json", request.hyperparameters)
    _write_json(config / "inputdataconfig.json", request.input_data_config)
    _write_json(config / "resourceconfig.json", resource_config())
    data = root / "input" / "data"
    data.mkdir()
    for channel, source in request.channels.items():
        link = data / channel
        if link.resolve().parent != data.resolve():  # the job document checks this first
            raise ExecutionError(f"channel name {channel!r} is not one folder inside {data}: "
                                 "nothing is created outside the job directory", "abort")
        link.symlink_to(Path(source).resolve(), target_is_directory=True)
    return root


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def contract_environment(request: TrainingJobRequest) -> dict[str, str]:
    """The ``SM_*`` variables of the container contract for ``request`` (as the toolkit
    derives them: :func:`hpo_core.adapters.contract.toolkit_environment`)."""
    return toolkit_environment(request)


@dataclass
class _Handle:
    request: TrainingJobRequest
    proc: subprocess.Popen[bytes]
    output: JobOutput
    life: Lifecycle
    readers: list[threading.Thread] = field(default_factory=list)


class LocalBackend:
    """Runs training jobs as local subprocesses.

    Args:
        grace_s: seconds between SIGTERM and SIGKILL when a job is stopped or times out.
    """

    name = "local"

    def __init__(self, grace_s: float = 30.0) -> None:
        self.grace_s = grace_s

    def start(self, request: TrainingJobRequest, on_line: LineSink) -> _Handle:
        prepare_directory(request)
        argv = list(request.command)
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {**os.environ, **request.environment, **contract_environment(request),
               "PYTHONUNBUFFERED": "1", "SM_STUDIO_LOCAL_MODE": "True"}
        log = open_log(request, repr(argv))
        try:
            proc = subprocess.Popen(argv, cwd=request.cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
        except OSError as e:
            close_log(log, f"could not start: {e}")
            transient = e.errno in (11, 12, 24)  # EAGAIN, ENOMEM, EMFILE
            what = (f"cannot run command {argv!r} (cwd {str(request.cwd)!r}): "
                    f"{e.strerror or e}")
            raise ExecutionError(what, "retry" if transient else "abort") from e
        life = Lifecycle(functools.partial(_signal_group, proc.pid, signal.SIGTERM),
                         functools.partial(_signal_group, proc.pid, signal.SIGKILL),
                         max_runtime_s=request.max_runtime_s, grace_s=self.grace_s)
        handle = _Handle(request, proc, JobOutput(log), life)
        for stream, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            t = threading.Thread(target=self._read, args=(handle, stream, pipe, on_line),
                                 name=f"{request.name}-{stream}", daemon=True)
            t.start()
            handle.readers.append(t)
        return handle

    @staticmethod
    def _read(h: _Handle, stream: str, pipe: IO[bytes], on_line: LineSink) -> None:
        for piece, line in read_pieces(pipe):  # bounded memory, whatever the line lengths
            h.output.piece(stream, piece, line, on_line)
        pipe.close()

    def poll(self, handle: _Handle) -> JobState:
        return handle.life.poll(lambda: handle.proc.poll() is None,
                                functools.partial(self._finish, handle))

    @staticmethod
    def _finish(h: _Handle) -> JobState:
        rc = h.proc.returncode
        _signal_group(h.proc.pid, signal.SIGKILL)  # what is left of the process group
        for t in h.readers:
            t.join(timeout=5.0)
        h.output.close(f"exit status {rc}")
        return h.life.stopped_state(rc) or exit_state(rc, h.request.directory, h.output.tail,
                                                      _explain)

    def stop(self, handle: _Handle, reason: str) -> None:
        handle.life.stop(reason)

    def process_info(self, handle: _Handle) -> dict[str, Any]:
        pid = handle.proc.pid
        return {"pid": pid, "pgid": pid, "start_ticks": _start_ticks(pid)}

    def reap(self, info: dict[str, Any]) -> None:
        pid, pgid = info.get("pid"), info.get("pgid")
        if not isinstance(pid, int) or not isinstance(pgid, int):
            return
        ticks = _start_ticks(pid)
        if ticks is not None and ticks != info.get("start_ticks"):
            return  # the pid now belongs to another process; its old group is gone
        _signal_group(pgid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while _start_ticks(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.02)


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks (Linux ``/proc``), None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # zombie: dead, waiting to be reaped
        return None
    return int(fields[19])


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _explain(rc: int) -> tuple[str, bool]:
    """Reason and retryability of a nonzero exit: a signal the tuner did not send (the
    kernel's OOM killer, a shutdown) may well pass on a second try."""
    how = f"killed by signal {signal.Signals(-rc).name}" if rc < 0 else f"exit status {rc}"
    return f"AlgorithmError: {how}", rc < 0 and -rc in _RETRY_SIGNALS
