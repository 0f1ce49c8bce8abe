"""Visual reports: one self-contained, offline HTML page (or a PNG/SVG image) per run.

    from hpo_core.report import report
    report(opt, "report.html")                   # an Optimizer, a saved file, a job directory
    report("runs/my-job", "report.png", format="png")
    report("bench.json", "bench.html")           # `hpo bench` results: regret curves

Charts are Vega-Lite specifications built with Altair; the HTML page inlines the Vega
JavaScript (no CDN, works offline), and PNG/SVG images are drawn by vl-convert without a
browser. Modules: :func:`hpo_core.analytics.read_run` (sources -> run table), :mod:`.data` (chart
tables, importance, rungs, summary), :mod:`.ticks` (value ticks of unit-cube axes),
:mod:`.interactions` (objective maps over pairs of parameters), :mod:`.charts` (the linked
charts), :mod:`.trials_table` (every trial, sortable and filterable), :mod:`.page` and
:mod:`.bench` (the two pages), :mod:`.html` (page assembly, width fitting, images).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_core.analytics import read_run
from hpo_core.errors import ReportError
from hpo_core.report.bench import bench_chart, bench_page, read_bench
from hpo_core.report.html import static_image
from hpo_core.report.page import run_chart, run_page
from hpo_core.tables import read_json

__all__ = ["FORMATS", "report"]

#: Output formats of :func:`report`.
FORMATS = ("html", "png", "svg")


def _is_bench(source: Any) -> bool:
    if isinstance(source, dict):
        return source.get("format") == "hpo_core.bench"
    if not isinstance(source, str | os.PathLike) or not Path(source).is_file():
        return False
    return read_json(Path(source)).get("format") == "hpo_core.bench"


def report(source: Any, path: str | os.PathLike[str], format: str = "html") -> Path:
    """Write the report of ``source`` to ``path``.

    Args:
        source: an Optimizer, a TuningJob, a saved Optimizer file, a job directory, a
            :class:`~hpo_core.tables.RunTable`, or an ``hpo bench`` results file (or its
            parsed dict).
        path: the file to write (its folder must exist).
        format: ``"html"`` (interactive, self-contained), ``"png"`` or ``"svg"`` (static).

    Returns:
        The path written.

    Raises:
        ReportError: an unreadable source or an unknown format.
        ReportDependencyError: a package of the ``report`` extra is missing.
    """
    if format not in FORMATS:
        raise ReportError(f"format: expected one of {', '.join(FORMATS)}, got {format!r}")
    out = Path(path)
    if not out.parent.is_dir():
        raise ReportError(f"{out}: the folder {out.parent} does not exist")
    if _is_bench(source):
        doc = read_bench(source)
        if format == "html":
            return _write(out, bench_page(doc).encode("utf-8"))
        chart = bench_chart(doc)
    else:
        run = read_run(source)
        if format == "html":
            return _write(out, run_page(run).encode("utf-8"))
        chart, _ = run_chart(run)
    return _write(out, static_image(chart, format))


def _write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"{path}: cannot write the report: {e}") from e
    return path
