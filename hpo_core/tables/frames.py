"""Analytics DataFrames of a :class:`~hpo_core.tables.RunTable` (pandas, the ``report`` extra).

The columns are documented in :mod:`hpo_core.analytics`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo_core.errors import ReportDependencyError
from hpo_core.space.parameters import Categorical, Continuous, Integer
from hpo_core.tables.run_table import RunTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["COLUMNS", "CURVE_COLUMNS", "best_so_far", "curve_frame", "frame", "require"]

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
