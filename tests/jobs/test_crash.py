"""Crash test: a tuner killed with SIGKILL at random points, resumed each time, loses and
duplicates nothing and never exceeds MaxNumberOfTrainingJobs."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpo_core.errors import HPOError
from hpo_core.jobs.store import Store
from tests.jobs.helpers import base_doc, dump, write_script

SCRIPT = """
import json, os, time, zlib
hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
x = float(hp["x"])
time.sleep(0.05 + (zlib.crc32(hp["x"].encode()) % 100) / 250)   # 0.05 .. 0.45 s
for epoch in (1, 2):
    print(f"epoch {epoch} loss={(x - 1) ** 2 + 1 / epoch}", flush=True)
"""
MAX_JOBS = 24


def _snapshot(folder: Path) -> tuple[str | None, dict[str, float], list[str], int]:
    if not (folder / "tuning.sqlite").exists():  # killed before it created its store
        return "InProgress", {}, [], 0
    store = Store(folder)
    try:
        done = {t["name"]: t["value"] for t in store.trials("Completed")}
        return (store.get("status"), done, [t["name"] for t in store.trials()],
                len(store.trials("InProgress")))
    finally:
        store.close()


def _tuner(file: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "hpo_core.cli", "tune", str(file),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_a_running_job(folder: Path, tuner: subprocess.Popen[bytes], before: int,
                            limit_s: float = 60.0) -> None:
    """Until this tuner has a training job running (or it ended, or ``limit_s`` passed)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and tuner.poll() is None:
        try:
            _, done, _, running = _snapshot(folder)
        except (HPOError, sqlite3.Error):  # the tuner is creating its store
            running, done = 0, {}
        if running > 0 or len(done) > before:
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkilled_tuner_resumes_without_loss_or_duplicates(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    write_script(tmp_path, SCRIPT)
    file = dump(base_doc(max_jobs=MAX_JOBS, parallel=3), tmp_path)
    folder = tmp_path / "runs" / "job"
    kept: dict[str, float] = {}  # every trial completed before some kill
    kills = mid_job = 0
    while kills < 5:
        tuner = _tuner(file)
        _wait_for_a_running_job(folder, tuner, before=len(kept))  # a loaded machine starts late
        time.sleep(rng.uniform(0.3, 1.5))
        if tuner.poll() is not None:  # finished before the kill: not a crash
            pytest.fail(f"tuner ended before kill {kills + 1}: "
                        f"{tuner.stderr.read().decode()}")  # type: ignore[union-attr]
        os.kill(tuner.pid, signal.SIGKILL)
        tuner.wait()
        kills += 1
        status, done, names, running = _snapshot(folder)
        mid_job += running > 0
        assert status in (None, "InProgress")  # None: killed before it wrote the document
        assert len(names) == len(set(names)) <= MAX_JOBS
        for name, value in kept.items():
            assert done.get(name) == value, f"{name} lost or changed after kill {kills}"
        kept.update(done)
    tuner = _tuner(file)
    _, err = tuner.communicate(timeout=120)
    assert tuner.returncode == 0, err.decode()
    status, done, names, _ = _snapshot(folder)
    assert status == "Completed"
    assert mid_job >= 3  # most kills left training jobs running (re-queued on resume)
    assert len(names) == len(set(names)) == MAX_JOBS
    assert len(done) == MAX_JOBS
    for name, value in kept.items():
        assert done[name] == value
    assert 0 < len(kept) < MAX_JOBS  # the kills did land in the middle of the job
    # each training job was re-run under its own name only: one log per name
    logs = sorted(p.stem for p in (folder / "logs").iterdir())
    assert logs == sorted(names)
    # the Optimizer rebuilt from the store knows every trial once, all told
    store = Store(folder)
    state = store.get("optimizer")
    store.close()
    assert len(state["trials"]) == MAX_JOBS
    assert all(t["status"] == "completed" for t in state["trials"])
