"""The report's charts (Vega-Lite, built with Altair), linked by one time brush.

All charts sit in ONE Vega-Lite specification so that a selection made in one drives the others:
dragging over a time range in "Objective over time" colours the same trials in every chart
(the rest turn grey), as amtviz does; clicking a point marks that trial (magenta) in every
chart. Every dataset that takes part carries the trial's ``end`` time (the brushed field) and
its ``trial`` id (the clicked one).

Widths are laid out for a page :data:`DESIGN_WIDTH` pixels wide; the top-level specification
carries ``usermeta.hpoRows``, one ``{"fill", "pad"}`` per row (the share of the page width the
row takes, the pixels of axes, spacing and legend it needs besides its plots), with which the
page stretches every row to the browser's width (:mod:`hpo_core.report.html`).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from hpo_core.report.data import (
    axis_title,
    free_params,
    importance,
    parallel_rows,
    parallel_ticks,
    rung_rows,
    trial_rows,
)
from hpo_core.report.interactions import interaction_charts
from hpo_core.space.parameters import Categorical, Continuous, Integer
from hpo_core.tables import RunTable, best_so_far, require

__all__ = ["DECORATION", "DESIGN_WIDTH", "SELECTOR", "STATUS_COLORS", "dashboard",
           "selection_views"]

#: Status -> colour (Tableau 10), shared by every chart.
STATUS_COLORS = {"completed": "#4c78a8", "stopped": "#f58518", "failed": "#e45756",
                 "running": "#72b7b2", "pending": "#9d9d9d", "paused": "#b279a2"}
_GREY = "#d9d9d9"
_PICKED = "#d6249f"  # the clicked trial, in every chart
#: Name prefix of the layers drawn over the data (best trial, clicked trial): the page makes
#: them transparent to the mouse so that tooltips and clicks reach the points beneath.
DECORATION = "deco_"
#: Name prefix of the layers that define the selections (the time brush, the click): Altair
#: also lists the other layers of a layered chart as views of a selection, which made the
#: decorations define selections of their own; :func:`selection_views` undoes that.
SELECTOR = "sel_"
#: The page width (CSS pixels) the charts' own widths are laid out for (static images too).
DESIGN_WIDTH = 1340
_AXIS_PAD = 75  # a y axis (labels and title) and the spacing to the next chart
_LEGEND_PAD = 125  # a legend at the end of a row
_HEIGHT = 190  # the small charts (scatters)
#: Altair's warning when one selection is added to several views (as intended here).
_DEDUP = "Automatically deduplicated selection parameter"


def _status_color(alt: Any, brush: Any, statuses: list[str]) -> Any:
    scale = alt.Scale(domain=statuses, range=[STATUS_COLORS.get(s, _GREY) for s in statuses])
    return alt.condition(brush, alt.Color("status:N", scale=scale, title="status"),
                         alt.value(_GREY))


def _time_unit(rows: list[dict[str, Any]]) -> tuple[str, float]:
    """The unit of the time axis, chosen by the run's span as durations are written
    (:func:`~hpo_core.jobs.views.duration_text`): ``(name, seconds per unit)``."""
    ends = [r["t"] for r in rows if r["t"] is not None]
    span = max(ends) if ends else 0.0
    return ("s", 1.0) if span < 60 else ("min", 60.0) if span < 3600 else ("h", 3600.0)


def selection_views(spec: dict[str, Any]) -> dict[str, Any]:
    """Keep only the :data:`SELECTOR` layers as the views of each top-level selection
    (in place; returns ``spec``). Specifications without such layers are left as they are."""
    for param in spec.get("params", []):
        views = param.get("views")
        if views and any(str(v).startswith(SELECTOR) for v in views):
            param["views"] = [v for v in views if str(v).startswith(SELECTOR)]
    return spec


def _ring(base: Any, pick: Any, x: Any, y: Any, has: str, key: str) -> Any:
    """A ring around the clicked trial's point (a decoration, see :data:`DECORATION`)."""
    return base.mark_point(size=200, strokeWidth=2.5, filled=False, color=_PICKED).encode(
        x=x, y=y).transform_filter(has).transform_filter(pick).properties(
        name=f"{DECORATION}ring_{key}")


def _time_chart(alt: Any, base: Any, brush: Any, pick: Any, color: Any, metric: str,
                unit: str, width: int) -> Any:
    x = alt.X("end:Q", title=f"trial end ({unit} since the first trial started)")
    y = alt.Y("objective:Q", title=metric, scale=alt.Scale(zero=False))
    has = "datum.objective != null && datum.end != null"
    points = base.mark_circle(size=45, opacity=0.85).encode(
        x=x, y=y, color=color,
        tooltip=["label:N", "status:N", alt.Tooltip("objective:Q", format=".6g"),
                 alt.Tooltip("end:Q", format=".4g", title=f"end ({unit})")],
    ).transform_filter(has).add_params(brush, pick).properties(name=f"{SELECTOR}time")
    line = base.mark_line(interpolate="step-after", color="black", strokeWidth=1.5).encode(
        x=x, y="best_so_far:Q").transform_filter(
        "datum.best_so_far != null && datum.end != null")
    return alt.layer(points, line, _ring(base, pick, x, y, has, "time")).properties(
        title="Objective over time (line: best so far)", width=width, height=240)


def _distribution(alt: Any, base: Any, brush: Any, metric: str, width: int) -> Any:
    x = alt.X("objective:Q", bin=alt.Bin(maxbins=30), title=metric)
    y = alt.Y("count():Q", title="trials")
    has = "datum.objective != null"
    everything = base.mark_bar(color=_GREY).encode(x=x, y=y).transform_filter(has)
    chosen = base.mark_bar(color=STATUS_COLORS["completed"]).encode(x=x, y=y).transform_filter(
        has).transform_filter(brush)
    return alt.layer(everything, chosen).properties(
        title="Objective distribution (coloured: brushed trials)", width=width, height=240)


def _decades(lo: float, hi: float) -> list[float] | Any:
    """Powers of ten inside ``[lo, hi]`` as tick values of a log axis (Vega's own ticks crowd
    a small chart); Vega's default when there are fewer than two."""
    import math

    ticks = [10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             if lo * (1 - 1e-9) <= 10.0 ** k <= hi * (1 + 1e-9)]
    if len(ticks) < 2:
        from altair import Undefined

        return Undefined
    return ticks


def _scatter(alt: Any, base: Any, pick: Any, color: Any, run: RunTable, name: str,
             field: str, width: int) -> Any:
    spec = run.params[name]
    y = alt.Y("objective:Q", title=run.metric, scale=alt.Scale(zero=False))
    if isinstance(spec, Categorical):
        # a strip per category on a numeric axis (xOffset jitter breaks the band scales of
        # other views in the same concat in Vega-Lite 6), labelled with the category names
        labels = json.dumps([str(v) for v in spec.values])
        x = alt.X(f"{field}i:Q", title=name, scale=alt.Scale(
            domain=[-0.5, len(spec.values) - 0.5], nice=False, zero=False), axis=alt.Axis(
            values=list(range(len(spec.values))), grid=False,
            labelExpr=f"{labels}[datum.value]"))
    elif isinstance(spec, Continuous | Integer):
        scaling = spec.effective_scaling
        if scaling == "reverse_log":  # 1 - x on a reversed log axis, labelled with x
            x = alt.X(f"{field}r:Q", title=axis_title(run, name),
                      scale=alt.Scale(type="log", reverse=True), axis=alt.Axis(
                          values=_decades(1.0 - spec.max_value, 1.0 - spec.min_value),
                          labelExpr="format(1 - datum.value, '~g')"))
        elif scaling == "log":
            x = alt.X(f"{field}:Q", title=axis_title(run, name), scale=alt.Scale(type="log"),
                      axis=alt.Axis(values=_decades(spec.min_value, spec.max_value),
                                    format="~g"))
        else:
            x = alt.X(f"{field}:Q", title=name, scale=alt.Scale(zero=False))
    else:  # a column whose definitions disagree on its type
        x = alt.X(f"{field}:N", title=name)
    has = f"datum.objective != null && datum['{field}'] != null"
    dots = base.mark_circle(size=35, opacity=0.8).encode(
        x=x, y=y, color=color,
        tooltip=["label:N", alt.Tooltip(f"{field}:N", title=name),
                 alt.Tooltip("objective:Q", format=".6g")]).transform_filter(
        has).add_params(pick).properties(name=f"{SELECTOR}{field}")
    best = base.mark_point(shape="diamond", size=170, filled=False, strokeWidth=2.5,
                           color="black").encode(x=x, y=y).transform_filter(
        has + " && datum.is_best").properties(name=f"{DECORATION}best_{field}")
    return alt.layer(dots, best, _ring(base, pick, x, y, has, field)).properties(
        title=f"{run.metric} vs {name}", width=width, height=_HEIGHT)


def _parallel(alt: Any, pd: Any, brush: Any, pick: Any, run: RunTable,
              rows: list[dict[str, Any]], ticks: list[dict[str, Any]], axes: list[str],
              width: int) -> Any:
    base = alt.Chart(pd.DataFrame(rows))
    x = alt.X("axis:N", sort=axes, title=None, axis=alt.Axis(labelAngle=0, domain=False,
                                                              ticks=False, grid=True,
                                                              labelFontWeight="bold"))
    y = alt.Y("u:Q", scale=alt.Scale(domain=[0, 1], nice=False), axis=None)
    color = alt.condition(brush, alt.Color(
        "objective:Q", title=run.metric,
        scale=alt.Scale(scheme="viridis", reverse=run.objective == "minimize")),
        alt.value(_GREY))
    lines = base.mark_line(strokeWidth=1, opacity=0.55).encode(
        x=x, y=y, detail="trial:N", color=color,
        tooltip=["label:N", "axis:N", "shown:N", alt.Tooltip("objective:Q", format=".6g")])
    best = base.mark_line(strokeWidth=3, color="black").encode(
        x=x, y=y, detail="trial:N").transform_filter("datum.is_best").properties(
        name=f"{DECORATION}best_parallel")
    picked = base.mark_line(strokeWidth=3, color=_PICKED).encode(
        x=x, y=y, detail="trial:N").transform_filter(pick).properties(
        name=f"{DECORATION}pick_parallel")
    # value ticks on every axis: a short dash and the value, on a white halo
    scale = alt.Chart(pd.DataFrame(ticks))
    dash = scale.mark_tick(size=7, thickness=1, color="#555").encode(x=x, y=y).properties(
        name=f"{DECORATION}ticks_parallel")
    halo = scale.mark_text(align="right", dx=-6, fontSize=10, stroke="white", strokeWidth=3,
                           color="white").encode(x=x, y=y, text="tick:N").properties(
        name=f"{DECORATION}halo_parallel")
    text = scale.mark_text(align="right", dx=-6, fontSize=10, color="#333").encode(
        x=x, y=y, text="tick:N").properties(name=f"{DECORATION}labels_parallel")
    return alt.layer(lines, best, picked, dash, halo, text).properties(
        title="Parallel coordinates (black: best trial)", width=width, height=280)


def _importance(alt: Any, pd: Any, rows: list[dict[str, Any]], width: int) -> Any:
    return alt.Chart(pd.DataFrame(rows)).mark_bar(color=STATUS_COLORS["completed"]).encode(
        x=alt.X("importance:Q", scale=alt.Scale(domain=[0, 1]),
                title="rank variance explained (adjusted)"),
        y=alt.Y("parameter:N", sort="-x", title=None),
        tooltip=["parameter:N", alt.Tooltip("importance:Q", format=".3f"), "groups:Q",
                 "trials:Q"],
    ).properties(title="Parameter importance", width=width, height=max(60, 24 * len(rows)))


def _curves(alt: Any, pd: Any, pick: Any, color: Any, run: RunTable,
            rows: list[dict[str, Any]], width: int) -> Any:
    base = alt.Chart(pd.DataFrame(rows))
    x = alt.X("step:Q", title="step (resource)")
    y = alt.Y("value:Q", title=run.metric, scale=alt.Scale(zero=False))
    lines = base.mark_line(strokeWidth=1, opacity=0.6).encode(
        x=x, y=y, detail="trial:N", color=color,
        tooltip=["label:N", "step:Q", alt.Tooltip("value:Q", format=".6g")])
    picked = base.mark_line(strokeWidth=3, color=_PICKED).encode(
        x=x, y=y, detail="trial:N").transform_filter(pick).properties(
        name=f"{DECORATION}pick_curves")
    return alt.layer(lines, picked).properties(
        title="Learning curves (intermediate objective)", width=width, height=240)


def _resources(alt: Any, base: Any, color: Any, run: RunTable, width: int) -> Any:
    # numbered as the trials are named: training jobs 001, 002, ...; ask/tell trials 0, 1, ...
    what = "training job (number in its name)" if run.kind == "job" else "trial (id)"
    return base.mark_bar().encode(
        x=alt.X("number:O", title=what, sort=alt.EncodingSortField("trial", op="min"),
                axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y("resource_used:Q", title="resource used (last step)"),
        color=color,
        tooltip=["label:N", "status:N", "resource_used:Q", "resource:Q"],
    ).transform_filter("datum.resource_used != null").properties(
        title="Resource per trial", width=width, height=210)


def _rungs(alt: Any, pd: Any, rows: list[dict[str, Any]], width: int) -> Any:
    base = alt.Chart(pd.DataFrame(rows))
    x = alt.X("rung:O", title="rung (resource)", axis=alt.Axis(labelAngle=0))
    bars = base.mark_bar(color=STATUS_COLORS["stopped"]).encode(
        x=x, y=alt.Y("trials:Q", title="trials reaching it"), tooltip=["rung:O", "trials:Q"])
    text = base.mark_text(dy=-6).encode(x=x, y="trials:Q", text="trials:Q")
    return alt.layer(bars, text).properties(title="Rung survival", width=width, height=210)


def _widths(shares: list[float], legend: bool, per_row: int | None = None) -> list[int]:
    """Plot widths of a row of charts at :data:`DESIGN_WIDTH`, split by ``shares``; a row
    meant to hold ``per_row`` charts gives each the width it has in a full row."""
    n = per_row or len(shares)
    plots = DESIGN_WIDTH - n * _AXIS_PAD - (_LEGEND_PAD if legend else 0)
    total = sum(shares) if per_row is None else float(n)
    return [max(120, int(plots * s / total)) for s in shares]


def _per_row(n: int) -> int:
    """Scatters per row: four when that leaves no short last row, else three."""
    return n if n <= 4 else 4 if n % 4 in (0, 3) else 3


def _row_meta(row: list[Any], legend: bool) -> dict[str, float]:
    pad = len(row) * _AXIS_PAD + (_LEGEND_PAD if legend else 0)
    plots = sum(int(c.width) for c in row)
    return {"fill": round(min(1.0, (plots + pad) / DESIGN_WIDTH), 4), "pad": pad}


def dashboard(run: RunTable) -> tuple[Any, list[str]]:
    """The whole report as one Altair chart, and the titles of its charts in order.

    Args:
        run: the run to draw.

    Returns:
        ``(chart, titles)``: an Altair top-level chart (``vconcat``, its rows' layout in
        ``usermeta.hpoRows``, see the module docstring) and the title of every chart in it
        (the browser test checks that each one drew marks).
    """
    alt, pd = require("altair"), require("pandas")
    names = free_params(run)
    fields = {n: f"p{i}" for i, n in enumerate(names)}
    rows, unit = _rows(run, fields)
    statuses = [s for s in STATUS_COLORS if any(r["status"] == s for r in rows)]
    base = alt.Chart(pd.DataFrame(rows))
    brush = alt.selection_interval(name="time_brush", encodings=["x"])
    pick = alt.selection_point(name="trial_pick", fields=["trial"], on="click",
                               clear="dblclick", empty=False)
    color = _status_color(alt, brush, statuses)
    layout: list[tuple[list[Any], bool]] = []  # (charts, has a legend)
    w_time, w_dist = _widths([0.6, 0.4], True)
    layout.append(([_time_chart(alt, base, brush, pick, color, run.metric, unit, w_time),
                    _distribution(alt, base, brush, run.metric, w_dist)], True))
    per_row = _per_row(len(names))
    w_small = _widths([1.0], True, per_row)[0]
    scatters = [_scatter(alt, base, pick, color, run, n, fields[n], w_small) for n in names]
    layout += [(scatters[i:i + per_row], True) for i in range(0, len(scatters), per_row)]
    par = parallel_rows(run, rows, fields)
    if par and names:
        axes = [*[axis_title(run, n) for n in names], run.metric]
        ticks = parallel_ticks(run, rows, names)
        width = _widths([1.0], True)[0] - 30  # the first axis' value labels
        layout.append(([_parallel(alt, pd, brush, pick, run, par, ticks, axes, width)], True))
    imp = importance(run)
    w_pair = _widths([1.0], True, 3)[0]
    pairs = interaction_charts(alt, pd, run, imp, {"width": w_pair,
                                                   "height": int(w_pair * 0.8)})
    if pairs:
        layout.append((pairs, True))
    end_of = {r["trial"]: r["end"] for r in rows}
    label_of = {r["trial"]: r["label"] for r in rows}
    curve_rows = [{"trial": t["id"], "label": label_of[t["id"]], "step": s, "value": v,
                   "status": t["status"], "end": end_of[t["id"]]}
                  for t in run.trials for s, v in t["reports"]]
    w_imp, w_curves = _widths([0.38, 0.62], True)
    layout.append((([_importance(alt, pd, imp, w_imp)] if imp else []) +
                   ([_curves(alt, pd, pick, color, run, curve_rows, w_curves)]
                    if curve_rows else []), bool(curve_rows)))
    has_resource = any(t["reports"] or t["resource"] is not None for t in run.trials)
    rungs = rung_rows(run) if has_resource else []
    used = {r["resource_used"] for r in rows if r["resource_used"] is not None}
    # when every trial ran the same resource there is nothing to show
    w_res, w_rungs = _widths([0.65, 0.35], True)
    show_resources = len(used) > 1 or bool(rungs)
    layout.append((([_resources(alt, base, color, run, w_res)] if show_resources else []) +
                   ([_rungs(alt, pd, rungs, w_rungs)] if rungs else []), show_resources))
    layout = [(row, legend) for row, legend in layout if row]
    with warnings.catch_warnings():  # one selection in many views is what we want
        warnings.filterwarnings("ignore", message=_DEDUP)
        chart = alt.vconcat(*[alt.hconcat(*row) for row, _ in layout]).configure_view(
            stroke="#eee").configure_axis(labelFontSize=11, titleFontSize=12).configure_title(
            fontSize=13, anchor="start").properties(
            usermeta={"hpoRows": [_row_meta(row, legend) for row, legend in layout]})
    return chart, [str(c.title) for row, _ in layout for c in row]


def _rows(run: RunTable, fields: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
    """The trial records of the charts, with ``end`` in the time axis' unit since the first
    start (the brushed field)."""
    values = [t["value"] if t["status"] == "completed" else None for t in run.trials]
    best = best_so_far(values, [t["status"] == "completed" for t in run.trials],
                       [t["end"] for t in run.trials], [t["id"] for t in run.trials],
                       run.objective == "maximize")
    rows = trial_rows(run, best, fields)
    starts = [t["start"] for t in run.trials if t["start"] is not None]
    t0 = min(starts) if starts else 0.0
    for r, t in zip(rows, run.trials, strict=True):
        r["t"] = None if t["end"] is None else t["end"] - t0
    unit, per = _time_unit(rows)
    for r in rows:
        t = r.pop("t")
        r["end"] = None if t is None else round(t / per, 6)
    return rows, unit
