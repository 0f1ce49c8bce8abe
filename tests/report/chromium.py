"""Drive headless Chromium over the DevTools protocol: load a page, collect what it did.

Used by the browser test and by the render benchmark (``python -m tests.report.render_bench``).
Only the loopback DevTools port is contacted; the browser runs with networking features off and
a fresh profile, and every request the page makes is recorded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PageRun", "chart_texts", "click_element", "find_chromium", "render_page", "screenshot",
           "table_column", "type_into"]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*"]

#: Counts marks per chart: every Vega-Lite view with a title (the top-level one aside).
_COUNT_JS = """
(function () {
  var out = {};
  var titles = document.querySelectorAll('#hpo-charts svg g.role-title text');
  titles.forEach(function (t) {
    var name = t.textContent;
    var group = t.closest('g.role-scope');
    if (!group || out[name] !== undefined) return;
    var marks = group.querySelectorAll(
      'g.role-mark path, g.role-mark line, g.role-mark rect, g.role-mark text');
    out[name] = marks.length;
  });
  return JSON.stringify({
    report: window.__hpoReport || null, marks: out,
    svgs: document.querySelectorAll('svg').length,
    canvases: document.querySelectorAll('canvas').length,
    height: Math.ceil(document.documentElement.scrollHeight),
    width: Math.ceil(document.documentElement.scrollWidth)});
})()
"""


#: Symbol marks (points) by fill: grey ones are outside the brush.
_FILLS_JS = """
(function () {
  var grey = 0, coloured = 0;
  document.querySelectorAll('#hpo-charts g.mark-symbol.role-mark path').forEach(function (p) {
    var f = (p.getAttribute('fill') || '').toLowerCase();
    if (f === '#d9d9d9') grey += 1;
    else if (f && f !== 'none' && f !== 'transparent') coloured += 1;
  });
  return JSON.stringify({grey: grey, coloured: coloured});
})()
"""

#: The plot area of the chart whose title starts with ``title``, scrolled into view.
_AREA_JS = """
(function (title) {
  var texts = document.querySelectorAll('#hpo-charts svg g.role-title text');
  for (var i = 0; i < texts.length; i++) {
    if (texts[i].textContent.indexOf(title) !== 0) continue;
    var bg = texts[i].closest('g.role-scope').querySelector('path.background');
    bg.scrollIntoView({block: 'center'});
    var r = bg.getBoundingClientRect();
    return JSON.stringify({x: r.x, y: r.y, w: r.width, h: r.height});
  }
  return 'null';
})(%s)
"""


def drag_brush(cdp: Any, title: str, start: float = 0.02, stop: float = 0.55) -> dict[str, Any]:
    """Drag across the chart titled ``title`` (fractions of its width) with the mouse, and
    count grey and coloured points before and after."""
    def fills() -> dict[str, int]:
        return dict(json.loads(cdp.call("Runtime.evaluate", expression=_FILLS_JS,
                                        returnByValue=True)["result"]["value"]))

    before = fills()
    area = json.loads(cdp.call("Runtime.evaluate", expression=_AREA_JS % json.dumps(title),
                               returnByValue=True)["result"]["value"])
    y = area["y"] + area["h"] / 2
    x0, x1 = area["x"] + area["w"] * start, area["x"] + area["w"] * stop
    cdp.call("Input.dispatchMouseEvent", type="mouseMoved", x=x0, y=y)
    cdp.call("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y, button="left",
             buttons=1, clickCount=1)
    for k in range(1, 11):
        cdp.call("Input.dispatchMouseEvent", type="mouseMoved", x=x0 + (x1 - x0) * k / 10,
                 y=y, button="left", buttons=1)
    cdp.call("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y, button="left",
             buttons=1, clickCount=1)
    time.sleep(0.3)
    cdp.call("Runtime.evaluate", expression="window.__hpoView.runAsync()", awaitPromise=True)
    return {"before": before, "after": fills()}


#: Centres of the points of the first point layer of the chart titled ``title``.
_POINTS_JS = """
(function (title) {
  var texts = document.querySelectorAll('#hpo-charts svg g.role-title text');
  for (var i = 0; i < texts.length; i++) {
    if (texts[i].textContent.indexOf(title) !== 0) continue;
    var layer = texts[i].closest('g.role-scope').querySelector('g.mark-symbol.role-mark');
    layer.scrollIntoView({block: 'center'});
    var out = [];
    layer.querySelectorAll('path').forEach(function (p) {
      var r = p.getBoundingClientRect();
      out.push([r.x + r.width / 2, r.y + r.height / 2]);
    });
    return JSON.stringify(out);
  }
  return '[]';
})(%s)
"""

#: Marks stroked in the "picked trial" colour: rings (symbols) and lines.
_PICKED_JS = """
(function () {
  var c = {symbols: 0, lines: 0};
  document.querySelectorAll('#hpo-charts g.role-mark path').forEach(function (p) {
    if ((p.getAttribute('stroke') || '').toLowerCase() !== '#d6249f') return;
    if (p.closest('g.mark-symbol')) c.symbols += 1;
    if (p.closest('g.mark-line')) c.lines += 1;
  });
  return JSON.stringify(c);
})()
"""


def click_point(cdp: Any, title: str) -> dict[str, Any]:
    """Click points of the chart titled ``title`` until one is picked (a point under another
    layer's mark may not be); count the marks drawn in the picked colour before and after."""
    def picked() -> dict[str, int]:
        return dict(json.loads(cdp.call("Runtime.evaluate", expression=_PICKED_JS,
                                        returnByValue=True)["result"]["value"]))

    before = picked()
    points = json.loads(cdp.call("Runtime.evaluate", expression=_POINTS_JS % json.dumps(title),
                                 returnByValue=True)["result"]["value"])
    after = before
    for x, y in points[-5:][::-1]:  # the last drawn are on top of their layer
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
            cdp.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)
        time.sleep(0.3)
        cdp.call("Runtime.evaluate", expression="window.__hpoView.runAsync()",
                 awaitPromise=True)
        after = picked()
        if after["symbols"]:
            break
    return {"before": before, "after": after}


#: The text marks of the chart titled ``title`` (axis labels aside), in document order.
_TEXTS_JS = """
(function (title) {
  var texts = document.querySelectorAll('#hpo-charts svg g.role-title text');
  for (var i = 0; i < texts.length; i++) {
    if (texts[i].textContent !== title) continue;
    var group = texts[i].closest('g.role-scope'), out = [];
    group.querySelectorAll('g.role-mark text').forEach(function (t) {
      out.push(t.textContent);
    });
    var axes = [];
    group.querySelectorAll('g.role-axis-label text').forEach(function (t) {
      axes.push(t.textContent);
    });
    return JSON.stringify({marks: out, axes: axes});
  }
  return 'null';
})(%s)
"""

#: The centre of the first element matching a CSS selector, scrolled into view.
_CENTRE_JS = """
(function (selector, text) {
  var all = document.querySelectorAll(selector);
  for (var i = 0; i < all.length; i++) {
    if (text !== null && all[i].textContent.trim() !== text) continue;
    all[i].scrollIntoView({block: 'center'});
    var r = all[i].getBoundingClientRect();
    return JSON.stringify({x: r.x + r.width / 2, y: r.y + r.height / 2});
  }
  return 'null';
})(%s, %s)
"""

#: The texts of the column headed ``name`` in the visible rows of the trials table, the count
#: line and the header's sort state.
_COLUMN_JS = """
(function (name) {
  var heads = document.querySelectorAll('#hpo-trials thead th'), index = -1;
  heads.forEach(function (th, i) { if (th.textContent.trim() === name) index = i; });
  if (index < 0) return 'null';
  var out = [];
  document.querySelectorAll('#hpo-trials tbody tr').forEach(function (r) {
    if (!r.hidden) out.push(r.cells[index].textContent);
  });
  var count = document.getElementById('hpo-trials-count');
  return JSON.stringify({cells: out, count: count ? count.textContent : null,
                         sort: heads[index].getAttribute('aria-sort')});
})(%s)
"""


def _eval(cdp: Any, expression: str) -> Any:
    return json.loads(cdp.call("Runtime.evaluate", expression=expression,
                               returnByValue=True)["result"]["value"])


def chart_texts(cdp: Any, title: str) -> dict[str, list[str]] | None:
    """The drawn text of the chart titled ``title``: ``{"marks": [...], "axes": [...]}``
    (text marks, axis labels), None when there is no such chart."""
    return _eval(cdp, _TEXTS_JS % json.dumps(title))  # type: ignore[no-any-return]


def click_element(cdp: Any, selector: str, text: str | None = None) -> bool:
    """Click (real mouse events) the first element matching ``selector`` whose text is
    ``text`` (any text when None); False when there is none."""
    at = _eval(cdp, _CENTRE_JS % (json.dumps(selector), json.dumps(text)))
    if at is None:
        return False
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
        cdp.call("Input.dispatchMouseEvent", type=kind, x=at["x"], y=at["y"], **extra)
    time.sleep(0.1)
    return True


def type_into(cdp: Any, selector: str, text: str) -> None:
    """Click the input matching ``selector`` and type ``text`` as the keyboard would."""
    assert click_element(cdp, selector), f"no element {selector}"
    cdp.call("Input.insertText", text=text)
    time.sleep(0.1)


def table_column(cdp: Any, name: str) -> dict[str, Any] | None:
    """The column headed ``name`` in the trials table's visible rows: ``{"cells", "count",
    "sort"}`` (``sort``: the header's ``aria-sort``); None when there is no such column."""
    return _eval(cdp, _COLUMN_JS % json.dumps(name))  # type: ignore[no-any-return]


def screenshot(cdp: Any, path: Path, width: int = 1400) -> None:
    """A full-page PNG of the page as it is now."""
    info = _eval(cdp, _COUNT_JS)
    cdp.call("Emulation.setDeviceMetricsOverride", width=max(width, info["width"]),
             height=min(info["height"], 16000), deviceScaleFactor=1, mobile=False)
    data = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    path.write_bytes(base64.b64decode(data["data"]))
    cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
             deviceScaleFactor=1, mobile=False)


@dataclass
class PageRun:
    """What a page did in the browser.

    Attributes:
        state: ``window.__hpoReport`` (ready, error, renderMs, charts).
        marks: chart title -> number of drawn mark elements.
        svgs, canvases: element counts.
        console_errors: console messages of level error, exceptions, log errors.
        requests: URL of every request the page made (the page itself included).
        load_ms: wall time from navigation to ``ready``, measured from Python.
        screenshot: path of the PNG, when one was asked for.
        brush: what :func:`drag_brush` saw, when a brush title was given.
        click: what :func:`click_point` saw, when a click title was given.
        inspected: what the ``inspect`` function returned, when one was given.
    """

    state: dict[str, Any]
    marks: dict[str, int]
    svgs: int
    canvases: int
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    load_ms: float = 0.0
    screenshot: Path | None = None
    brush: dict[str, Any] | None = None
    click: dict[str, Any] | None = None
    inspected: Any = None


def find_chromium() -> str | None:
    """Debian's ``chromium`` (or another Chromium/Chrome on PATH), None when absent."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Cdp:
    def __init__(self, ws_url: str) -> None:
        import websocket  # websocket-client

        self._ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            if "method" in msg:
                self.events.append(msg)

    def close(self) -> None:
        self._ws.close()


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if marker.is_file():
            text = marker.read_text().split()
            if text:
                return int(text[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode} before it listened")
        time.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port in time")


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(str(d.get("exception", {}).get("description") or d.get("text")))
        elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(str(p["entry"].get("text")))
    return out


def render_page(page: Path, screenshot: Path | None = None, timeout: float = 120.0,
                width: int = 1400, chromium: str | None = None,
                brush: str | None = None, click: str | None = None,
                inspect: Callable[[Any], Any] | None = None) -> PageRun:
    """Open ``page`` (a local file) in headless Chromium and wait for the report to draw.

    Args:
        page: the HTML file.
        screenshot: where to write a full-page PNG (None: none).
        timeout: seconds to wait for ``__hpoReport.ready`` or an error.
        width: viewport width in CSS pixels.
        chromium: the browser executable (default :func:`find_chromium`).
        brush: after the screenshot, drag a brush over the chart with this title (see
            :func:`drag_brush`).
        click: then click a point of the chart with this title (see :func:`click_point`).
        inspect: then call this with the DevTools connection (a test's own checks: read the
            SVG text, click table headers, type into the filter, take more screenshots);
            its result is ``PageRun.inspected``.
    """
    exe = chromium or find_chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed")
    # the browser's helper processes may still write to the profile as it exits
    with tempfile.TemporaryDirectory(prefix="hpo-chromium-", ignore_cleanup_errors=True) as tmp:
        profile = Path(tmp)
        proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _devtools_port(profile, proc, 60.0)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            ws = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
            cdp = _Cdp(ws)
            try:
                return _run(cdp, page, screenshot, timeout, width, brush, click, inspect)
            finally:
                cdp.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _run(cdp: _Cdp, page: Path, shot_path: Path | None, timeout: float, width: int,
         brush: str | None, click: str | None, inspect: Callable[[Any], Any] | None) -> PageRun:
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.call(f"{domain}.enable")
    cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
             deviceScaleFactor=1, mobile=False)
    t0 = time.perf_counter()
    cdp.call("Page.navigate", url=page.resolve().as_uri())
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        res = cdp.call("Runtime.evaluate", expression="JSON.stringify(window.__hpoReport||null)",
                       returnByValue=True)
        state = json.loads(res.get("result", {}).get("value") or "null") or {}
        if state.get("ready") or state.get("error"):
            break
        time.sleep(0.05)
    load_ms = (time.perf_counter() - t0) * 1000.0
    info = json.loads(cdp.call("Runtime.evaluate", expression=_COUNT_JS,
                               returnByValue=True)["result"]["value"])
    shot = None
    if shot_path is not None:
        cdp.call("Emulation.setDeviceMetricsOverride", width=max(width, info["width"]),
                 height=min(info["height"], 16000), deviceScaleFactor=1, mobile=False)
        data = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        shot_path.write_bytes(base64.b64decode(data["data"]))
        shot = shot_path
    brushed = None
    if brush is not None and state.get("ready"):
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                 deviceScaleFactor=1, mobile=False)
        brushed = drag_brush(cdp, brush)
    clicked = None
    if click is not None and state.get("ready"):
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                 deviceScaleFactor=1, mobile=False)
        clicked = click_point(cdp, click)
    inspected = None
    if inspect is not None and state.get("ready"):
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                 deviceScaleFactor=1, mobile=False)
        inspected = inspect(cdp)
    time.sleep(0.1)
    cdp.call("Runtime.evaluate", expression="1")  # flush pending events
    requests = [e["params"]["request"]["url"] for e in cdp.events
                if e["method"] == "Network.requestWillBeSent"]
    return PageRun(state=info["report"] or state, marks=info["marks"], svgs=info["svgs"],
                   canvases=info["canvases"], console_errors=_errors(cdp.events),
                   requests=requests, load_ms=load_ms, screenshot=shot, brush=brushed,
                   click=clicked, inspected=inspected)


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    run = render_page(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None,
                      brush="Objective over time", click="objective vs")
    print(json.dumps({**run.__dict__, "screenshot": str(run.screenshot)}, indent=1,
                     default=str))
    os._exit(0)
