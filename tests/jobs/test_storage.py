"""Fault injection on the job directory: a store missing, empty, stale or damaged; a full disk;
read-only media. Each case: one line naming the file, the documented exit code, no traceback,
nothing lost, nothing written outside the job directory."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters import local
from hpo_core.cli import main
from hpo_core.errors import StorageError
from hpo_core.jobs.run_table import from_job_dir
from hpo_core.jobs.store import Store
from tests.jobs.helpers import base_doc, dump, write_script

C = "HyperParameterTuningJobConfig"
SCRIPT = """
import json, os, time
hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
time.sleep(float(hp.get("sleep", "0")))
print(f"loss={hp['x']}", flush=True)
"""


def _job(tmp_path: Path, n: int = 3, sleep: str = "0", script: str = SCRIPT) -> Path:
    """A Grid job over x = 1, 2, ... n (loss = x, one at a time); its document's path."""
    write_script(tmp_path, script)
    doc = base_doc(max_jobs=n, parallel=1)
    doc[C]["Strategy"] = "Grid"
    doc[C]["ParameterRanges"] = {"CategoricalParameterRanges": [
        {"Name": "x", "Values": [str(i) for i in range(1, n + 1)]}]}
    doc["TrainingJobDefinition"]["StaticHyperParameters"] = {"sleep": sleep}
    return dump(doc, tmp_path)


def _folder(file: Path) -> Path:
    return file.parent / "runs" / "job"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _one_line(err: str, *needles: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def _completed(folder: Path) -> dict[str, float]:
    store = Store(folder)
    try:
        return {t["name"]: t["value"] for t in store.trials("Completed")}
    finally:
        store.close()


def _files(root: Path, skip: Path) -> dict[str, tuple[int, float]]:
    """Every file under ``root`` but those under ``skip``: size and mtime."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and skip not in p.parents:
            st = p.stat()
            out[str(p)] = (st.st_size, st.st_mtime)
    return out


def _logs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "logs").glob("*.log"))}


@pytest.fixture
def finished(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A job that ran its three training jobs to the end; its document's path."""
    file = _job(tmp_path)
    assert main(["tune", str(file), "--quiet"]) == 0
    capsys.readouterr()
    assert sorted(_completed(_folder(file)).values()) == [1.0, 2.0, 3.0]
    return file


# ---------------------------------------------------------------- stores that lost the record
@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_store_wiped_where_training_jobs_ran_is_refused(
        finished: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    folder = _folder(finished)
    db = folder / "tuning.sqlite"
    if damage == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    logs, outside = _logs(folder), _files(finished.parent, folder)
    rc, out, err = _cli(capsys, "tune", str(finished), "--quiet")
    assert rc == 2 and out == ""
    _one_line(err, str(db), "missing or empty", "3 training jobs ran", "refusing")
    assert _logs(folder) == logs  # nothing re-run, nothing appended
    assert db.exists() == (damage == "truncated") and (not db.exists() or db.stat().st_size == 0)
    assert _files(finished.parent, folder) == outside
    rc, _, err = _cli(capsys, "describe", str(folder))
    assert rc == 2
    _one_line(err, "not a job directory" if damage == "deleted" else "empty (0 bytes)")


def test_a_store_that_lost_its_latest_transactions_is_refused(
        finished: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(finished)
    db = sqlite3.connect(folder / "tuning.sqlite")  # as if the -wal had held the last job
    with db:
        db.execute("DELETE FROM trials WHERE id = 2")
        db.execute("UPDATE meta SET value = '\"InProgress\"' WHERE key = 'status'")
    db.close()
    lost = sorted(p.name for p in (folder / "training-jobs").iterdir())[-1]
    logs = _logs(folder)
    rc, _, err = _cli(capsys, "tune", str(finished), "--quiet")
    assert rc == 2
    _one_line(err, "tuning.sqlite", "does not record 1 training jobs", lost, "refusing")
    assert _logs(folder) == logs
    assert sorted(_completed(folder).values()) == [1.0, 2.0]  # the rest is untouched


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_then_wal_and_shm_deleted_is_refused_not_rerun(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _job(tmp_path, n=4, sleep="0.4")
    folder = _folder(file)
    tuner = subprocess.Popen([sys.executable, "-m", "hpo_core.cli", "tune", str(file),
                              "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: len(list((folder / "logs").glob("*.log"))) >= 2)  # one has ended
    finally:
        os.kill(tuner.pid, signal.SIGKILL)
        tuner.wait()
    for suffix in ("-wal", "-shm"):
        (folder / f"tuning.sqlite{suffix}").unlink(missing_ok=True)
    logs = _logs(folder)
    rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, "tuning.sqlite", "refusing")
    assert _logs(folder) == logs


# ---------------------------------------------------------------- damaged stores
def _overwrite_page(db: Path, page: int) -> None:
    size = 4096
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes(range(256)) * (size // 256))


def _root_page(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["trials table", "header"])
def test_a_damaged_store_is_one_line_naming_the_file(
        finished: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    folder = _folder(finished)
    db = folder / "tuning.sqlite"
    assert not (folder / "tuning.sqlite-wal").exists()  # checkpointed when the tuner closed
    _overwrite_page(db, _root_page(db, "trials") if where == "trials table" else 1)
    logs, outside = _logs(folder), _files(finished.parent, folder)
    for argv in (["tune", str(finished), "--quiet"], ["describe", str(folder)],
                 ["trials", str(folder)], ["list", str(finished.parent)]):
        rc, out, err = _cli(capsys, *argv)
        assert rc == 2, argv
        _one_line(err, str(db), "damaged")
    assert "Unreadable" in out  # hpo list still lists the others
    assert _logs(folder) == logs
    assert _files(finished.parent, folder) == outside


# ---------------------------------------------------------------- a full disk
def _full_after_first_completion(monkeypatch: pytest.MonkeyPatch, error: BaseException,
                                 skip: int) -> None:
    """Every write transaction fails with ``error`` once a job completed and ``skip`` more
    transactions went through (as on a disk that filled up then)."""
    original = Store.transaction
    passed = []

    def transaction(self: Store) -> Any:
        if not self.read_only and self._db.execute(
                "SELECT count(*) FROM trials WHERE status = 'Completed'").fetchone()[0]:
            passed.append(1)
            if len(passed) > skip:
                raise error
        return original(self)

    monkeypatch.setattr(Store, "transaction", transaction)


@pytest.mark.parametrize("error", [
    sqlite3.OperationalError("database or disk is full"),
    OSError(errno.ENOSPC, "No space left on device", "tuning.sqlite-wal")], ids=["sqlite", "os"])
@pytest.mark.parametrize("skip", [0, 3])
def test_a_full_disk_under_the_store_stops_the_tuner_and_the_job_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        error: BaseException, skip: int) -> None:
    file = _job(tmp_path, n=3)
    folder = _folder(file)
    outside = _files(tmp_path, folder)
    with monkeypatch.context() as m:
        _full_after_first_completion(m, error, skip)
        rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, "tuning.sqlite", "disk is full", "resumable")
    assert _files(tmp_path, folder) == outside
    done = _completed(folder)
    assert list(done.values()) == [1.0]
    store = Store(folder)
    assert store.get("status") == "InProgress"
    store.close()
    rc, out, err = _cli(capsys, "tune", str(file))
    assert rc == 0 and "resuming" in err and "Completed" in out
    after = _completed(folder)
    assert sorted(after.values()) == [1.0, 2.0, 3.0]
    assert all(after[k] == v for k, v in done.items())


def test_no_space_for_a_training_job_directory_stops_the_tuner_and_the_job_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    file = _job(tmp_path, n=3)
    folder = _folder(file)
    real = local.prepare_directory
    calls = []

    def prepare(request: Any) -> Path:
        calls.append(request.name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device",
                          str(request.directory / "input"))
        return real(request)

    outside = _files(tmp_path, folder)
    with monkeypatch.context() as m:
        m.setattr(local, "prepare_directory", prepare)
        rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, "training-jobs", "disk is full", "resumable")
    assert list(_completed(folder).values()) == [1.0]
    assert _files(tmp_path, folder) == outside
    rc, _, _ = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 0 and sorted(_completed(folder).values()) == [1.0, 2.0, 3.0]


def test_a_training_job_failing_on_a_full_disk_is_not_counted_as_failed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo_core.jobs import engine

    file = _job(tmp_path, n=3, script=SCRIPT + "import sys\nsys.exit(1 if hp['x'] == '2' "
                "else 0)\n")
    folder = _folder(file)
    with monkeypatch.context() as m:
        m.setattr(engine, "disk_full", lambda _d: 1234)
        rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, str(folder), "disk is full (1234 bytes free)", "resumable")
    store = Store(folder)
    assert store.counts() == {"Completed": 1, "InProgress": 1}  # not Failed: re-run on resume
    store.close()


# ---------------------------------------------------------------- real small and read-only mounts
def _mount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], check=True,
                   capture_output=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs under ``tmp_path`` (root only: skipped where mounting is not allowed)."""
    target = tmp_path / "mnt"
    target.mkdir()
    try:
        _mount(target, "size=64m")
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def _remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True,
                   capture_output=True)


def test_a_finished_job_on_read_only_media_is_readable(
        tmpfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _job(tmpfs)
    assert main(["tune", str(file), "--quiet"]) == 0
    folder = _folder(file)
    _remount(tmpfs, "ro")
    capsys.readouterr()
    rc, out, err = _cli(capsys, "describe", str(folder))
    assert rc == 0 and err == "" and json.loads(out)["HyperParameterTuningJobStatus"] == \
        "Completed"
    rc, out, err = _cli(capsys, "trials", str(folder), "--csv")
    assert rc == 0 and err == "" and len(out.strip().splitlines()) == 4
    rc, out, _ = _cli(capsys, "list", str(tmpfs))
    assert rc == 0 and "Completed" in out
    assert len(from_job_dir(folder).trials) == 3  # what `hpo report` reads
    rc, out, err = _cli(capsys, "tune", str(file), "--quiet")  # nothing to do: the result
    assert rc == 0 and "job: Completed" in out and "best training job" in out, err
    rc, out, _ = _cli(capsys, "stop", str(folder))
    assert rc == 0 and "already ended" in out


def test_an_unfinished_job_on_read_only_media_is_readable_and_not_resumed(
        tmpfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _job(tmpfs)
    assert main(["tune", str(file), "--quiet"]) == 0
    folder = _folder(file)
    store = Store(folder)
    store.set_status("InProgress")
    store.close()
    _remount(tmpfs, "ro")
    capsys.readouterr()
    rc, out, _ = _cli(capsys, "describe", str(folder))
    assert rc == 0 and json.loads(out)["HyperParameterTuningJobStatus"] == "InProgress"
    rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, "tuning.sqlite", "read-only", "InProgress")
    rc, _, err = _cli(capsys, "stop", str(folder))
    assert rc == 2
    _one_line(err, "tuning.sqlite", "read-only")


def test_a_crashed_job_copied_to_read_only_media_reads_its_wal(
        tmpfs: Path, capsys: pytest.CaptureFixture[str], finished: Path) -> None:
    import shutil

    source = _folder(finished)
    keep = sqlite3.connect(source / "tuning.sqlite")  # an open writer: the -wal stays
    keep.execute("PRAGMA journal_mode=WAL")
    keep.execute("UPDATE meta SET value = '\"InProgress\"' WHERE key = 'status'")
    keep.commit()
    target = tmpfs / "copy"
    shutil.copytree(source, target)
    keep.close()
    assert (target / "tuning.sqlite-wal").stat().st_size > 0
    _remount(tmpfs, "ro")
    rc, out, err = _cli(capsys, "describe", str(target))
    assert rc == 0, err
    assert json.loads(out)["HyperParameterTuningJobStatus"] == "InProgress"  # from the -wal


@pytest.mark.slow
def test_a_real_full_disk_stops_the_tuner_and_the_job_resumes_once_there_is_space(
        tmpfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = SCRIPT + """
model = os.path.join(os.environ["SM_MODEL_DIR"], "model.bin")
with open(model, "wb") as f:
    f.write(b"m" * 1_500_000)
"""
    _remount(tmpfs, "size=6m")
    file = _job(tmpfs, n=8, script=script)
    folder = _folder(file)
    rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 2
    _one_line(err, str(tmpfs), "disk is full", "resumable")
    done = _completed(folder)
    assert 1 <= len(done) < 8
    _remount(tmpfs, "size=64m")
    rc, _, err = _cli(capsys, "tune", str(file), "--quiet")
    assert rc == 0, err
    after = _completed(folder)
    assert len(after) == 8 and all(after[k] == v for k, v in done.items())


def test_store_errors_are_storage_errors_naming_the_file(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    store.close()
    (tmp_path / "tuning.sqlite").write_bytes(b"not a database at all" * 300)
    with pytest.raises(StorageError, match=r"tuning\.sqlite: the job store is damaged"):
        Store(tmp_path)
