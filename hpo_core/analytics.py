"""Trials as pandas DataFrames: one row per trial, and every intermediate metric point.

    from hpo_core.analytics import analytics, curves, export_csv
    df = analytics(opt)              # an Optimizer, a saved Optimizer file, or a job directory
    df.sort_values("objective").head()
    curves("runs/my-job")            # every intermediate metric point, long format
    export_csv(opt, "trials.csv")

Sources: an :class:`~hpo_core.optimizer.Optimizer`, a :class:`~hpo_core.tuner.TuningJob`, the
path of a file written by ``Optimizer.save``, or a tuning-job directory (its SQLite store). Each
is first read into a :class:`RunTable` (:mod:`hpo_core.report.runs`), so the DataFrames and the
HTML report do not care where the trials came from.

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
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo_core.errors import ReportDependencyError, ReportError
from hpo_core.parameters import Categorical, Continuous, Integer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from hpo_core.report.runs import RunTable

__all__ = [
    "COLUMNS",
    "CURVE_COLUMNS",
    "ReportDependencyError",
    "ReportError",
    "analytics",
    "best_so_far",
    "curves",
    "export_csv",
]

#: Fixed columns of :func:`analytics`; the hyperparameter columns go after ``status``.
COLUMNS = ("trial_id", "name", "definition", "status", "objective", "best_so_far", "is_best",
           "start", "end", "elapsed_s", "failure_reason", "resource", "resource_used",
           "n_reports")
#: Columns of :func:`curves`.
CURVE_COLUMNS = ("trial_id", "name", "definition", "status", "metric", "is_objective", "step",
                 "value")


def require(module: str) -> Any:
    """Import ``module`` (pandas, altair, vl_convert) or raise a clear error."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ReportDependencyError(
            f"{module} is needed for analytics and reports and is not installed: "
            f"pip install 'hpo_core[report]' ({e})") from e


def best_so_far(values: Sequence[float | None], completed: Sequence[bool],
                ends: Sequence[float | None], ids: Sequence[int],
                maximize: bool) -> list[float]:
    """The best-so-far value of every trial (see the module docstring for the definition).

    Args:
        values: objective per trial, shape ``(n,)`` (None/NaN where there is none).
        completed: whether the trial completed, shape ``(n,)``; only these count.
        ends: end time per trial (None/NaN: not ended), shape ``(n,)``.
        ids: trial ids (tie-break of equal end times), shape ``(n,)``.
        maximize: True when larger is better.

    Returns:
        ``(n,)`` floats in the input order, NaN before the first completed trial.
    """
    def key(i: int) -> tuple[bool, float, int]:
        e = ends[i]
        missing = e is None or (isinstance(e, float) and math.isnan(e))
        return (missing, 0.0 if missing else float(e), ids[i])  # type: ignore[arg-type]

    out = [math.nan] * len(values)
    best = math.nan
    for i in sorted(range(len(values)), key=key):
        v = values[i]
        usable = completed[i] and v is not None and math.isfinite(v)
        if usable and (math.isnan(best) or (v > best if maximize else v < best)):  # type: ignore[operator]
            best = float(v)  # type: ignore[arg-type]
        out[i] = best
    return out


def _column_names(params: Sequence[str]) -> dict[str, str]:
    taken = set(COLUMNS)
    return {p: f"hp.{p}" if p in taken else p for p in params}


def _typed(pd: Any, values: list[Any], spec: Any) -> Any:
    if isinstance(spec, Continuous):
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if isinstance(spec, Integer):
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    if isinstance(spec, Categorical):
        try:
            return pd.Categorical(values, categories=list(spec.values))
        except (TypeError, ValueError):  # mixed types pandas cannot order: keep objects
            return pd.array(values, dtype=object)
    return pd.Series(values).infer_objects().array


def _times(pd: Any, seconds: list[float | None]) -> Any:
    return pd.to_datetime(pd.Series([math.nan if s is None else s for s in seconds],
                                    dtype="float64"), unit="s", utc=True)


def frame(run: RunTable) -> pd.DataFrame:
    """The analytics DataFrame of an already-read :class:`RunTable`."""
    pd = require("pandas")
    trials = run.trials
    names = _column_names(list(run.params))
    maximize = run.objective == "maximize"
    values = [t["value"] if t["status"] in ("completed", "stopped") else None for t in trials]
    done = [t["status"] == "completed" for t in trials]
    ends = [t["end"] for t in trials]
    ids = [t["id"] for t in trials]
    best = best_so_far(values, done, ends, ids, maximize)
    best_id = run.best_id()
    data: dict[str, Any] = {
        "trial_id": pd.array(ids, dtype="int64"),
        "name": [t["name"] for t in trials],
        "definition": [t["definition"] for t in trials],
        "status": [t["status"] for t in trials],
    }
    for p, col in names.items():
        data[col] = _typed(pd, [t["params"].get(p) for t in trials], run.params[p])
    starts = [t["start"] for t in trials]
    elapsed = [None if s is None or e is None else e - s for s, e in zip(starts, ends,
                                                                        strict=True)]
    data.update({
        "objective": pd.array([math.nan if v is None else float(v) for v in values],
                              dtype="float64"),
        "best_so_far": pd.array(best, dtype="float64"),
        "is_best": [t["id"] == best_id for t in trials],
        "start": _times(pd, starts),
        "end": _times(pd, ends),
        "elapsed_s": pd.array([math.nan if x is None else float(x) for x in elapsed],
                              dtype="float64"),
        "failure_reason": [t["reason"] if t["status"] == "failed" else None for t in trials],
        "resource": pd.array([t["resource"] for t in trials], dtype="Int64"),
        "resource_used": pd.array([int(t["reports"][-1][0]) if t["reports"] else None
                                   for t in trials], dtype="Int64"),
        "n_reports": pd.array([len(t["reports"]) for t in trials], dtype="int64"),
    })
    df = pd.DataFrame(data)
    df.index = pd.RangeIndex(len(df))
    df.attrs.update({"objective": run.objective, "strategy": run.strategy,
                     "metric": run.metric, "parameters": names})
    return df


def curve_frame(run: RunTable) -> pd.DataFrame:
    """The intermediate-points DataFrame of an already-read :class:`RunTable`."""
    pd = require("pandas")
    rows: list[tuple[Any, ...]] = []
    for t in run.trials:
        for metric, points in t["metrics"].items():
            is_obj = metric == t["objective_metric"]
            rows.extend((t["id"], t["name"], t["definition"], t["status"], metric, is_obj,
                         int(s), float(v)) for s, v in points)
    df = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    df = df.astype({"trial_id": "int64", "is_objective": "bool", "step": "int64",
                    "value": "float64"})
    df.attrs.update({"objective": run.objective, "metric": run.metric})
    return df


def analytics(source: Any) -> pd.DataFrame:
    """One row per trial (columns in the module docstring), in trial-id order.

    Args:
        source: an Optimizer, a TuningJob, a saved Optimizer file, a job directory, or a
            :class:`~hpo_core.report.runs.RunTable`.

    Raises:
        ReportError: a source that is none of these.
        ReportDependencyError: pandas is not installed.
    """
    from hpo_core.report.runs import read_run

    return frame(read_run(source))


def curves(source: Any) -> pd.DataFrame:
    """Every intermediate metric point, one row each: columns :data:`CURVE_COLUMNS`.

    ``metric`` is ``"objective"`` for ask/tell runs (``Optimizer.report``); for a tuning job it
    is each metric definition's name, and ``is_objective`` marks the tuning objective. Rows are
    in trial-id order, then metric name, then step.
    """
    from hpo_core.report.runs import read_run

    return curve_frame(read_run(source))


def export_csv(source: Any, path: str | os.PathLike[str],
               curves_path: str | os.PathLike[str] | None = None) -> None:
    """Write :func:`analytics` (and optionally :func:`curves`) as CSV files.

    Times are ISO 8601 UTC, missing values empty.
    """
    from hpo_core.report.runs import read_run

    run = read_run(source)
    frame(run).to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    if curves_path is not None:
        curve_frame(run).to_csv(curves_path, index=False)
