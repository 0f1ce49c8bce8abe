"""The durable trial store: one SQLite database (WAL mode) in the job directory.

It holds the job document, the job's status, the Optimizer's state, every training job (trial)
with its hyperparameters, status, timestamps, final and intermediate metrics, failure reason and
log path, and an event log of every transition. Each transition is one transaction, committed
before the tuner acts on it, so a tuner killed at any point leaves a consistent store.

The Optimizer's ``state_dict()`` is saved in the same transaction as every trial transition
that changes it (ask, tell): on resume the Optimizer is rebuilt from it exactly, with trials
that were pending still pending.

A running tuner holds an exclusive ``flock`` on ``DIR/tuner.lock`` (released by the kernel
even after SIGKILL); a second tuner on the same directory gets :class:`JobStateError`.
Readers (``hpo describe``, ``hpo trials``, ``hpo stop``) need no lock. Where the directory is
not writable (read-only media) a reader opens the database read-only, as an immutable file
when SQLite cannot create its ``-shm`` file there.

Failures are :class:`~hpo_core.errors.StorageError`, one line naming the file: a damaged
database (checked with ``PRAGMA quick_check`` when a tuner opens it), an empty one, a full disk
(the failed transaction is rolled back: the store stays as it was after the last one), a
read-only file system (see :func:`storage_error`).

Trial statuses: ``Pending`` (created, not started), ``InProgress``, ``Completed``, ``Failed``,
``Stopped``. Job statuses follow AMT: ``InProgress``, ``Completed``, ``Failed``, ``Stopping``,
``Stopped``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from hpo_core.errors import JobStateError, StorageError
from hpo_core.jobs.jobdir import DB_NAME, storage_error, writable

__all__ = ["DB_NAME", "SCHEMA_VERSION", "Store", "TrialRow", "is_job_dir"]

LOCK_NAME = "tuner.lock"
SCHEMA_VERSION = 1
TrialRow = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,          -- 0, 1, ... in creation order
    name TEXT NOT NULL UNIQUE,       -- the training job name
    definition TEXT NOT NULL,
    opt_id INTEGER NOT NULL,         -- the Optimizer's trial id
    params TEXT NOT NULL,            -- JSON, typed
    hyperparameters TEXT NOT NULL,   -- JSON, AMT strings
    status TEXT NOT NULL,
    value REAL, reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, started REAL, ended REAL,
    log_path TEXT, process TEXT, final_metrics TEXT, stopped_by TEXT);
CREATE TABLE IF NOT EXISTS metrics (
    trial_id INTEGER NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (trial_id, name, step));
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, trial_id INTEGER,
    event TEXT NOT NULL, detail TEXT);
"""
_JSON_COLUMNS = ("params", "hyperparameters", "process", "final_metrics")


def is_job_dir(path: str | Path) -> bool:
    """Whether ``path`` holds a job store."""
    return (Path(path) / DB_NAME).is_file()


def _storage_failure(e: BaseException) -> bool:
    """Whether ``e`` is the storage failing (not a bug of ours such as a constraint)."""
    return isinstance(e, sqlite3.OperationalError) or type(e) is sqlite3.DatabaseError


_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(method: _F) -> _F:
    """``method`` with storage failures raised as :class:`StorageError`."""
    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as e:
            if not _storage_failure(e):
                raise
            raise storage_error(self.path, e) from e
    return wrapper  # type: ignore[return-value]


class Store:
    """A job directory's store.

    Args:
        directory: the job directory (created when ``create``).
        create: create the database if missing (a tuner); otherwise a missing one is a
            :class:`JobStateError`.
        read_only: open the database read-only (default: when the directory or the
            database is not writable and not ``create``).

    Raises:
        StorageError: the database is empty, damaged, or cannot be opened.
    """

    def __init__(self, directory: str | Path, create: bool = False,
                 read_only: bool | None = None) -> None:
        self.directory = Path(directory)
        db = self.path = self.directory / DB_NAME
        self._lock_fd: int | None = None
        if not db.is_file():
            if not create:
                raise JobStateError(f"{self.directory}: not a job directory (no {DB_NAME}); "
                                    "run 'hpo tune JOB.json --dir DIR' first")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise storage_error(self.directory, e) from e
        elif not create and db.stat().st_size == 0:
            raise StorageError(f"{db}: the job store is empty (0 bytes): it was truncated, or a "
                               "tuner is creating it right now")
        self.read_only = (not create and not writable(self.directory)) if read_only is None \
            else read_only
        if create and self.read_only:
            raise ValueError("Store: create=True and read_only=True exclude each other")
        try:
            self._db = self._connect(db)
            self._db.row_factory = sqlite3.Row
            if create:
                self._check_integrity()
            version = self.get("schema_version")
            if version is None and not self.read_only:
                self.set_many({"schema_version": SCHEMA_VERSION})
        except sqlite3.DatabaseError as e:
            if not _storage_failure(e):
                raise
            raise storage_error(db, e) from e
        if version is not None and version > SCHEMA_VERSION:
            raise JobStateError(f"{db} was written by a newer hpo_core (store schema {version}; "
                                f"this one reads up to {SCHEMA_VERSION}): upgrade hpo_core")

    def _connect(self, db: Path) -> sqlite3.Connection:
        if not self.read_only:
            conn = sqlite3.connect(db, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
            return conn
        uri = f"file:{quote(str(db.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:  # no -shm file, and none can be made (read-only media)
            conn.close()
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)

    def _check_integrity(self) -> None:
        rows = [r[0] for r in self._db.execute("PRAGMA quick_check(5)").fetchall()]
        if rows != ["ok"]:
            found = "; ".join(str(r) for r in rows)[:300]
            raise StorageError(f"{self.path}: the job store is damaged (integrity check: "
                               f"{found}); restore it from a copy, or move the directory away "
                               "to start the job afresh")

    def close(self) -> None:
        self.unlock()
        self._db.close()

    # ------------------------------------------------------------------ lock
    def lock(self) -> None:
        """Take the tuner lock, or raise :class:`JobStateError` naming the holder."""
        path = self.directory / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise storage_error(path, e) from e
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            self._lock_fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 100).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise JobStateError(f"{self.directory}: another tuner is running this job (process "
                                f"{holder}); wait for it, or run 'hpo stop {self.directory}'") \
                from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def is_locked(self) -> bool:
        """Whether a tuner currently holds this job (a tuner's own lock counts)."""
        if self._lock_fd is not None:
            return True
        path = self.directory / LOCK_NAME
        if not path.exists():
            return False
        import fcntl

        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back already (a full disk)
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise

    def _event(self, db: sqlite3.Connection, trial_id: int | None, event: str,
               detail: str | None = None) -> None:
        db.execute("INSERT INTO events (at, trial_id, event, detail) VALUES (?, ?, ?, ?)",
                   (time.time(), trial_id, event, detail))

    # ------------------------------------------------------------------ meta
    @_guarded
    def get(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    @_guarded
    def set_many(self, values: dict[str, Any], db: sqlite3.Connection | None = None) -> None:
        """Set meta keys (inside ``db``'s transaction, or in one of their own)."""
        if db is None:
            with self.transaction() as tx:
                self.set_many(values, tx)
            return
        db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       [(k, json.dumps(v, allow_nan=False)) for k, v in values.items()])

    @_guarded
    def set_status(self, status: str, reason: str | None = None,
                   extra: dict[str, Any] | None = None) -> None:
        with self.transaction() as db:
            values: dict[str, Any] = {"status": status, "status_reason": reason,
                                      "last_modified": time.time(), **(extra or {})}
            if status in ("Completed", "Failed", "Stopped"):
                values["ended"] = time.time()
            self.set_many(values, db)
            self._event(db, None, f"job:{status}", reason)

    @_guarded
    def request_stop(self) -> None:
        """Ask the running tuner to stop (``hpo stop``)."""
        with self.transaction() as db:
            self.set_many({"stop_requested": True}, db)
            self._event(db, None, "job:stop_requested")

    # ------------------------------------------------------------------ trials
    @_guarded
    def add_trials(self, rows: list[TrialRow], optimizer_state: dict[str, Any]) -> None:
        """Insert new Pending trials and the Optimizer state that created them, atomically."""
        now = time.time()
        with self.transaction() as db:
            for r in rows:
                db.execute(
                    "INSERT INTO trials (id, name, definition, opt_id, params, hyperparameters, "
                    "status, created, log_path) VALUES (?, ?, ?, ?, ?, ?, 'Pending', ?, ?)",
                    (r["id"], r["name"], r["definition"], r["opt_id"], json.dumps(r["params"]),
                     json.dumps(r["hyperparameters"]), now, r.get("log_path")))
                self._event(db, r["id"], "created", r["name"])
            self.set_many({"optimizer": optimizer_state}, db)

    @_guarded
    def update_trial(self, trial_id: int, event: str, optimizer_state: dict[str, Any] | None
                     = None, clear_metrics: bool = False, **fields: Any) -> None:
        """Change a trial's columns (and the Optimizer state) in one transaction."""
        cols = []
        values: list[Any] = []
        for k, v in fields.items():
            cols.append(f"{k} = ?")
            values.append(json.dumps(v, allow_nan=False) if k in _JSON_COLUMNS and v is not None
                          else v)
        with self.transaction() as db:
            if cols:
                db.execute(f"UPDATE trials SET {', '.join(cols)} WHERE id = ?",
                           (*values, trial_id))
            if clear_metrics:
                db.execute("DELETE FROM metrics WHERE trial_id = ?", (trial_id,))
            if optimizer_state is not None:
                self.set_many({"optimizer": optimizer_state}, db)
            self._event(db, trial_id, event, fields.get("status") or fields.get("reason"))

    @_guarded
    def add_event(self, trial_id: int | None, event: str, detail: str | None = None) -> None:
        """An event of the job's log that changes nothing else (a note on a training job)."""
        with self.transaction() as db:
            self._event(db, trial_id, event, detail)

    @_guarded
    def add_metrics(self, rows: list[tuple[int, str, int, float]]) -> None:
        """Intermediate metric points ``(trial_id, name, step, value)``."""
        if not rows:
            return
        now = time.time()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO metrics (trial_id, name, step, value, at) "
                           "VALUES (?, ?, ?, ?, ?)", [(*r, now) for r in rows])

    @_guarded
    def trials(self, status: str | None = None) -> list[TrialRow]:
        """Every trial (or those with ``status``) in id order, JSON columns decoded."""
        sql = "SELECT * FROM trials" + (" WHERE status = ?" if status else "") + " ORDER BY id"
        rows = self._db.execute(sql, (status,) if status else ()).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            for k in _JSON_COLUMNS:
                if item[k] is not None:
                    item[k] = json.loads(item[k])
            out.append(item)
        return out

    def trial_by_name(self, name: str) -> TrialRow | None:
        for t in self.trials():
            if t["name"] == name:
                return t
        return None

    @_guarded
    def metrics(self, trial_id: int) -> dict[str, list[tuple[int, float]]]:
        """A trial's intermediate metrics: ``{name: [(step, value), ...]}``."""
        out: dict[str, list[tuple[int, float]]] = {}
        for name, step, value in self._db.execute(
                "SELECT name, step, value FROM metrics WHERE trial_id = ? ORDER BY name, step",
                (trial_id,)):
            out.setdefault(name, []).append((step, value))
        return out

    @_guarded
    def events(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute("SELECT * FROM events ORDER BY seq")]

    @_guarded
    def counts(self) -> dict[str, int]:
        return {s: n for s, n in self._db.execute(
            "SELECT status, COUNT(*) FROM trials GROUP BY status")}
