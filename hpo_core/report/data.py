"""Data shaping for the report: chart tables, parameter importance, rungs, the summary.

Chart field names are plain identifiers (``p0``, ``p1``, ...) because Vega-Lite reads dots and
brackets in a field name as nested access; the real parameter names are the axis titles.

Parameter importance (:func:`importance`) is a documented simple method, the *correlation
ratio on ranks*: over completed trials, the objective is replaced by its ranks; each parameter's
values are grouped (one group per category for a categorical, else up to ``max_bins`` quantile
bins of the value, so log-scaled parameters are binned alike); the importance is the share of
the rank variance explained by the group means (eta squared, a first-order variance
decomposition), adjusted for the number of groups as an adjusted R squared is
(``1 - (1 - eta2) (n - 1) / (n - k)``, floored at 0) so a parameter that does nothing scores
near 0 instead of ``(k - 1) / (n - 1)``. Unlike a rank correlation it sees effects that are not
monotone (a learning rate best in the middle). It ignores interactions; treat it as a hint.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from hpo_core.report.ticks import param_ticks, range_ticks, unit_position
from hpo_core.space.parameters import Categorical, Continuous, Integer, Static
from hpo_core.tables import RunTable

__all__ = ["axis_title", "free_params", "importance", "parallel_rows", "parallel_ticks",
           "rung_rows", "summary", "trial_number", "trial_rows"]

#: A training job's name ends in its number and a digest: ``my-job-007-1a2b3c4d``.
_JOB_NUMBER = re.compile(r"-(\d+)-[0-9a-f]{8}$")


_GOLDEN = 0.6180339887  # deterministic, well-spread jitter: (trial id * golden ratio) mod 1


def free_params(run: RunTable) -> list[str]:
    """Parameters that vary (Static and fixed ones have nothing to show)."""
    out = []
    for name, spec in run.params.items():
        if isinstance(spec, Static) or getattr(spec, "is_fixed", False):
            continue
        out.append(name)
    return out


def trial_number(t: dict[str, Any]) -> str:
    """The number a person knows the trial by: a training job's number as its name writes it
    (``007`` for ``my-job-007-1a2b3c4d``; they count from 001), else the trial id (ask/tell
    runs count from 0, as ``Optimizer.trials`` does)."""
    m = _JOB_NUMBER.search(t["name"] or "")
    return m.group(1) if m else str(t["id"])


def axis_title(run: RunTable, name: str) -> str:
    """A parameter's axis title, naming a log or reverse-log scale."""
    scaling = getattr(run.params.get(name), "effective_scaling", "linear")
    return {"log": f"{name} (log)", "reverse_log": f"{name} (reverse log)"}.get(scaling, name)


def _ms(t: Any) -> float | None:
    return None if t is None else float(t) * 1000.0


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float):
        return v if not (isinstance(v, float) and not math.isfinite(v)) else None
    return str(v)


def trial_rows(run: RunTable, best: list[float], fields: dict[str, str]) -> list[dict[str, Any]]:
    """One record per trial for the charts.

    Args:
        run: the run.
        best: best-so-far per trial, in ``run.trials`` order.
        fields: parameter name -> chart field (``p0``, ...).
    """
    best_id = run.best_id()
    rows = []
    for t, b in zip(run.trials, best, strict=True):
        value = t["value"] if t["status"] in ("completed", "stopped") else None
        row: dict[str, Any] = {
            "trial": t["id"], "number": trial_number(t),
            "label": t["name"] or f"trial {t['id']}", "status": t["status"],
            "objective": _num(value), "best_so_far": _num(b), "is_best": t["id"] == best_id,
            "start": _ms(t["start"]), "end": _ms(t["end"]),
            "elapsed_s": None if t["start"] is None or t["end"] is None else
            round(t["end"] - t["start"], 6),
            "resource": t["resource"],
            "resource_used": int(t["reports"][-1][0]) if t["reports"] else None,
            "reason": t["reason"] if t["status"] == "failed" else None}
        for name, f in fields.items():
            v = t["params"].get(name)
            spec = run.params[name]
            row[f] = str(v) if isinstance(spec, Categorical) and v is not None else _jsonable(v)
            if isinstance(spec, Categorical) and v is not None:  # strip position, jittered
                index = [str(c) for c in spec.values].index(str(v))
                row[f + "i"] = index + 0.5 * (((t["id"] * _GOLDEN) % 1.0) - 0.5)
            if _reverse_log(spec) and isinstance(row[f], int | float):
                row[f + "r"] = 1.0 - row[f]  # drawn on a log axis (charts._scatter)
        rows.append(row)
    return rows


def _reverse_log(spec: Any) -> bool:
    return isinstance(spec, Continuous) and spec.effective_scaling == "reverse_log"


def _objective_range(rows: list[dict[str, Any]]) -> tuple[float, float]:
    objs = [r["objective"] for r in rows if r["objective"] is not None]
    return (min(objs), max(objs)) if objs else (0.0, 1.0)


def parallel_rows(run: RunTable, rows: list[dict[str, Any]],
                  fields: dict[str, str]) -> list[dict[str, Any]]:
    """Long rows (trial x axis) for the parallel-coordinates chart.

    Each parameter axis holds the value's unit-cube coordinate (so log-scaled parameters are
    spaced as the optimizer sees them); the last axis is the objective scaled to [0, 1].
    Axes are named by :func:`axis_title`; only trials with an objective appear.
    """
    lo, hi = _objective_range(rows)
    span = hi - lo or 1.0
    out = []
    by_id = {t["id"]: t for t in run.trials}
    titles = {name: axis_title(run, name) for name in fields}
    for r in rows:
        if r["objective"] is None:
            continue
        base = {"trial": r["trial"], "label": r["label"], "end": r["end"],
                "status": r["status"], "is_best": r["is_best"], "objective": r["objective"]}
        for i, name in enumerate(fields):
            value = by_id[r["trial"]]["params"].get(name)
            u = unit_position(name, run.params[name], value)
            if u is not None:
                out.append({**base, "axis": titles[name], "axis_index": i, "u": u,
                            "shown": _jsonable(value)})
        out.append({**base, "axis": run.metric, "axis_index": len(fields),
                    "u": (r["objective"] - lo) / span, "shown": r["objective"]})
    return out


def parallel_ticks(run: RunTable, rows: list[dict[str, Any]],
                   names: list[str]) -> list[dict[str, Any]]:
    """Value ticks of every parallel-coordinates axis: ``[{"axis", "u", "tick"}, ...]``
    (parameters in their own units, :func:`~hpo_core.report.ticks.param_ticks`; the objective
    from its minimum to its maximum)."""
    out = [{"axis": axis_title(run, name), "u": u, "tick": label}
           for name in names for u, label in param_ticks(name, run.params[name])]
    lo, hi = _objective_range(rows)
    out += [{"axis": run.metric, "u": u, "tick": label} for u, label in range_ticks(lo, hi)]
    return out


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank), shape ``(n,)``."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def _groups(spec: Any, values: list[Any], max_bins: int) -> np.ndarray | None:
    """Group index per value, shape ``(n,)``; None when the values cannot be grouped."""
    if isinstance(spec, Categorical) or not all(isinstance(v, int | float) and not isinstance(
            v, bool) for v in values):
        keys = [repr(v) for v in values]
        _, idx = np.unique(np.array(keys, dtype=object).astype(str), return_inverse=True)
        return idx
    x = np.asarray(values, dtype=float)
    if isinstance(spec, Continuous | Integer) and spec.effective_scaling == "log":
        x = np.log(x)
    distinct = np.unique(x)
    if len(distinct) <= max_bins:
        return np.searchsorted(distinct, x)
    edges = np.quantile(x, np.linspace(0.0, 1.0, max_bins + 1)[1:-1])
    return np.searchsorted(np.unique(edges), x, side="right")


def importance(run: RunTable, max_bins: int = 8) -> list[dict[str, Any]]:
    """Parameter importance by the adjusted correlation ratio on ranks (module docstring).

    Args:
        run: the run; completed trials with a finite objective are used.
        max_bins: most quantile bins per numeric parameter (at most ``n // 4`` are used so each
            bin holds about 4 trials or more).

    Returns:
        ``[{"parameter", "importance" (0..1), "groups", "trials"}, ...]``, most important first;
        empty with fewer than 8 usable trials.
    """
    done = [t for t in run.trials if t["status"] == "completed" and t["value"] is not None
            and math.isfinite(t["value"])]
    out: list[dict[str, Any]] = []
    for name in free_params(run):
        used = [t for t in done if t["params"].get(name) is not None]
        n = len(used)
        if n < 8:
            continue
        y = _ranks(np.array([t["value"] for t in used], dtype=float))
        g = _groups(run.params[name], [t["params"][name] for t in used], max(2, min(
            max_bins, n // 4)))
        if g is None:
            continue
        k = int(g.max()) + 1
        counts = np.bincount(g, minlength=k)
        means = np.bincount(g, weights=y, minlength=k) / np.maximum(counts, 1)
        sst = float(((y - y.mean()) ** 2).sum())
        ssb = float((counts * (means - y.mean()) ** 2).sum())
        groups = int((counts > 0).sum())
        eta2 = ssb / sst if sst > 0 else 0.0
        adjusted = 1.0 - (1.0 - eta2) * (n - 1) / (n - groups) if n > groups else 0.0
        out.append({"parameter": name, "importance": round(max(0.0, adjusted), 6),
                    "groups": groups, "trials": n})
    out.sort(key=lambda r: (-r["importance"], r["parameter"]))
    return out


def rung_rows(run: RunTable) -> list[dict[str, Any]]:
    """Trials that reached each rung: ``[{"rung", "trials"}, ...]``, smallest rung first.

    Rungs are ``min_resource * eta**k`` up to ``max_resource`` when the strategy's options say
    so (Hyperband; ``max_resource`` may name a static hyperparameter such as ``"epochs"``),
    else the distinct resources given to trials. Empty when neither is known.
    """
    opts = run.options
    levels: list[int] = []
    lo, top, eta = opts.get("min_resource", 1), opts.get("max_resource"), opts.get("eta", 3)
    if isinstance(top, str) and isinstance(run.params.get(top), Static):  # "epochs"
        top = run.params[top].value  # type: ignore[union-attr]
    if isinstance(lo, int | float) and isinstance(top, int | float) and eta and eta > 1:
        r = float(lo)
        while r <= top + 1e-9:
            levels.append(round(r))
            r *= eta
    else:
        levels = sorted({int(t["resource"]) for t in run.trials if t["resource"] is not None})
    used = [int(t["reports"][-1][0]) if t["reports"] else 0 for t in run.trials]
    return [{"rung": lv, "trials": sum(u >= lv for u in used)} for lv in levels]


def summary(run: RunTable) -> dict[str, Any]:
    """Summary facts for the top of the report (plain values, formatted by the page)."""
    counts: dict[str, int] = {}
    for t in run.trials:
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    best_id = run.best_id()
    best = next((t for t in run.trials if t["id"] == best_id), None)
    starts = [t["start"] for t in run.trials if t["start"] is not None]
    ends = [t["end"] for t in run.trials if t["end"] is not None]
    trial_time = sum(t["end"] - t["start"] for t in run.trials
                     if t["start"] is not None and t["end"] is not None)
    return {
        "source": run.source, "kind": run.kind, "strategy": run.strategy,
        "objective": run.objective, "metric": run.metric, "trials": len(run.trials),
        "counts": counts, "best": best, "budget": dict(run.budget),
        "span_s": (max(ends) - min(starts)) if starts and ends else None,
        "trial_time_s": trial_time,
        "reports": sum(len(t["reports"]) for t in run.trials),
    }
