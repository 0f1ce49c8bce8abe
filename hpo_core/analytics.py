"""Trials as pandas DataFrames: one row per trial, and every intermediate metric point.

    from hpo_core.analytics import analytics, curves, export_csv
    df = analytics(opt)              # an Optimizer, a saved Optimizer file, or a job directory
    df.sort_values("objective").head()
    curves("runs/my-job")            # every intermediate metric point, long format
    export_csv(opt, "trials.csv")

Sources: an :class:`~hpo_core.optimizer.Optimizer`, a :class:`~hpo_core.jobs.TuningJob`, the
path of a file written by ``Optimizer.save``, or a tuning-job directory (its SQLite store).
Each is first read into a :class:`~hpo_core.tables.RunTable` (:func:`read_run`), so the
DataFrames and the HTML report do not care where the trials came from.

Columns of :func:`analytics` (in this order):
    trial_id        int, 0, 1, ... (the Optimizer's trial id; the store's id for a job)
    name            training job name (None for ask/tell runs)
    definition      training job definition name (None for ask/tell runs)
    status          ``pending`` (asked, no result yet), ``running`` (a job's InProgress),
                    ``completed``, ``failed``, ``stopped`` (early-stopped), ``paused``
    <parameters>    one column per hyperparameter, in the space's order, typed: float64 for
                    Continuous, nullable Int64 for Integer, a pandas categorical (categories in
                    definition order) for Categorical, the value's own type for Static. A
                    parameter whose name is taken by another column is named ``hp.<name>``.
    objective       float: the final objective (a stopped trial's last report); NaN otherwise
    best_so_far     float: the best objective among *completed* trials that ended at or before
                    this one, in **finish order** (end time, ties by trial id; trials with no
                    end time come last and see the best of all completed trials). Minimum for
                    ``minimize``, maximum for ``maximize``. NaN until a trial has completed.
                    In a sequential run finish order is trial-id order.
    is_best         bool: the best completed trial (lowest trial id among ties)
    start, end      datetime64 UTC (NaT when unknown)
    elapsed_s       float seconds, ``end - start``
    failure_reason  str or None
    resource        the resource the trial was given (multi-fidelity; <NA> otherwise)
    resource_used   the last step reported (<NA> when the trial reported nothing)
    n_reports       int, how many intermediate objective values were reported

``df.attrs`` holds ``objective`` (``"minimize"``/``"maximize"``), ``strategy``, ``metric`` and
``parameters`` (parameter name -> column name).

:func:`sagemaker_frame` is the other shape, for notebook code written against SageMaker (amtviz
and the like): the frame the SageMaker Python SDK's
``HyperparameterTuningJobAnalytics(name).dataframe()`` gives for the same job, built here
without the SDK. Its columns: the tuned hyperparameters (floats where they parse),
``TrainingJobName``, ``TrainingJobStatus`` (the service's ``Completed``/``InProgress``/...),
``FinalObjectiveValue``, ``TrainingStartTime``, ``TrainingEndTime`` (UTC datetimes),
``TrainingElapsedTimeSeconds``, ``TrainingJobDefinitionName``; rows in the listing's order
(training job name).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_core.errors import HPOError, ReportDependencyError, ReportError
from hpo_core.jobs.responses import list_page
from hpo_core.jobs.run_table import from_job_dir
from hpo_core.jobs.store import Store, is_job_dir
from hpo_core.jobs.views import summaries
from hpo_core.optimizer import Optimizer
from hpo_core.tables import (
    COLUMNS,
    CURVE_COLUMNS,
    RunTable,
    best_so_far,
    curve_frame,
    frame,
    from_optimizer,
    read_json,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "COLUMNS",
    "CURVE_COLUMNS",
    "ReportDependencyError",
    "ReportError",
    "analytics",
    "best_so_far",
    "curve_frame",
    "curves",
    "export_csv",
    "frame",
    "read_run",
    "sagemaker_frame",
]


def read_run(source: Any) -> RunTable:
    """A :class:`RunTable` from any supported source (see :mod:`hpo_core.analytics`).

    Raises:
        ReportError: a path that is neither a job directory nor an Optimizer file, or an
            object of another type.
    """
    if isinstance(source, RunTable):
        return source
    if isinstance(source, Optimizer):
        return from_optimizer(source)
    if hasattr(source, "directory") and hasattr(source, "describe"):  # a TuningJob
        return from_job_dir(source.directory)
    if not isinstance(source, str | os.PathLike):
        raise ReportError(f"expected an Optimizer, a TuningJob, a job directory or a saved "
                          f"Optimizer file, got {type(source).__name__}")
    path = Path(source)
    if path.is_dir():
        if not is_job_dir(path):
            raise ReportError(f"{path}: not a tuning-job directory (no job store in it)")
        try:
            return from_job_dir(path)
        except HPOError as e:
            raise ReportError(f"{path}: cannot read the job store: {e}") from e
    if not path.is_file():
        raise ReportError(f"{path}: no such file or directory")
    data = read_json(path)
    fmt = data.get("format")
    if fmt == "hpo_core.bench":
        raise ReportError(f"{path} is an 'hpo bench' results file: it has no trial table; "
                          "'hpo report' draws its regret curves")
    if fmt != "hpo_core.optimizer":
        raise ReportError(f"{path}: expected a file written by Optimizer.save (format "
                          f"'hpo_core.optimizer') or an 'hpo bench' results file, got format "
                          f"{fmt!r}")
    try:
        opt = Optimizer.from_state_dict(data, str(path))
    except HPOError as e:
        raise ReportError(str(e)) from e
    return from_optimizer(opt, str(path))


def analytics(source: Any) -> pd.DataFrame:
    """One row per trial (columns in the module docstring), in trial-id order.

    Args:
        source: an Optimizer, a TuningJob, a saved Optimizer file, a job directory, or a
            :class:`~hpo_core.tables.RunTable`.

    Raises:
        ReportError: a source that is none of these.
        ReportDependencyError: pandas is not installed.
    """
    return frame(read_run(source))


def curves(source: Any) -> pd.DataFrame:
    """Every intermediate metric point, one row each: columns :data:`CURVE_COLUMNS`.

    ``metric`` is ``"objective"`` for ask/tell runs (``Optimizer.report``); for a tuning job it
    is each metric definition's name, and ``is_objective`` marks the tuning objective. Rows are
    in trial-id order, then metric name, then step.
    """
    return curve_frame(read_run(source))


def export_csv(source: Any, path: str | os.PathLike[str],
               curves_path: str | os.PathLike[str] | None = None) -> None:
    """Write :func:`analytics` (and optionally :func:`curves`) as CSV files.

    Times are ISO 8601 UTC, missing values empty.
    """
    run = read_run(source)
    frame(run).to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    if curves_path is not None:
        curve_frame(run).to_csv(curves_path, index=False)


def _sagemaker_row(summary: dict[str, Any]) -> dict[str, Any]:
    """One training-job summary as the SDK's analytics reshapes it."""
    from datetime import datetime

    row: dict[str, Any] = {}
    for name, value in summary["TunedHyperParameters"].items():
        try:
            row[name] = float(value)
        except (TypeError, ValueError):
            row[name] = value
    row["TrainingJobName"] = summary["TrainingJobName"]
    row["TrainingJobStatus"] = summary["TrainingJobStatus"]
    row["FinalObjectiveValue"] = summary.get(
        "FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
    start, end = (summary.get(k) for k in ("TrainingStartTime", "TrainingEndTime"))
    start = datetime.fromisoformat(start) if isinstance(start, str) else start
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    row["TrainingStartTime"], row["TrainingEndTime"] = start, end
    if start and end:
        row["TrainingElapsedTimeSeconds"] = (end - start).total_seconds()
    if "TrainingJobDefinitionName" in summary:
        row["TrainingJobDefinitionName"] = summary["TrainingJobDefinitionName"]
    return row


def sagemaker_frame(source: Any) -> pd.DataFrame:
    """The SageMaker SDK's analytics frame of a tuning job (see the module docstring).

    Args:
        source: a :class:`~hpo_core.jobs.TuningJob` or a job directory.

    Raises:
        ReportError: a source that is neither.
        ReportDependencyError: pandas is not installed.
    """
    try:
        import pandas as pd
    except ImportError as e:
        raise ReportDependencyError("sagemaker_frame needs pandas: pip install "
                                    "'hpo_core[report]'") from e
    folder = getattr(source, "directory", source)
    if not isinstance(folder, str | os.PathLike) or not is_job_dir(Path(folder)):
        raise ReportError(f"expected a TuningJob or a tuning-job directory, got {source!r}")
    store = Store(Path(folder))
    try:
        rows = summaries(store)
    finally:
        store.close()
    listed = list_page(rows, max_results=max(1, len(rows)))["TrainingJobSummaries"]
    return pd.DataFrame([_sagemaker_row(s) for s in listed])
