"""The run table: every source of trials read into one small shape.

Analytics and the report read trials only through :class:`RunTable`, so a new source (another
store, a peer library's study) plugs in with one function that returns one: this module reads
an Optimizer's state, :mod:`hpo_core.jobs.run_table` a tuning-job directory, and
:func:`hpo_core.analytics.read_run` picks the reader for any source.

Each trial is a dict with the keys:
    id, name, definition, params (``{name: value}``, the definition's own names), status
    (``pending``/``running``/``completed``/``failed``/``stopped``/``paused``), value (float or
    None), reason, start, end (``time.time()`` seconds or None), resource (int or None),
    reports (``[[step, value], ...]`` of the objective), metrics (``{metric: [[step, value],
    ...]}``, the objective's included), objective_metric (the metric name in ``metrics``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_core.errors import ReportError
from hpo_core.space import Param, SearchSpace

__all__ = ["RunTable", "from_optimizer", "from_state", "read_json"]


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
    return from_state(opt.state_dict(), source)


def from_state(state: dict[str, Any], source: str = "Optimizer") -> RunTable:
    """Read the state an Optimizer writes (``Optimizer.state_dict()``, already validated)."""
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
