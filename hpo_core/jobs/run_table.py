"""A tuning-job directory read into a :class:`~hpo_core.tables.RunTable` (read-only: a running
tuner is not disturbed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_core.jobs.rules import DEFINITION_PARAM
from hpo_core.jobs.store import Store
from hpo_core.space import Param, SearchSpace
from hpo_core.tables import RunTable

__all__ = ["from_job_dir"]

_JOB_STATUS = {"Pending": "pending", "InProgress": "running", "Completed": "completed",
               "Failed": "failed", "Stopped": "stopped"}


def _job_metric(doc: dict[str, Any], definition: str) -> str:
    config = doc.get("HyperParameterTuningJobConfig") or {}
    objective = config.get("HyperParameterTuningJobObjective")
    if objective:
        return str(objective.get("MetricName", "objective"))
    defs = doc.get("TrainingJobDefinitions") or [doc.get("TrainingJobDefinition") or {}]
    for d in defs:
        if d.get("DefinitionName", "default") == definition or len(defs) == 1:
            return str((d.get("TuningObjective") or {}).get("MetricName", "objective"))
    return "objective"


def _job_params(space: SearchSpace | None) -> dict[str, Param]:
    """Parameter columns of a job: the definitions' own names (a multi-definition job's
    combined space prefixes them with ``definition.``)."""
    if space is None:
        return {}
    if DEFINITION_PARAM not in space.names:
        return dict(space.params)
    out: dict[str, Param] = {}
    for name, spec in space.params.items():
        if name == DEFINITION_PARAM:
            continue
        short = name.split(".", 1)[1]
        if short in out and out[short] != spec:
            out[short] = _Mixed()  # type: ignore[assignment]
        else:
            out.setdefault(short, spec)
    return out


class _Mixed:
    """A column whose definitions disagree on the parameter's type (kept as objects)."""


def from_job_dir(directory: str | os.PathLike[str]) -> RunTable:
    """Read a tuning-job directory's store (read-only; a running tuner is not disturbed)."""
    store = Store(Path(directory))
    try:
        doc = store.get("document") or {}
        state = store.get("optimizer")
        rows = store.trials()
        metrics = {r["id"]: store.metrics(r["id"]) for r in rows}
        meta = {k: store.get(k) for k in ("elapsed",)}
    finally:
        store.close()
    space = SearchSpace.from_dict(state["space"]) if state else None
    opt_trials = {t["id"]: t for t in (state or {}).get("trials", [])}
    config = doc.get("HyperParameterTuningJobConfig") or {}
    trials = []
    for r in rows:
        metric = _job_metric(doc, r["definition"])
        points = {m: [[int(s), float(v)] for s, v in pts] for m, pts in metrics[r["id"]].items()}
        opt_t = opt_trials.get(r["opt_id"], {})
        trials.append({
            "id": int(r["id"]), "name": r["name"], "definition": r["definition"],
            "params": dict(r["params"]), "status": _JOB_STATUS.get(r["status"],
                                                                   str(r["status"]).lower()),
            "value": r["value"], "reason": r["reason"],
            "start": r["started"],
            "end": r["ended"], "resource": opt_t.get("resource"),
            "reports": points.get(metric, []), "metrics": points, "objective_metric": metric})
    objective_type = str((config.get("HyperParameterTuningJobObjective") or {}).get(
        "Type") or _definition_type(doc))
    limits = config.get("ResourceLimits") or {}
    return RunTable(
        trials=trials, params=_job_params(space), strategy=str(config.get("Strategy", "?")),
        objective="maximize" if objective_type.lower() == "maximize" else "minimize",
        metric=_job_metric(doc, trials[0]["definition"] if trials else "default"),
        source=str(doc.get("HyperParameterTuningJobName") or directory), kind="job",
        budget={"max_trials": limits.get("MaxNumberOfTrainingJobs"),
                "max_runtime_s": limits.get("MaxRuntimeInSeconds"),
                "runtime_s": meta["elapsed"]},
        options=dict((state or {}).get("options") or {}))


def _definition_type(doc: dict[str, Any]) -> str:
    defs = doc.get("TrainingJobDefinitions") or [doc.get("TrainingJobDefinition") or {}]
    return str((defs[0].get("TuningObjective") or {}).get("Type", "Minimize")) if defs else \
        "Minimize"
