"""The report page of one run: the summary on top, the linked charts, notes on method."""

from __future__ import annotations

import datetime as _dt
import html
from typing import Any

from hpo_core.report.charts import dashboard
from hpo_core.report.data import free_params, summary
from hpo_core.report.html import embed_page, table_html
from hpo_core.tables import RunTable

__all__ = ["run_chart", "run_page"]

_TOP = 10


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else str(v)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.3g} s"
    return str(_dt.timedelta(seconds=round(seconds)))


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
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f'<h2>Summary</h2><table class="facts">{body}</table>'


def _top_html(run: RunTable) -> str:
    done = [t for t in run.trials if t["status"] == "completed" and t["value"] is not None]
    sign = -1.0 if run.objective == "maximize" else 1.0
    done.sort(key=lambda t: (sign * t["value"], t["id"]))
    if not done:
        return ""
    names = free_params(run)
    header = ["trial", run.metric, *names, "elapsed"]
    rows = [[t["name"] or t["id"], _fmt(t["value"]), *[_fmt(t["params"].get(n)) for n in names],
             _duration(None if t["start"] is None or t["end"] is None else t["end"] - t["start"])]
            for t in done[:_TOP]]
    return f"<h2>Top {min(_TOP, len(done))} trials</h2>" + table_html(header, rows)


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
optimizer sees it (log-scaled parameters on a log scale); the last axis is the objective from
its minimum to its maximum.</p></div>
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
    intro = _facts_html(run) + _top_html(run) + _failures_html(run) + "<h2>Charts</h2>"
    if not any(t["value"] is not None for t in run.trials):
        intro += ('<p class="note">No trial has an objective value yet: the charts fill in '
                  "once trials complete.</p>")
    return embed_page(f"Tuning report: {run.source}", intro, chart, titles, _NOTES)
