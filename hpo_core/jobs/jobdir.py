"""The job directory's layout, and the checks that keep a tuner from trusting a store that lost
its record, or a disk that is full.

    DIR/tuning.sqlite          the store (:mod:`hpo_core.jobs.store`): the job's record
    DIR/tuner.lock             held by the running tuner
    DIR/logs/<name>.log        each training job's output (appended to by every attempt)
    DIR/training-jobs/<name>/  each training job's directory, laid out like /opt/ml

A store and what its training jobs left must agree. :func:`check_new` refuses to start a job
in a directory where training jobs ran but whose store is missing, empty or holds no job (it
was deleted, truncated, or lost every transaction with its ``-wal`` file); :func:`check_known`
refuses to resume from a store that does not know a training job that ran there (it lost its
latest transactions). Either way the tuner would run those training jobs again under the same
names and append to their logs; it stops instead, with one line naming the directory.

:func:`storage_error` turns an SQLite error or an ``OSError`` into a one-line
:class:`~hpo_core.errors.StorageError` that says what to do; :func:`disk_full` tells a
training job that failed because the disk is full from one that failed by itself.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection
from pathlib import Path

from hpo_core.errors import StorageError

__all__ = ["DB_NAME", "LOGS", "TRAINING_JOBS", "check_known", "check_new", "disk_full",
           "ran_here", "storage_error", "writable"]

DB_NAME = "tuning.sqlite"
LOGS = "logs"
TRAINING_JOBS = "training-jobs"
#: Free bytes under which the job directory's disk counts as full.
FULL_MARGIN = 1 << 20


def writable(directory: Path) -> bool:
    """Whether a tuner can write the job directory (and its database, if there is one)."""
    db = directory / DB_NAME
    return os.access(directory, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


_FULL = (errno.ENOSPC, errno.EDQUOT)
# SQLite's primary result codes
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_CORRUPT = 5, 6, 8, 11
_SQLITE_FULL, _SQLITE_NOTADB = 13, 26


def storage_error(path: Path, e: BaseException) -> StorageError:
    """One-line :class:`StorageError` for ``e`` (an ``sqlite3`` error or an ``OSError``)
    about ``path``: what happened and what to do."""
    text = " ".join(str(e).split()) or type(e).__name__
    code = getattr(e, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    err = getattr(e, "errno", None)
    if primary == _SQLITE_FULL or err in _FULL or "disk is full" in text:
        what = (f"the disk is full ({text}); the tuner stopped and the job is resumable: free "
                "space, then run 'hpo tune' again")
    elif primary == _SQLITE_READONLY or err == errno.EROFS or "readonly" in text \
            or "read-only" in text:
        what = (f"the file system is read-only ({text}); no tuner can run there ('hpo describe' "
                "and 'hpo trials' read a job there)")
    elif primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text \
            or "not a database" in text:
        what = (f"the job store is damaged ({text}); restore it from a copy, or move the "
                "directory away to start the job afresh")
    elif primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text:
        what = f"the job store is locked by another process ({text}); try again"
    else:
        what = f"cannot use the job store ({text})"
    return StorageError(f"{path}: {what}")


def ran_here(directory: Path) -> list[str]:
    """Names of the training jobs that left a log or a directory in ``directory``, sorted."""
    names: set[str] = set()
    logs, jobs = directory / LOGS, directory / TRAINING_JOBS
    if logs.is_dir():
        names.update(p.stem for p in logs.iterdir() if p.suffix == ".log")
    if jobs.is_dir():
        names.update(p.name for p in jobs.iterdir() if p.is_dir())
    return sorted(names)


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def check_new(directory: Path) -> None:
    """Raise :class:`StorageError` when training jobs ran in ``directory``, about to get a
    new job (its store is missing, empty, or holds no job document)."""
    ran = ran_here(directory)
    if ran:
        raise StorageError(
            f"{directory / DB_NAME}: the job store is missing or empty, but {len(ran)} training "
            f"jobs ran in {directory} ({_some(ran)}; see {LOGS}/ and {TRAINING_JOBS}/); "
            "refusing to start the job over, which would run them again: restore the store, "
            "or move the directory away to start afresh")


def check_known(directory: Path, known: Collection[str]) -> None:
    """Raise :class:`StorageError` when training jobs ran in ``directory`` that the store
    (which knows the names ``known``) does not record."""
    lost = [n for n in ran_here(directory) if n not in known]
    if lost:
        raise StorageError(
            f"{directory / DB_NAME}: the job store does not record {len(lost)} training jobs "
            f"that ran in {directory} ({_some(lost)}): it lost its latest transactions (its "
            f"{DB_NAME}-wal file deleted after a crash?); refusing to resume, which would run "
            "them again: restore the store, or move the directory away to start afresh")


def disk_full(directory: Path) -> int | None:
    """The free bytes of ``directory``'s file system when under :data:`FULL_MARGIN`, else
    None (also when the file system does not say)."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    return free if st.f_blocks > 0 and free < FULL_MARGIN else None
