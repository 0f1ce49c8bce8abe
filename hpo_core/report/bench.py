"""The report page of ``hpo bench`` results: regret curves per problem, per strategy.

For every run, the simple regret after trial ``i`` is ``best_so_far[i] - f_star`` (format in
``benchmarks/FORMAT.md``). A run that ended early without failing (a finite space run in full)
keeps its final best up to the budget; a failed run contributes only the trials it ran. For
each (problem, strategy, trial) the chart draws the median over seeds and the interquartile
band (25th to 75th percentile, numpy's linear interpolation, as the summary table).

The y axis is logarithmic; a regret of 0 (the optimum found) or a few ulps below it (a rounded
``f_star``) is drawn at a floor, a tenth of the smallest positive regret in the problem.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path
from typing import Any

import numpy as np

from hpo_core.benchmarks.summary import summarize
from hpo_core.errors import ReportError
from hpo_core.jobs.views import iso_time
from hpo_core.report.charts import DESIGN_WIDTH
from hpo_core.report.html import embed_page, table_html
from hpo_core.tables import read_json, require

__all__ = ["bench_chart", "bench_page", "read_bench", "regret_rows"]

_MAX_VERSION = 1


def read_bench(source: Any) -> dict[str, Any]:
    """A bench results document (a path or a parsed dict), checked for format and version."""
    doc = source if isinstance(source, dict) else read_json(Path(os.fspath(source)))
    where = "bench results" if isinstance(source, dict) else str(source)
    if doc.get("format") != "hpo_core.bench":
        raise ReportError(f"{where}: not an 'hpo bench' results file (format "
                          f"{doc.get('format')!r})")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ReportError(f"{where}: corrupt format version {version!r}")
    if version > _MAX_VERSION:
        raise ReportError(f"{where}: results format version {version}; this hpo_core reads up "
                          f"to {_MAX_VERSION}: upgrade hpo_core")
    if not isinstance(doc.get("runs"), list):
        raise ReportError(f"{where}: 'runs' must be a list")
    return doc


def _curve(run: dict[str, Any], f_star: float, length: int) -> list[float | None]:
    best = list(run.get("best_so_far") or [])
    if run.get("status") == "ok" and best and len(best) < length:
        best += [best[-1]] * (length - len(best))
    return [None if b is None else float(b) - f_star for b in best]


def regret_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Median and interquartile regret per (problem, strategy, trial number).

    Returns:
        ``[{"problem", "strategy", "trial" (1-based), "median", "q25", "q75", "runs"}, ...]``
        with regrets floored for the log axis (module docstring).
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in doc["runs"]:
        groups.setdefault((str(r["problem"]), str(r["strategy"])), []).append(r)
    out: list[dict[str, Any]] = []
    floors: dict[str, float] = {}
    for (problem, strategy), runs in groups.items():
        f_star = float(runs[0].get("f_star", (doc.get("problems") or {}).get(
            problem, {}).get("f_star", 0.0)))
        length = max([int(r.get("budget") or 0) for r in runs] +
                     [len(r.get("best_so_far") or []) for r in runs])
        curves = [_curve(r, f_star, length) for r in runs]
        positive = [v for c in curves for v in c if v is not None and v > 0]
        if positive:
            floors[problem] = min(floors.get(problem, np.inf), min(positive) / 10.0)
        for i in range(length):
            vals = np.array([c[i] for c in curves if i < len(c) and c[i] is not None])
            if len(vals) == 0:
                continue
            q25, med, q75 = np.percentile(vals, [25, 50, 75])
            out.append({"problem": problem, "strategy": strategy, "trial": i + 1,
                        "median": float(med), "q25": float(q25), "q75": float(q75),
                        "runs": len(vals)})
    for row in out:
        floor = floors.get(row["problem"], 1e-12)
        for k in ("median", "q25", "q75"):
            row[k] = max(row[k], floor)
    return out


_PER_ROW = 2
_PAD = 75  # a y axis and the spacing to the next chart
_LEGEND = 125


def bench_chart(doc: dict[str, Any]) -> Any:
    """One regret chart per problem (median line, interquartile band, colour = strategy), two
    to a row, laid out for the page width as the run report is (``usermeta.hpoRows``, see
    :mod:`hpo_core.report.charts`)."""
    alt, pd = require("altair"), require("pandas")
    rows = regret_rows(doc)
    if not rows:
        raise ReportError("bench results: no run has a value to draw")
    df = pd.DataFrame(rows)
    strategies = list(dict.fromkeys(df["strategy"]))
    color = alt.Color("strategy:N", scale=alt.Scale(domain=strategies, scheme="tableau10"))
    charts = []
    width = (DESIGN_WIDTH - _PER_ROW * _PAD - _LEGEND) // _PER_ROW
    for problem in dict.fromkeys(df["problem"]):
        base = alt.Chart(df[df["problem"] == problem])
        x = alt.X("trial:Q", title="trial")
        band = base.mark_area(opacity=0.22).encode(
            x=x, y=alt.Y("q25:Q", scale=alt.Scale(type="log"), title="simple regret"),
            y2="q75:Q", color=color)
        line = base.mark_line(strokeWidth=2).encode(
            x=x, y="median:Q", color=color,
            tooltip=["strategy:N", "trial:Q", alt.Tooltip("median:Q", format=".4g"),
                     alt.Tooltip("q25:Q", format=".4g"), alt.Tooltip("q75:Q", format=".4g"),
                     "runs:Q"])
        charts.append(alt.layer(band, line).properties(
            title=f"{problem}: regret (median, IQR band)", width=width, height=260))
    grid = [charts[i:i + _PER_ROW] for i in range(0, len(charts), _PER_ROW)]
    meta = [{"fill": round(min(1.0, (len(r) * (width + _PAD) + _LEGEND) / DESIGN_WIDTH), 4),
             "pad": len(r) * _PAD + _LEGEND} for r in grid]
    return alt.vconcat(*[alt.hconcat(*r) for r in grid]).configure_title(
        fontSize=13, anchor="start").properties(usermeta={"hpoRows": meta})


def _utc(text: Any) -> Any:
    """An ISO 8601 time as the report writes times (UTC, ``...Z``); other values unchanged."""
    try:
        moment = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return iso_time(moment.timestamp())


def _summary_html(doc: dict[str, Any]) -> str:
    def num(v: float | None, fmt: str = ".3g") -> str:
        return "" if v is None else format(v, fmt)

    rows = [[r.problem, r.strategy, r.runs, r.failed, num(r.trials_median, "g"),
             num(r.regret_median), f"{num(r.regret_q25)} - {num(r.regret_q75)}",
             num(r.overhead_p50_ms, ".4f"), num(r.overhead_p95_ms, ".4f")]
            for r in summarize(doc["runs"])]
    table = table_html(["problem", "strategy", "runs", "failed", "trials", "median regret",
                        "IQR", "ask+tell p50 ms", "p95 ms"], rows, left=(0, 1))
    config = doc.get("config") or {}
    env = doc.get("environment") or {}
    facts = [("Created (UTC)", _utc(doc.get("created"))),
             ("Command", " ".join(doc.get("command") or [])),
             ("Budget", config.get("budget")), ("Seeds", config.get("seeds")),
             ("Python", env.get("python")), ("CPUs available", env.get("cpus_available"))]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in facts if v not in (None, ""))
    skipped = "".join(f"<li>{html.escape(str(s.get('strategy')))} on "
                      f"{html.escape(str(s.get('problem')))}: {html.escape(str(s.get('reason')))}"
                      "</li>" for s in doc.get("skipped") or [])
    return (f'<h2>Summary</h2><table class="facts">{body}</table><h2>Final regret and '
            f"overhead</h2>{table}" + (f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else "")
            + "<h2>Regret curves</h2>")


_NOTES = """<h2>How to read this</h2><div class="note"><p>Simple regret after each trial: the
best value found so far minus the problem's known minimum. The line is the median over seeds,
the band the 25th to 75th percentile. A run that ended early without failing (a finite space
run in full) keeps its final best; a regret of 0 is drawn at a floor (log axis).</p></div>"""


def bench_page(doc: dict[str, Any]) -> str:
    """The HTML page of bench results."""
    chart = bench_chart(doc)
    problems = list(dict.fromkeys(r["problem"] for r in regret_rows(doc)))
    titles = [f"{p}: regret (median, IQR band)" for p in problems]
    return embed_page("Benchmark report", _summary_html(doc), chart, titles, _NOTES)
