"""The report of a real small tuning job, rendered in real headless Chromium.

Chromium is Debian's ``chromium`` package (installed by ``.ci/run``). Under CI (``CI`` set)
a missing browser or ``websocket-client`` FAILS this test; locally it is skipped.
Set ``HPO_REPORT_SCREENSHOTS=DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from hpo_core.analytics import analytics
from hpo_core.report import report

from .chromium import find_chromium, render_page
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


@pytest.mark.slow
def test_job_report_renders_in_chromium(tmp_path: Path) -> None:
    exe = _browser()
    job = job_run(tmp_path, max_jobs=14)
    page = report(job.directory, tmp_path / "job-report.html")
    df = analytics(job.directory)
    with_objective = int(df["objective"].notna().sum())
    with_curves = int((df["n_reports"] > 0).sum())
    assert with_objective >= 8

    run = render_page(page, tmp_path / "job-report.png", chromium=exe,
                      brush="Objective over time", click="loss vs lr")
    _keep(tmp_path / "job-report.png")

    assert run.console_errors == []
    assert run.state["error"] is None and run.state["ready"] is True
    assert run.requests == [page.resolve().as_uri()], "the page made network requests"
    assert run.svgs == 1 and run.canvases == 0  # one linked SVG view holds every chart
    charts = run.state["charts"]
    # time, distribution, 4 scatters (named after the objective metric), parallel
    # coordinates, importance, learning curves (every training job ran all its epochs, so
    # "Resource per trial" is left out)
    assert len(charts) == 9
    assert {"loss vs lr", "loss vs depth", "loss vs act", "loss vs momentum"} <= set(charts)
    assert set(run.marks) == set(charts), f"not drawn: {set(charts) - set(run.marks)}"
    minimum = {  # drawn elements each chart must have at least
        "Objective over time (line: best so far)": with_objective + 1,
        "Objective distribution (coloured: brushed trials)": 2,
        "Parallel coordinates (black: best trial)": with_objective + 1,
        "Parameter importance": 4,
        "Learning curves (intermediate objective)": with_curves,
    }
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
