"""The report of a real small tuning job, rendered in real headless Chromium.

Chromium is Debian's ``chromium`` package (installed by ``.ci/run``). Under CI (``CI`` set)
a missing browser or ``websocket-client`` FAILS this test; locally it is skipped.
Set ``HPO_REPORT_SCREENSHOTS=DIR`` to keep the screenshots (the whole page as drawn, and the
page after the trials table was sorted and filtered).

Besides drawing every chart, the page is checked as a reader uses it: the parallel
coordinates' axes carry parameter values (the SVG text in the DOM), the interaction maps draw,
and the trials table sorts on a click of its header and filters as words are typed (real mouse
and keyboard events over the DevTools protocol).
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hpo_core.analytics import analytics
from hpo_core.report import report

from .chromium import (
    chart_texts,
    click_element,
    find_chromium,
    render_page,
    screenshot,
    table_column,
    type_into,
)
from .helpers import REPORT_PACKAGES, hyperband_run, job_run, need, optimizer_run

need(*REPORT_PACKAGES, "websocket")


def _browser() -> str:
    """The Chromium executable; fail under CI, skip locally when it is not installed."""
    exe = find_chromium()
    if exe is None:
        message = "the browser test needs chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: installing it is .ci/run's job)")
        pytest.skip(message)
    return str(exe)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _keep(shot: Path) -> None:
    folder = os.environ.get("HPO_REPORT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


PARALLEL = "Parallel coordinates (black: best trial)"


def _numbers(cells: list[str]) -> list[float]:
    return [float(c) for c in cells if c != ""]


def _use_the_page(shots: Path, metric: str) -> Callable[[Any], dict[str, Any]]:
    """What a reader does after the charts drew: read the parallel coordinates' ticks and
    the interaction maps, sort the trials table by the objective and by trial, filter it."""
    def inspect(cdp: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"parallel": chart_texts(cdp, PARALLEL)}
        out["first"] = table_column(cdp, metric)
        assert click_element(cdp, "#hpo-trials thead th", metric)
        out["ascending"] = table_column(cdp, metric)
        assert click_element(cdp, "#hpo-trials thead th", metric)
        out["descending"] = table_column(cdp, metric)
        assert click_element(cdp, "#hpo-trials thead th", "trial")
        out["by_trial"] = table_column(cdp, "trial")
        type_into(cdp, "#hpo-trials-filter", "failed")
        out["filtered"] = table_column(cdp, "status")
        screenshot(cdp, shots / "job-report-table.png")
        return out

    return inspect


@pytest.mark.slow
def test_job_report_renders_in_chromium(tmp_path: Path) -> None:
    exe = _browser()
    job = job_run(tmp_path, max_jobs=14)
    page = report(job.directory, tmp_path / "job-report.html")
    df = analytics(job.directory)
    with_objective = int(df["objective"].notna().sum())
    with_curves = int((df["n_reports"] > 0).sum())
    assert with_objective >= 8

    failed = int((df["status"] == "failed").sum())
    run = render_page(page, tmp_path / "job-report.png", chromium=exe,
                      brush="Objective over time", click="loss vs lr",
                      inspect=_use_the_page(tmp_path, "loss"))
    _keep(tmp_path / "job-report.png")
    _keep(tmp_path / "job-report-table.png")

    assert run.console_errors == []
    assert run.state["error"] is None and run.state["ready"] is True
    assert run.requests == [page.resolve().as_uri()], "the page made network requests"
    assert run.svgs == 1 and run.canvases == 0  # one linked SVG view holds every chart
    charts = run.state["charts"]
    # time, distribution, 4 scatters (named after the objective metric), parallel
    # coordinates, 3 interaction maps (pairs of the 3 most important parameters), importance,
    # learning curves (every training job ran all its epochs, so "Resource per trial" is left
    # out)
    pairs = [c for c in charts if c.startswith("Interaction ")]
    assert len(charts) == 12 and len(pairs) == 3
    assert {"loss vs lr", "loss vs depth", "loss vs act", "loss vs momentum"} <= set(charts)
    assert set(run.marks) == set(charts), f"not drawn: {set(charts) - set(run.marks)}"
    minimum = {  # drawn elements each chart must have at least
        "Objective over time (line: best so far)": with_objective + 1,
        "Objective distribution (coloured: brushed trials)": 2,
        PARALLEL: with_objective + 1,
        "Parameter importance": 4,
        "Learning curves (intermediate objective)": with_curves,
    }
    for title in pairs:  # cells of the map, a dot per completed trial, the best's diamond
        minimum[title] = 20 + with_objective + 1
    for title in charts:
        want = minimum.get(title, with_objective + 1)  # scatters: points + the best marker
        assert run.marks[title] >= want, f"{title}: {run.marks[title]} marks, expected >= {want}"

    width, height = _png_size(tmp_path / "job-report.png")
    assert width >= 1200 and height >= 2000
    assert (tmp_path / "job-report.png").stat().st_size > 100_000

    # brushing a time range greys the other trials in every chart
    assert run.brush is not None
    assert run.brush["before"]["grey"] == 0 and run.brush["before"]["coloured"] > 0
    assert run.brush["after"]["grey"] > 0 and run.brush["after"]["coloured"] > 0
    # clicking a point rings that trial in the time chart and every scatter, and draws its
    # line in the parallel coordinates and the learning curves
    assert run.click is not None and run.click["before"] == {"symbols": 0, "lines": 0}
    assert run.click["after"] == {"symbols": 5, "lines": 2}

    seen = run.inspected
    # the parallel coordinates' axes show values: lr's decades (log axis), the categories,
    # depth's integers and the objective's own range, not positions 0..1
    ticks = set(seen["parallel"]["marks"])
    assert {"0.0001", "0.001", "0.01", "0.1"} <= ticks
    assert {"relu", "tanh", "gelu"} <= ticks
    assert {"2", "4", "6", "8", "10", "12"} <= ticks
    assert "lr (log)" in seen["parallel"]["axes"] and "loss" in seen["parallel"]["axes"]
    assert not ticks <= {"0", "0.2", "0.4", "0.5", "0.6", "0.8", "1"}

    # the whole table, best first; a click on the header sorts it, a second click reverses
    values = _numbers(seen["first"]["cells"])
    assert len(seen["first"]["cells"]) == len(df) and values == sorted(values)
    assert seen["ascending"]["sort"] == "ascending"
    assert _numbers(seen["ascending"]["cells"]) == sorted(values)
    assert seen["ascending"]["cells"][-1] == ""  # trials without a value stay last
    assert seen["descending"]["sort"] == "descending"
    assert _numbers(seen["descending"]["cells"]) == sorted(values, reverse=True)
    assert seen["descending"]["cells"][-1] == ""
    names = seen["by_trial"]["cells"]
    assert names == sorted(names) and names[0].startswith("report-job-001-")
    # typing in the filter keeps the rows that contain the words
    assert seen["filtered"]["cells"] == ["failed"] * failed and failed > 0
    assert seen["filtered"]["count"] == f"{failed} of {len(df)} trials shown"


@pytest.mark.slow
def test_ask_tell_report_with_many_trials_renders(tmp_path: Path) -> None:
    exe = _browser()
    opt = optimizer_run(120, 5, epochs=9, fail_every=7)
    page = report(opt, tmp_path / "opt-report.html")
    run = render_page(page, tmp_path / "opt-report.png", chromium=exe)
    _keep(tmp_path / "opt-report.png")
    assert run.console_errors == [] and run.state["ready"] is True
    assert run.requests == [page.resolve().as_uri()]
    assert set(run.marks) == set(run.state["charts"])
    assert all(n > 0 for n in run.marks.values())
    assert run.marks["objective vs lr"] >= 100


@pytest.mark.slow
def test_hyperband_report_draws_resources_and_rungs(tmp_path: Path) -> None:
    exe = _browser()
    opt = hyperband_run(81, 2)
    assert {t.status for t in opt.trials} == {"completed", "stopped"}
    page = report(opt, tmp_path / "hb-report.html")
    run = render_page(page, tmp_path / "hb-report.png", chromium=exe)
    _keep(tmp_path / "hb-report.png")
    assert run.console_errors == [] and run.state["ready"] is True
    assert run.requests == [page.resolve().as_uri()]
    assert run.state["charts"][-2:] == ["Resource per trial", "Rung survival"]
    assert set(run.marks) == set(run.state["charts"])
    assert run.marks["Resource per trial"] >= 81
    assert run.marks["Rung survival"] >= 8  # four bars (rungs 1, 3, 9, 27), four labels
