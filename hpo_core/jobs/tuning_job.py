"""Tuning jobs: run an AMT-style job document locally, durably.

    job = TuningJob.from_file("job.json")       # validated up front (JobConfigError)
    job.run()                                   # blocks; resumes an unfinished run
    job.describe()["BestTrainingJob"]
    job.trials()                                # HyperParameterTrainingJobSummary dicts

The tuner keeps up to MaxParallelTrainingJobs training jobs running, asks the Optimizer for a
batch when slots are free, and ends at MaxNumberOfTrainingJobs, MaxRuntimeInSeconds (the sum
of the tuner's running time over resumes), a completion criterion (see
:mod:`hpo_core.jobs.rules`), an exhausted search space, or ``stop()``; running jobs are then
stopped (SIGTERM, SIGKILL after the grace period).

Durability (see :mod:`hpo_core.jobs.store`): each trial transition is committed, with the
Optimizer's ``state_dict()``, before it is acted on. After a crash, ``run()`` rebuilds the
Optimizer from the store, makes sure the jobs the dead tuner started no longer run, and
re-queues them under the same training job name (their metrics are cleared, ``checkpoints/``
kept); completed trials stay as they are. Trials are created only while fewer than
MaxNumberOfTrainingJobs exist, so the limit holds across any number of crashes.

Storage (see :mod:`hpo_core.jobs.jobdir`): ``run()`` refuses a directory whose store is
missing, empty, damaged or stale while training jobs ran there (it would run them again); a
full disk stops the tuner (running jobs are killed, as after a crash) with a
:class:`~hpo_core.errors.StorageError`, and the job resumes once there is space; on a
read-only directory a finished job is reported as it is, an unfinished one is an error.

Failures: a training job that fails with a retryable reason (see
:mod:`hpo_core.adapters.local`) runs again, same name, up to the definition's
RetryStrategy.MaximumRetryAttempts; other failures are told to the Optimizer as failed. A
command that cannot run at all (not found) fails the tuning job. A tuning job where no
training job completed ends ``Failed``.

Intermediate objective values all go through one method,
:meth:`hpo_core.jobs.engine.Engine._report`: the one place early stopping (``Auto``: AMT's
median rule) and Hyperband act, through ``Optimizer.report(trial, step, value)``. A "stop" is
committed, then the job gets SIGTERM; its value is its last report and its status
``Stopped``. Under Hyperband a job reporting past MaxResource is stopped there and counts as
completed with its value at MaxResource. Lines a job prints after it was told to stop are
logged, not read as metrics.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import Backend
from hpo_core.adapters.local import LocalBackend
from hpo_core.adapters.python import PythonBackend
from hpo_core.errors import JobStateError, StorageError
from hpo_core.jobs.document import (
    JobSpec,
    document_from_space,
    load_document,
    parse_document,
)
from hpo_core.jobs.engine import FINISHED, Engine
from hpo_core.jobs.jobdir import DB_NAME, check_new, storage_error, writable
from hpo_core.jobs.rules import check_same_job
from hpo_core.jobs.run_table import from_job_dir
from hpo_core.jobs.store import Store
from hpo_core.jobs.views import Progress, describe, summaries
from hpo_core.space import SearchSpace
from hpo_core.tables import frame

__all__ = ["TuningJob"]


class TuningJob:
    """A tuning job bound to its job directory.

    Build one from a document with :meth:`from_file` / :meth:`from_dict`, or write the same job
    in Python with the foundation's search-space objects::

        TuningJob("xgb-digits", SearchSpace({"eta": Continuous(0.1, 0.5), ...}),
                  metric="validation:accuracy", objective="Maximize",
                  command=["python", "train.py"], max_jobs=50, max_parallel=3)

    Args:
        name: HyperParameterTuningJobName.
        space: the ranges and static hyperparameters.
        metric: the objective metric's name.
        objective: ``"Maximize"`` or ``"Minimize"``.
        command: argv of one training job (local backend).
        function: a training function ``f(ctx)`` (python backend) instead of ``command``.
        max_jobs, max_parallel: ResourceLimits.
        strategy: ``"Random"``, ``"Grid"``, ``"Bayesian"``, ``"Hyperband"``.
        regex: the objective's MetricDefinition regex (default: ``name=value``).
        channels: channel name -> local directory.
        directory: the job directory (default ``runs/<name>`` under ``base_dir``).
        seed: RandomSeed.
        max_runtime_s: ResourceLimits.MaxRuntimeInSeconds.
        base_dir: folder relative paths are relative to (and the command's cwd).
        backend: an execution backend instance (default: by ``Local.Backend``).
        poll_interval: seconds between polls of the running jobs.
    """

    def __init__(self, name: str, space: SearchSpace, *, metric: str,
                 objective: str = "Maximize", command: list[str] | None = None,
                 function: Callable[..., Any] | None = None, max_jobs: int = 10,
                 max_parallel: int = 1, strategy: str = "Random", regex: str | None = None,
                 channels: dict[str, str] | None = None, directory: str | Path | None = None,
                 seed: int | None = None, max_runtime_s: int | None = None,
                 base_dir: str | Path = ".", backend: Backend | None = None,
                 poll_interval: float = 0.05) -> None:
        doc = document_from_space(
            name, space, metric=metric, objective=objective, command=command,
            python=function is not None, max_jobs=max_jobs, max_parallel=max_parallel,
            strategy=strategy, regex=regex, channels=channels, directory=directory, seed=seed,
            max_runtime_s=max_runtime_s)
        spec = parse_document(doc, base_dir, has_function=function is not None)
        self._setup(spec, backend, function, poll_interval)

    def _setup(self, spec: JobSpec, backend: Backend | None,
               function: Callable[..., Any] | None, poll_interval: float) -> None:
        self.spec = spec
        self.directory = spec.directory
        self._backend = backend or _default_backend(spec, function)
        self._poll = poll_interval

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_spec(cls, spec: JobSpec, backend: Backend | None = None,
                  function: Callable[..., Any] | None = None,
                  poll_interval: float = 0.05) -> TuningJob:
        """A job from a validated :class:`~hpo_core.jobs.document.JobSpec`."""
        job = cls.__new__(cls)
        job._setup(spec, backend, function, poll_interval)
        return job

    @classmethod
    def from_file(cls, path: str | Path, directory: str | Path | None = None,
                  **kwargs: Any) -> TuningJob:
        """Read and validate a ``.json``/``.yaml`` job document (relative paths are relative
        to its folder); ``directory`` overrides ``Local.Directory``."""
        doc = load_document(path)
        return cls.from_dict(doc, base_dir=Path(path).resolve().parent, directory=directory,
                             **kwargs)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], base_dir: str | Path = ".",
                  directory: str | Path | None = None, backend: Backend | None = None,
                  function: Callable[..., Any] | None = None,
                  poll_interval: float = 0.05) -> TuningJob:
        """Validate a job document given as a dict (relative paths relative to
        ``base_dir``)."""
        spec = parse_document(doc, base_dir, directory, has_function=function is not None)
        return cls.from_spec(spec, backend, function, poll_interval)

    @classmethod
    def open(cls, directory: str | Path) -> TuningJob:
        """The job held by an existing job directory (for describe/trials/stop/resume)."""
        store = Store(directory)
        try:
            doc, base = store.get("document"), store.get("base_dir")
        finally:
            store.close()
        if doc is None:
            raise JobStateError(f"{directory}: the job directory holds no job document yet")
        spec = parse_document(doc, base or ".", directory, has_function=True)
        return cls.from_spec(spec)

    # ------------------------------------------------------------------ queries
    def _reader(self) -> Store:
        return Store(self.directory)

    def describe(self) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob-shaped dict of the job directory."""
        store = self._reader()
        try:
            return describe(store)
        finally:
            store.close()

    def trials(self) -> list[dict[str, Any]]:
        """HyperParameterTrainingJobSummary-shaped dicts, in creation order."""
        store = self._reader()
        try:
            return summaries(store)
        finally:
            store.close()

    def analytics(self) -> Any:
        """One row per training job as a pandas DataFrame (needs the ``report`` extra)."""
        return frame(from_job_dir(self.directory))

    def stop(self) -> None:
        """Ask the tuner running this job (in any process) to stop it."""
        store = self._reader()
        try:
            store.request_stop()
        finally:
            store.close()

    # ------------------------------------------------------------------ run
    def run(self, quiet: bool = True, progress: Progress | None = None) -> dict[str, Any]:
        """Run (or resume) the job until it ends; returns :meth:`describe`.

        Raises:
            JobStateError: another tuner holds the directory, or it holds another job.
            JobConfigError: a warm-start parent cannot be used.
        """
        progress = progress or Progress(quiet=quiet)
        try:
            if self.directory.is_dir() and not writable(self.directory):
                return self._finished_read_only(progress)
            db = self.directory / DB_NAME
            if not db.is_file() or db.stat().st_size == 0:
                check_new(self.directory)  # before a new store hides that jobs ran here
            store = Store(self.directory, create=True)
            try:
                store.lock()
                engine = Engine(self.spec, store, self._backend, progress, self._poll)
                if engine.open():
                    engine.loop()
                return describe(store)
            finally:
                store.close()
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):  # storage: one line
                raise storage_error(Path(e.filename or self.directory), e) from e
            raise
        finally:
            progress.close()

    def _finished_read_only(self, progress: Progress) -> dict[str, Any]:
        """A job directory on read-only media: report a finished job, refuse any other."""
        db = self.directory / DB_NAME
        if not db.is_file() or not db.stat().st_size:
            raise StorageError(f"{self.directory}: the job directory is not writable "
                               "(read-only media?): no tuner can start a job there")
        store = Store(self.directory, read_only=True)
        try:
            saved = store.get("document")
            if saved is None:
                raise StorageError(f"{db}: the job directory is not writable (read-only "
                                   "media?) and its store holds no job")
            check_same_job(saved, self.spec.document, self.directory)
            status = store.get("status")
            if status not in FINISHED:
                raise StorageError(f"{db}: the job directory is not writable (read-only "
                                   f"media?) and the job is {status}: it cannot be resumed "
                                   "there ('hpo describe' and 'hpo trials' read it)")
            progress.event(f"{self.spec.name}: already {status}; nothing to do")
            return describe(store)
        finally:
            store.close()


def _default_backend(spec: JobSpec, function: Callable[..., Any] | None) -> Backend:
    """The backend ``Local.Backend`` names (adapters are imported only when chosen)."""
    if spec.backend == "python" or function is not None:
        return PythonBackend(function)
    if spec.backend in ("docker", "sagemaker", "ray"):
        import importlib

        module = importlib.import_module(f"hpo_core.adapters.{spec.backend}")
        cls = {"docker": "DockerBackend", "sagemaker": "SageMakerBackend",
               "ray": "RayBackend"}[spec.backend]
        return getattr(module, cls).from_document(spec.document)  # type: ignore[no-any-return]
    return LocalBackend()
