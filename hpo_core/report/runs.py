"""The run table: every source of trials read into one small shape.

Analytics and the report read trials only through :class:`RunTable`, so a new source (another
store, a peer library's study) plugs in with one function that returns one.

Each trial is a dict with the keys:
    id, name, definition, params (``{name: value}``, the definition's own names), status
    (``pending``/``running``/``completed``/``failed``/``stopped``/``paused``), value (float or
    None), reason, start, end (``time.time()`` seconds or None), resource (int or None),
    reports (``[[step, value], ...]`` of the objective), metrics (``{metric: [[step, value],
    ...]}``, the objective's included), objective_metric (the metric name in ``metrics``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_core.analytics import ReportError
from hpo_core.errors import HPOError
from hpo_core.parameters import Param
from hpo_core.space import SearchSpace

__all__ = ["RunTable", "from_job_dir", "from_optimizer", "read_run"]

_JOB_STATUS = {"Pending": "pending", "InProgress": "running", "Completed": "completed",
               "Failed": "failed", "Stopped": "stopped"}


@dataclass
class RunTable:
    """The trials of one run, whatever their source.

    Attributes:
        trials: one dict per trial in id order (keys in the module docstring).
        params: parameter name -> definition, in column order (Static included).
        objective: ``"minimize"`` or ``"maximize"``.
        strategy: the strategy's name (e.g. ``random``, ``Bayesian``).
        metric: the objective metric's name (``"objective"`` for ask/tell runs).
        source: what was read, for titles (a path or ``"Optimizer"``).
        kind: ``"optimizer"`` or ``"job"``.
        budget: ``max_trials``, ``max_runtime_s``, ``runtime_s`` where known (else None).
        options: the strategy's options (``min_resource``, ``max_resource``, ``eta`` for
            Hyperband), used to draw rungs.
    """

    trials: list[dict[str, Any]]
    params: dict[str, Param]
    objective: str
    strategy: str
    metric: str = "objective"
    source: str = "Optimizer"
    kind: str = "optimizer"
    budget: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def best_id(self) -> int | None:
        """Id of the best completed trial (lowest id among ties), None before any."""
        done = [t for t in self.trials if t["status"] == "completed" and t["value"] is not None]
        if not done:
            return None
        sign = -1.0 if self.objective == "maximize" else 1.0
        return min(done, key=lambda t: (sign * t["value"], t["id"]))["id"]


def from_optimizer(opt: Any, source: str = "Optimizer") -> RunTable:
    """Read an :class:`~hpo_core.optimizer.Optimizer` (or anything with its ``state_dict``)."""
    return _from_state(opt.state_dict(), source)


def _from_state(state: dict[str, Any], source: str) -> RunTable:
    space = SearchSpace.from_dict(state["space"])
    trials = []
    for t in state["trials"]:
        reports = [[int(s), float(v)] for s, v in t.get("reports") or []]
        trials.append({
            "id": int(t["id"]), "name": None, "definition": None, "params": dict(t["params"]),
            "status": t["status"], "value": t.get("value"), "reason": t.get("reason"),
            "start": t.get("started_at"), "end": t.get("finished_at"),
            "resource": t.get("resource"), "reports": reports,
            "metrics": {"objective": reports} if reports else {},
            "objective_metric": "objective"})
    return RunTable(trials=trials, params=dict(space.params), objective=state["objective"],
                    strategy=state["strategy"], source=source, kind="optimizer",
                    budget={"max_trials": None, "max_runtime_s": None, "runtime_s": None},
                    options=dict(state.get("options") or {}))


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
    from hpo_core.tuner_rules import DEFINITION_PARAM

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
    from hpo_core.store import Store

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


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file's top-level object, or a clear :class:`ReportError`."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReportError(f"{path}: cannot read it as JSON: {e}") from e
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def read_run(source: Any) -> RunTable:
    """A :class:`RunTable` from any supported source (see :mod:`hpo_core.analytics`).

    Raises:
        ReportError: a path that is neither a job directory nor an Optimizer file, or an
            object of another type.
    """
    if isinstance(source, RunTable):
        return source
    from hpo_core.optimizer import Optimizer

    if isinstance(source, Optimizer):
        return from_optimizer(source)
    if hasattr(source, "directory") and hasattr(source, "describe"):  # a TuningJob
        return from_job_dir(source.directory)
    if not isinstance(source, str | os.PathLike):
        raise ReportError(f"expected an Optimizer, a TuningJob, a job directory or a saved "
                          f"Optimizer file, got {type(source).__name__}")
    path = Path(source)
    from hpo_core.store import is_job_dir

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
