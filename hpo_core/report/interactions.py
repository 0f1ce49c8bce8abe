"""The interaction view: the objective over pairs of the most important parameters.

Which pairs: the :data:`TOP` most important parameters by
:func:`~hpo_core.report.data.importance` (the per-parameter measure; it does not see
interactions itself, so this view is where they show), taken two at a time, most important
pair first: up to three heat maps.

How each map is made, from the trials alone (no model is fitted): a Nadaraya-Watson kernel
smoother, the weighted mean of the completed trials' objective values at the centre of every
cell of a grid over the pair's unit square (the optimizer's coordinates, so log-scaled
parameters are spaced as it sees them). A trial's weight is the product over the two
parameters of a Gaussian of its distance to the cell centre, bandwidth
``h = 0.15 * (n / 50) ** (-1/6)`` clipped to [0.06, 0.25] (the n^(-1/6) of Scott's rule in two
dimensions), or, for a categorical, 1 in the trial's own category and 0 elsewhere. A cell whose
total weight is below :data:`MIN_WEIGHT` (no trial within about 1.7 bandwidths) is left blank
instead of extrapolated. Numeric parameters get :data:`CELLS` cells; an integer with fewer
values and a categorical get one cell per value. The trials are drawn on top (the best as a
diamond), so a reader sees where the map rests on data.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np

from hpo_core.report.data import axis_title
from hpo_core.report.ticks import DIGITS, param_ticks, tick_label, unit_position
from hpo_core.space import SearchSpace
from hpo_core.space.parameters import Categorical, Continuous, Integer
from hpo_core.tables import RunTable

__all__ = ["CELLS", "MIN_WEIGHT", "TOP", "bandwidth", "interaction_charts", "smooth",
           "top_pairs"]

#: Parameters whose pairs are drawn.
TOP = 3
#: Grid cells along a numeric axis.
CELLS = 24
#: Cells with less total kernel weight are blank.
MIN_WEIGHT = 0.25
_GOLDEN = 0.6180339887
_SEAM = 0.004


def top_pairs(run: RunTable, imp: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of the :data:`TOP` most important drawable parameters, most important first."""
    drawable = [r["parameter"] for r in imp
                if isinstance(run.params.get(r["parameter"]), Continuous | Integer | Categorical)]
    return list(itertools.combinations(drawable[:TOP], 2))


def bandwidth(n: int) -> float:
    """The smoother's bandwidth in unit-cube coordinates for ``n`` trials (module docstring)."""
    return float(min(0.25, max(0.06, 0.15 * (max(n, 1) / 50.0) ** (-1.0 / 6.0))))


def _cells(name: str, spec: Any) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Cell centres ``(k,)``, edges ``(k + 1,)`` in unit coordinates, and the value at each
    centre as text."""
    if isinstance(spec, Categorical) or (isinstance(spec, Integer) and spec.n_values <= CELLS):
        values = list(spec.values) if isinstance(spec, Categorical) else list(
            range(spec.min_value, spec.max_value + 1))
        centres = np.array([unit_position(name, spec, v) for v in values], dtype=float)
        mids = (centres[1:] + centres[:-1]) / 2.0
        return centres, np.concatenate([[0.0], mids, [1.0]]), values
    edges = np.linspace(0.0, 1.0, CELLS + 1)
    centres = (edges[1:] + edges[:-1]) / 2.0
    space = SearchSpace({name: spec})
    return centres, edges, [tick_label(float(space.decode(np.array([u]))[name]))
                            for u in centres]


def _kernel(centres: np.ndarray, u: np.ndarray, categorical: bool, h: float) -> np.ndarray:
    """Weights of shape ``(cells, trials)``."""
    d = centres[:, None] - u[None, :]
    if categorical:
        return (np.abs(d) < 1e-9).astype(float)
    return np.exp(-0.5 * (d / h) ** 2)


def smooth(ua: np.ndarray, ub: np.ndarray, y: np.ndarray, ca: np.ndarray, cb: np.ndarray,
           categorical: tuple[bool, bool], h: float) -> tuple[np.ndarray, np.ndarray]:
    """The kernel-smoothed objective on a grid.

    Args:
        ua, ub: the trials' unit coordinates, shape ``(n,)`` each.
        y: their objective values, shape ``(n,)``.
        ca, cb: cell centres, shapes ``(ka,)`` and ``(kb,)``.
        categorical: whether each axis is categorical (exact-match weights).
        h: the Gaussian bandwidth.

    Returns:
        ``(mean, weight)``, both of shape ``(ka, kb)``; ``mean`` is NaN where ``weight`` is 0.
    """
    wa = _kernel(ca, ua, categorical[0], h)  # (ka, n)
    wb = _kernel(cb, ub, categorical[1], h)  # (kb, n)
    weight = wa @ wb.T  # (ka, kb)
    total = (wa * y[None, :]) @ wb.T
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)
    return mean, weight


def _jitter(trial_id: int, spec: Any) -> float:
    """Spread of points inside a categorical's cell (deterministic, as the scatters)."""
    if not isinstance(spec, Categorical):
        return 0.0
    return 0.5 * (((trial_id * _GOLDEN) % 1.0) - 0.5) / spec.n_values


def _pair_rows(run: RunTable, a: str, b: str) -> tuple[list[dict[str, Any]],
                                                       list[dict[str, Any]]]:
    """Cell rows and point rows of one pair (empty when fewer than 4 trials have both)."""
    best_id = run.best_id()
    sa, sb = run.params[a], run.params[b]
    pts = []
    for t in run.trials:
        if t["status"] != "completed" or t["value"] is None or not math.isfinite(t["value"]):
            continue
        ua = unit_position(a, sa, t["params"].get(a))
        ub = unit_position(b, sb, t["params"].get(b))
        if ua is not None and ub is not None:
            pts.append((t, ua, ub))
    if len(pts) < 4:
        return [], []
    ua_, ub_ = np.array([p[1] for p in pts]), np.array([p[2] for p in pts])
    y = np.array([float(p[0]["value"]) for p in pts])
    (ca, ea, va), (cb, eb, vb) = _cells(a, sa), _cells(b, sb)
    mean, weight = smooth(ua_, ub_, y, ca, cb,
                          (isinstance(sa, Categorical), isinstance(sb, Categorical)),
                          bandwidth(len(pts)))
    cells = []
    for i, j in itertools.product(range(len(ca)), range(len(cb))):
        if weight[i, j] < MIN_WEIGHT:
            continue
        # cells overlap by a hair so that no seam of the background shows between them
        cells.append({"x0": float(ea[i]), "x1": min(1.0, float(ea[i + 1]) + _SEAM),
                      "y0": float(eb[j]), "y1": min(1.0, float(eb[j + 1]) + _SEAM),
                      "value": round(float(mean[i, j]), 9),
                      "weight": round(float(weight[i, j]), 3),
                      "a": str(va[i]), "b": str(vb[j])})
    points = [{"x": u1 + _jitter(t["id"], sa), "y": u2 + _jitter(t["id"], sb),
               "label": t["name"] or f"trial {t['id']}", "objective": float(t["value"]),
               "va": str(t["params"].get(a)), "vb": str(t["params"].get(b)),
               "is_best": t["id"] == best_id} for t, u1, u2 in pts]
    return cells, points


def _axis(alt: Any, run: RunTable, name: str) -> Any:
    ticks = param_ticks(name, run.params[name])
    positions = [round(u, DIGITS) for u, _ in ticks]
    labels = [label for _, label in ticks]
    return alt.Axis(values=positions, grid=False, labelExpr=(
        f"{_js(labels)}[indexof({_js(positions)}, datum.value)]"), labelOverlap=True)


def _js(values: list[Any]) -> str:
    return json.dumps(values)


def interaction_charts(alt: Any, pd: Any, run: RunTable,
                       imp: list[dict[str, Any]], size: dict[str, int]) -> list[Any]:
    """One heat map per pair of :func:`top_pairs` that has data (module docstring)."""
    charts = []
    unit = alt.Scale(domain=[0, 1], nice=False, zero=False)
    colour = alt.Scale(scheme="viridis", reverse=run.objective == "minimize")
    for a, b in top_pairs(run, imp):
        cells, points = _pair_rows(run, a, b)
        if not cells:
            continue
        xa, yb = axis_title(run, a), axis_title(run, b)
        heat = alt.Chart(pd.DataFrame(cells)).mark_rect().encode(
            x=alt.X("x0:Q", scale=unit, axis=_axis(alt, run, a), title=xa), x2="x1:Q",
            y=alt.Y("y0:Q", scale=unit, axis=_axis(alt, run, b), title=yb), y2="y1:Q",
            color=alt.Color("value:Q", scale=colour, title=f"{run.metric} (smoothed)"),
            tooltip=[alt.Tooltip("a:N", title=a), alt.Tooltip("b:N", title=b),
                     alt.Tooltip("value:Q", format=".4g", title=f"smoothed {run.metric}"),
                     alt.Tooltip("weight:Q", format=".2f", title="trials nearby (weight)")])
        base = alt.Chart(pd.DataFrame(points))
        dots = base.mark_circle(size=16, color="black", opacity=0.75, stroke="white",
                                strokeWidth=0.6).encode(
            x=alt.X("x:Q", scale=unit), y=alt.Y("y:Q", scale=unit),
            tooltip=["label:N", alt.Tooltip("va:N", title=a), alt.Tooltip("vb:N", title=b),
                     alt.Tooltip("objective:Q", format=".6g", title=run.metric)])
        best = base.mark_point(shape="diamond", size=150, filled=False, strokeWidth=2.5,
                               color="white").encode(
            x=alt.X("x:Q", scale=unit), y=alt.Y("y:Q", scale=unit)).transform_filter(
            "datum.is_best")
        charts.append(alt.layer(heat, dots, best).properties(
            title=f"Interaction {a} \u00d7 {b}", **size))
    return charts
