"""The report's table of every trial: sortable by a click on a header, filtered by a text box.

The table is plain HTML (readable without JavaScript); a small inline script (:data:`SCRIPT`,
no library, nothing fetched) sorts and filters it. Cells that sort by number carry the number in
``data-v`` (objective and numeric parameters at full precision, start as epoch seconds,
duration in seconds, the trial id for the trial column), so ``9 s`` sorts before ``2 min``;
empty cells sort last both ways. The filter keeps the rows whose text contains every word
typed (case-insensitive). Numbers show 6 significant digits, starts ISO 8601 UTC, durations
in s/min/h (:mod:`hpo_core.jobs.views`).
"""

from __future__ import annotations

import html
import math
from typing import Any

from hpo_core.jobs.views import duration_text, iso_time, significant
from hpo_core.report.data import free_params, trial_number
from hpo_core.space.parameters import Categorical
from hpo_core.tables import RunTable

__all__ = ["SCRIPT", "STYLE", "trials_table_html"]

STYLE = """
.trials-tools { margin: 4px 0 6px 0; font-size: 13px; }
.trials-tools input { font-size: 13px; padding: 3px 6px; width: 320px; }
.trials-tools span { color: #666; margin-left: 10px; }
.trials-box { max-height: 460px; overflow: auto; border: 1px solid #e5e5e5; }
.trials-box table { width: 100%; }
.trials-box thead th { position: sticky; top: 0; cursor: pointer; user-select: none;
                       white-space: nowrap; }
.trials-box th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 10px; }
.trials-box th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 10px; }
.trials-box td.reason { max-width: 420px; overflow: hidden; text-overflow: ellipsis;
                        white-space: nowrap; }
"""

SCRIPT = """
(function () {
  var table = document.getElementById("hpo-trials");
  if (!table) return;
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  var input = document.getElementById("hpo-trials-filter");
  var count = document.getElementById("hpo-trials-count");
  var total = body.rows.length;
  function key(row, i) {
    var cell = row.cells[i], v = cell.getAttribute("data-v");
    if (v !== null) return parseFloat(v);
    var text = cell.textContent;
    return text === "" ? null : text;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, {numeric: true});
  }
  function sortBy(i) {
    var up = heads[i].getAttribute("aria-sort") !== "ascending";
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute("aria-sort");
    heads[i].setAttribute("aria-sort", up ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows).map(function (r, n) {
      return {row: r, key: key(r, i), n: n};
    });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        return a.key === b.key ? a.n - b.n : (a.key === null ? 1 : -1);
      }
      return (up ? compare(a.key, b.key) : compare(b.key, a.key)) || a.n - b.n;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  function filter() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean), shown = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var text = r.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      r.hidden = !keep;
      if (keep) shown += 1;
    });
    count.textContent = words.length ? shown + " of " + total + " trials shown"
                                     : total + " trials";
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.title = "click to sort";
    th.addEventListener("click", function () { sortBy(i); });
  });
  input.addEventListener("input", filter);
  filter();
})();
"""


def _number(v: Any) -> str | None:
    """``data-v`` of a value that sorts by number (None for other values)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return repr(float(v)) if math.isfinite(v) else None


def _cell(text: str, sort_value: str | None = None, cls: str = "", title: bool = False) -> str:
    attrs = (f' data-v="{sort_value}"' if sort_value is not None else "") + (
        f' class="{cls}"' if cls else "") + (f' title="{html.escape(text)}"' if title else "")
    return f"<td{attrs}>{html.escape(text)}</td>"


def _order(run: RunTable) -> list[dict[str, Any]]:
    """Best first (by the run's direction), then trials without a value in id order."""
    sign = -1.0 if run.objective == "maximize" else 1.0

    def key(t: dict[str, Any]) -> tuple[int, float, int]:
        v = t["value"]
        if t["status"] == "completed" and isinstance(v, int | float) and math.isfinite(v):
            return (0, sign * v, t["id"])
        return (1, 0.0, t["id"])

    return sorted(run.trials, key=key)


def trials_table_html(run: RunTable) -> str:
    """The section of every trial: a heading, the filter box and the table (module
    docstring); empty for a run without trials."""
    if not run.trials:
        return ""
    names = free_params(run)
    has_resource = any(t["reports"] for t in run.trials)
    header = ["trial", "status", run.metric, *names, "start (UTC)", "duration",
              *(["resource used"] if has_resource else []), "failure reason"]
    left = {0, 1, len(header) - 1} | {3 + i for i, n in enumerate(names)
                                      if isinstance(run.params[n], Categorical)}
    head = "".join(f'<th class="l">{html.escape(h)}</th>' if i in left else
                   f"<th>{html.escape(h)}</th>" for i, h in enumerate(header))
    body = []
    for t in _order(run):
        value = t["value"] if t["status"] in ("completed", "stopped") else None
        elapsed = None if t["start"] is None or t["end"] is None else t["end"] - t["start"]
        label = t["name"] or trial_number(t)
        cells = [_cell(label, str(t["id"]), "l"), _cell(t["status"], cls="l"),
                 _cell("" if value is None else significant(value), _number(value))]
        for n in names:
            v = t["params"].get(n)
            cls = "l" if isinstance(run.params[n], Categorical) else ""
            cells.append(_cell(significant(v), None if cls else _number(v), cls))
        cells.append(_cell(iso_time(t["start"]) or "", _number(t["start"])))
        cells.append(_cell(duration_text(elapsed), _number(elapsed)))
        if has_resource:
            used = t["reports"][-1][0] if t["reports"] else None
            cells.append(_cell("" if used is None else str(used), _number(used)))
        reason = ((t["reason"] or "").strip().splitlines() or [""])[0] \
            if t["status"] == "failed" else ""
        cells.append(_cell(reason, cls="l reason", title=bool(reason)))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<h2>Trials ({len(run.trials)}, best first; click a header to sort)</h2>"
            '<div class="trials-tools"><input id="hpo-trials-filter" type="search" '
            'placeholder="filter: words that a row must contain" aria-label="filter trials">'
            '<span id="hpo-trials-count"></span></div>'
            f'<div class="trials-box"><table class="grid" id="hpo-trials"><thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
