"""The report page of one run: the summary on top, every trial in a sortable table, the linked
charts, notes on method.

One time format throughout: moments in ISO 8601 UTC (``2026-01-02T03:04:05Z``), durations in
s, min or h (:func:`~hpo_core.jobs.views.duration_text`; the time axis uses the same units).
"""

from __future__ import annotations

import html
from typing import Any

from hpo_core.jobs.views import duration_text, iso_time, significant
from hpo_core.report.charts import dashboard
from hpo_core.report.data import summary
from hpo_core.report.html import embed_page, table_html
from hpo_core.report.trials_table import SCRIPT, STYLE, trials_table_html
from hpo_core.tables import RunTable

__all__ = ["run_chart", "run_page"]

_TOP = 10


def _fmt(v: Any) -> str:
    return significant(v)


def _duration(seconds: float | None) -> str:
    return duration_text(seconds, missing="n/a")


def _budget(facts: dict[str, Any]) -> str:
    b = facts["budget"]
    parts = [f"{facts['trials']} trials" + (f" of {b['max_trials']}" if b.get("max_trials")
                                            else "")]
    if b.get("runtime_s") is not None:
        parts.append(f"runtime {_duration(b['runtime_s'])}" + (
            f" of {_duration(b['max_runtime_s'])}" if b.get("max_runtime_s") else ""))
    parts.append(f"trial time {_duration(facts['trial_time_s'])}")
    if facts["reports"]:
        parts.append(f"{facts['reports']} intermediate reports")
    return "; ".join(parts)


def _facts_html(run: RunTable) -> str:
    facts = summary(run)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(facts["counts"].items())) or "no trials"
    best = facts["best"]
    if best is None:
        best_text = "none yet (no completed trial)"
    else:
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in best["params"].items())
        best_text = f"{best['name'] or 'trial ' + str(best['id'])}: {facts['metric']} = " \
                    f"{_fmt(best['value'])} ({shown})"
    rows = [("Source", facts["source"]), ("Strategy", facts["strategy"]),
            ("Objective", f"{facts['objective']} {facts['metric']}"),
            ("Trials by status", counts), ("Best trial", best_text),
            ("Budget used", _budget(facts)), ("Wall-clock span", _duration(facts["span_s"]))]
    starts = [t["start"] for t in run.trials if t["start"] is not None]
    ends = [t["end"] for t in run.trials if t["end"] is not None]
    if starts:
        rows.append(("First start, last end (UTC)",
                     f"{iso_time(min(starts))} to {iso_time(max(ends)) if ends else '(none yet)'}"))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f'<h2>Summary</h2><table class="facts">{body}</table>'


_NOTES = """
<h2>How to read this</h2>
<div class="note"><p><b>Linked charts.</b> Drag over a time range in <i>Objective over
time</i>: the trials that ended inside it keep their colour in every chart and the others turn
grey. Click a point to mark that trial in magenta in every chart (its line in the parallel
coordinates and learning curves too); double-click to clear. The black diamond marks the best
trial in each per-parameter chart.</p>
<p><b>Best so far</b> is the best objective among completed trials that ended at or before each
point (finish order). Stopped (early-stopped) trials show their last reported value but never
count as best.</p>
<p><b>Parameter importance</b> is the share of the variance of the objective's <i>ranks</i>
explained by each parameter alone (values grouped in quantile bins, one group per category),
adjusted for the number of groups so that an irrelevant parameter scores near 0. It sees
non-monotone effects but not interactions: a hint, not a verdict.</p>
<p><b>Parallel coordinates</b> place each parameter at its position in its range as the
optimizer sees it (log-scaled parameters on a log scale, categories in their order), with
value ticks on every axis; the last axis is the objective from its minimum to its maximum.</p>
<p><b>Interaction</b> maps show the objective over two of the three most important parameters
at a time, smoothed from the completed trials alone (no model is fitted): each cell holds the
Gaussian-kernel weighted mean of the trials' objective values (Nadaraya-Watson; bandwidth
0.15 of the range at 50 trials, shrinking as n<sup>-1/6</sup>; a categorical counts only its
own category). Cells with no trial nearby stay blank; the dots are the trials, the white
diamond the best one. A pattern that depends on both axes at once (a diagonal ridge, a
corner) is an interaction the importance bars cannot show.</p>
<p><b>Times</b> are ISO 8601 in UTC; durations are in seconds, minutes or hours.</p></div>
"""


def _failures_html(run: RunTable) -> str:
    reasons: dict[str, list[str]] = {}
    for t in run.trials:
        if t["status"] == "failed":
            first = (t["reason"] or "failed").strip().splitlines() or ["failed"]
            reasons.setdefault(first[0][:200], []).append(str(t["name"] or t["id"]))
    if not reasons:
        return ""
    rows = sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:_TOP]
    table = table_html(["failure reason (first line)", "trials", "for example"],
                       [[r, len(ids), ", ".join(ids[:3])] for r, ids in rows], left=(0, 2))
    return f"<h2>Failures</h2>{table}"


def run_chart(run: RunTable) -> tuple[Any, list[str]]:
    """The run's dashboard with its summary line as the chart title (for PNG/SVG)."""
    chart, titles = dashboard(run)
    facts = summary(run)
    best = facts["best"]
    line = (f"{run.source}: {run.strategy}, {facts['objective']} {run.metric}; "
            f"{facts['trials']} trials" + (f"; best {_fmt(best['value'])} (trial "
                                            f"{best['name'] or best['id']})" if best else ""))
    return chart.properties(title=line), titles


def run_page(run: RunTable) -> str:
    """The HTML page of a run."""
    chart, titles = dashboard(run)
    intro = _facts_html(run) + trials_table_html(run) + _failures_html(run) + "<h2>Charts</h2>"
    if not any(t["value"] is not None for t in run.trials):
        intro += ('<p class="note">No trial has an objective value yet: the charts fill in '
                  "once trials complete.</p>")
    return embed_page(f"Tuning report: {run.source}", intro, chart, titles, _NOTES,
                      style=STYLE, script=SCRIPT)
