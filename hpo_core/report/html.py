"""Assembly of the self-contained HTML page, and static PNG/SVG images.

The page has no external reference: Vega, Vega-Lite and Vega-Embed come inlined from
``vl_convert.javascript_bundle()`` (bundled once per process, about 0.9 MB), the data is inlined
in the specification, and the styles are in the page. It renders with the SVG renderer and
sets ``window.__hpoReport`` to ``{ready, error, renderMs, charts}`` when done, which the browser
test and the render benchmark read.

Before drawing, the page stretches the charts to the browser's width: a specification whose
``usermeta.hpoRows`` gives each ``vconcat`` row its ``fill`` (share of the width) and ``pad``
(pixels besides the plots) has each row's plot widths scaled to fill it, heights by the square
root of that (between 0.85 and 1.4 times); the page is drawn once, at load (a narrow window
keeps at least 0.6 of the designed widths and scrolls).
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import json
import warnings
from collections.abc import Sequence
from typing import Any

from hpo_core import __version__
from hpo_core.jobs.views import iso_time
from hpo_core.report.charts import selection_views
from hpo_core.tables import require

__all__ = ["embed_page", "escape_json", "spec_of", "static_image", "table_html"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px;
       color: #222; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 17px; margin: 22px 0 8px 0; }
.sub { color: #666; margin-bottom: 14px; }
table.facts, table.grid { border-collapse: collapse; font-size: 13px; }
table.facts th { text-align: left; padding: 3px 14px 3px 0; color: #555; font-weight: 600;
                 vertical-align: top; }
table.facts td { padding: 3px 14px 3px 0; }
table.grid th, table.grid td { border-bottom: 1px solid #e5e5e5; padding: 3px 10px;
                               text-align: right; }
table.grid th { background: #f6f6f6; }
table.grid td.l, table.grid th.l { text-align: left; }
table.grid td { font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 12.5px; max-width: 980px; line-height: 1.45; }
#hpo-error { color: #b00020; font-weight: 600; }
.vega-embed { display: block; }
#hpo-charts g[class*="deco_"] { pointer-events: none; }
"""

_BOOT = """
(function () {
  var state = {ready: false, error: null, renderMs: null, charts: %(charts)s};
  window.__hpoReport = state;
  var t0 = performance.now();
  var spec = %(spec)s;
  var rows = (spec.usermeta || {}).hpoRows, box = document.getElementById("hpo-charts");
  if (rows && spec.vconcat) {
    var avail = Math.min(box.clientWidth || 0, 2200);
    spec.vconcat.forEach(function (row, i) {
      var charts = row.hconcat || [row], plots = 0, meta = rows[i];
      charts.forEach(function (c) { plots += typeof c.width === "number" ? c.width : 0; });
      if (!meta || !plots || !avail) return;
      var k = Math.max(0.6, Math.min(3.0, (avail * meta.fill - meta.pad) / plots));
      var kh = Math.max(0.85, Math.min(1.4, Math.sqrt(k)));
      charts.forEach(function (c) {
        if (typeof c.width === "number") c.width = Math.floor(c.width * k);
        if (typeof c.height === "number") c.height = Math.round(c.height * kh);
      });
    });
  }
  vegaEmbed("#hpo-charts", spec, {renderer: "svg", actions: false})
    .then(function (result) {
      window.__hpoView = result.view;
      return result.view.runAsync();
    })
    .then(function () {
      state.renderMs = performance.now() - t0;
      state.ready = true;
    })
    .catch(function (e) {
      state.error = String(e && e.stack || e);
      document.getElementById("hpo-error").textContent = "The charts failed to draw: " + e;
      console.error(e);
    });
})();
"""


def escape_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</``, no ``<!--``)."""
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def spec_of(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite JSON, without Altair's 5,000-row guard (curves of a large run
    exceed it; the report's size is tested instead; Altair's global setting is restored), its
    selections bound to their own layers only (:func:`~hpo_core.report.charts.selection_views`).
    """
    alt = require("altair")
    with alt.data_transformers.enable("default", max_rows=None), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
        return selection_views(dict(chart.to_dict()))


def _vl_version(alt: Any, vlc: Any) -> str | None:
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return version if version in vlc.get_vegalite_versions() else None


@functools.lru_cache(maxsize=2)
def _bundle(vl_version: str | None) -> str:
    vlc = require("vl_convert")
    return str(vlc.javascript_bundle(vl_version=vl_version))


def table_html(header: Sequence[str], rows: Sequence[Sequence[Any]],
               left: Sequence[int] = (0,)) -> str:
    """A small HTML table; cells are escaped (``left``: left-aligned column indexes)."""
    def cell(tag: str, i: int, v: Any) -> str:
        cls = ' class="l"' if i in left else ""
        return f"<{tag}{cls}>{html.escape('' if v is None else str(v))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>"
                   for r in rows)
    return f'<table class="grid"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def embed_page(title: str, intro_html: str, chart: Any, titles: Sequence[str],
               notes_html: str = "", style: str = "", script: str = "") -> str:
    """The complete page: a header, ``intro_html`` (summary tables), the charts, notes.

    Args:
        title: the page title (escaped here).
        intro_html: trusted HTML built by this package (its values already escaped).
        chart: the Altair top-level chart.
        titles: the titles of the charts in ``chart``, recorded in ``__hpoReport.charts``.
        notes_html: trusted HTML shown under the charts.
        style: more CSS for the page.
        script: trusted JavaScript of the page's own (run before the charts draw, in a
            script element of its own, so that a chart failure does not stop it).
    """
    alt, vlc = require("altair"), require("vl_convert")
    version = _vl_version(alt, vlc)
    spec = spec_of(chart)
    boot = _BOOT % {"charts": escape_json(list(titles)), "spec": escape_json(spec)}
    made = iso_time(_dt.datetime.now(_dt.UTC).timestamp())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}{style}</style>\n"
        f"<script>\n{_bundle(version)}\n</script>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f'<div class="sub">hpo_core {html.escape(__version__)} report, made {made}; works '
        "offline (everything is inside this file).</div>\n"
        f"{intro_html}\n<div id=\"hpo-error\"></div>\n"
        "<noscript>The charts need JavaScript; the tables above do not.</noscript>\n"
        f'<div id="hpo-charts"></div>\n{notes_html}\n'
        + (f"<script>{script}</script>\n" if script else "")
        + f"<script>{boot}</script>\n</body>\n</html>\n")


def static_image(chart: Any, fmt: str, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes or SVG text (UTF-8), drawn by vl-convert (no browser)."""
    alt, vlc = require("altair"), require("vl_convert")
    spec = spec_of(chart)
    version = _vl_version(alt, vlc)
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, vl_version=version, scale=scale))
    return str(vlc.vegalite_to_svg(spec, vl_version=version)).encode("utf-8")
