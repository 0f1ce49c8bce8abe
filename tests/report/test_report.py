"""The report files: self-contained HTML, size, static images, bench page, CLI, importance."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hpo_core.analytics import ReportError, read_run
from hpo_core.cli import main
from hpo_core.report import report
from hpo_core.report.charts import dashboard
from hpo_core.report.data import importance
from hpo_core.tables import RunTable

from .helpers import REPORT_PACKAGES, job_run, need, optimizer_run

need(*REPORT_PACKAGES)

MAX_BYTES = 10 * 1024 * 1024


class _References(HTMLParser):
    """Every URL-bearing attribute of the page, and the tags that load something."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action", "poster") and value:
                self.urls.append((tag, name, value))


def assert_self_contained(text: str) -> None:
    """No script, style sheet, image or frame comes from elsewhere; JS is inline."""
    refs = _References()
    refs.feed(text)
    assert refs.scripts >= 2  # the inlined Vega bundle and the page's own boot script
    assert refs.urls == [], f"the page references outside resources: {refs.urls}"
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", text, re.I)
    # Outside the inlined Vega bundle (the first script: library code that names URLs it could
    # load, never asked to here) the one URL is the specification's "$schema", an identifier
    # that Vega-Embed reads the version from and nothing fetches.
    start = text.index("<script>")
    own = text[:start] + text[text.index("</script>", start):]
    urls = re.findall(r"https?://[^\s\"'<>)]*", own)
    assert all(u.startswith("https://vega.github.io/schema/") for u in urls), urls
    assert len(urls) <= 1


@pytest.fixture(scope="module")
def small_run() -> Any:
    return optimizer_run(40, 7, fail_every=9)


def test_html_report_is_self_contained(tmp_path: Path, small_run: Any) -> None:
    out = report(small_run, tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "vegaEmbed" in text and "time_brush" in text
    assert "Summary" in text and "Best trial" in text and "Budget used" in text


def test_dashboard_has_every_chart_of_the_issue(small_run: Any) -> None:
    _, titles = dashboard(read_run(small_run))
    assert titles == [
        "Objective over time (line: best so far)",
        "Objective distribution (coloured: brushed trials)",
        "objective vs lr", "objective vs depth", "objective vs act", "objective vs momentum",
        "Parallel coordinates (black: best trial)", "Interaction lr \u00d7 depth",
        "Interaction lr \u00d7 momentum", "Interaction depth \u00d7 momentum",
        "Parameter importance", "Learning curves (intermediate objective)",
        "Resource per trial"]


def test_scatter_axes_follow_the_parameter_types(small_run: Any) -> None:
    chart, _ = dashboard(read_run(small_run))
    spec = json.dumps(chart.to_dict())
    assert '"title": "lr (log)"' in spec and '"type": "log"' in spec
    assert "labelExpr" in spec and "p2i" in spec  # the categorical strip: jittered, labelled


def test_rung_survival_appears_with_hyperband_options(small_run: Any) -> None:
    run = read_run(small_run)
    run.options = {"min_resource": 1, "max_resource": 9, "eta": 3}
    _, titles = dashboard(run)
    assert titles[-1] == "Rung survival"


def test_a_500_trial_report_stays_under_10_mb(tmp_path: Path) -> None:
    opt = optimizer_run(500, 3, epochs=27, fail_every=13, pending=3)
    t0 = time.perf_counter()
    out = report(opt, tmp_path / "big.html")
    size = out.stat().st_size
    print(f"500-trial report: {size / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s")
    assert size < MAX_BYTES
    assert_self_contained(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_static_images(tmp_path: Path, small_run: Any, fmt: str) -> None:
    out = report(small_run, tmp_path / f"r.{fmt}", format=fmt)
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = data.decode("utf-8")
        assert text.startswith("<svg") and "objective vs lr" in text
        assert text.count("<path") > 100


def test_report_of_a_job_directory_and_the_cli(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    job = job_run(tmp_path)
    out = tmp_path / "job.html"
    assert main(["report", str(job.directory), "-o", str(out), "--csv",
                 str(tmp_path / "t.csv")]) == 0
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "report-job" in text and "loss vs lr" in text
    assert "of 8" in text  # budget used: trials of MaxNumberOfTrainingJobs
    assert (tmp_path / "t.csv").read_text().startswith("trial_id,name,definition,status")
    assert "wrote" in capsys.readouterr().out


def test_cli_reports_a_saved_optimizer_as_png_by_suffix(tmp_path: Path, small_run: Any) -> None:
    small_run.save(tmp_path / "opt.json")
    assert main(["report", str(tmp_path / "opt.json"), "-o", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "r.html")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_format_and_missing_folder(tmp_path: Path, small_run: Any) -> None:
    with pytest.raises(ReportError, match="format"):
        report(small_run, tmp_path / "r.pdf", format="pdf")
    with pytest.raises(ReportError, match="does not exist"):
        report(small_run, tmp_path / "nope" / "r.html")


def _bench_doc() -> dict[str, Any]:
    runs = []
    for strategy, offset in (("random", 1.0), ("grid", 0.5)):
        for seed in range(4):
            values = [offset + 10.0 / (i + 1) + seed * 0.1 for i in range(12)]
            best = [min(values[:i + 1]) for i in range(12)]
            runs.append({"problem": "branin", "strategy": strategy, "seed": seed,
                         "budget": 12, "status": "ok", "n_trials": 12, "values": values,
                         "best_so_far": best, "f_star": 0.5, "regret_final": best[-1] - 0.5,
                         "ask_seconds": [1e-4] * 12, "tell_seconds": [1e-5] * 12})
    return {"format": "hpo_core.bench", "version": 1, "created": "2026-11-23T00:00:00+00:00",
            "command": ["hpo", "bench"], "environment": {}, "config": {"budget": 12},
            "problems": {"branin": {"f_star": 0.5}}, "runs": runs, "skipped": []}


def test_bench_report_draws_median_and_band(tmp_path: Path) -> None:
    from hpo_core.report.bench import regret_rows

    doc = _bench_doc()
    rows = [r for r in regret_rows(doc) if r["strategy"] == "grid"]
    assert [r["trial"] for r in rows] == list(range(1, 13))
    assert rows[-1]["median"] == pytest.approx(10 / 12 + 0.15)
    assert rows[-1]["q25"] <= rows[-1]["median"] <= rows[-1]["q75"]
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(doc))
    out = report(path, tmp_path / "bench.html")
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "branin: regret (median, IQR band)" in text and "median regret" in text
    assert "2026-11-23T00:00:00Z" in text  # the report's one time format
    assert report(path, tmp_path / "bench.svg", format="svg").read_bytes().startswith(b"<svg")


def _run(params: dict[str, Any], values: list[float]) -> RunTable:
    from hpo_core.space import Categorical, Continuous, Param

    trials: list[dict[str, Any]] = [
        {"id": i, "name": None, "definition": None, "status": "completed", "value": v,
         "reason": None, "start": float(i), "end": i + 0.5, "resource": None, "reports": [],
         "metrics": {}, "objective_metric": "objective",
         "params": {k: p[i] for k, p in params.items()}}
        for i, v in enumerate(values)]
    specs: dict[str, Param] = {"x": Continuous(0.0, 1.0), "noise": Continuous(0.0, 1.0),
             "c": Categorical(["a", "b", "c"])}
    return RunTable(trials=trials, params={k: specs[k] for k in params},
                    objective="minimize", strategy="random")


def test_importance_finds_the_parameter_that_matters() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    n = 120
    x, noise = rng.random(n), rng.random(n)
    c = rng.choice(["a", "b", "c"], n)
    y = (x - 0.5) ** 2 + np.where(c == "b", 0.05, 0.0) + 0.001 * rng.random(n)  # U-shaped in x
    got = {r["parameter"]: r["importance"] for r in importance(
        _run({"x": list(x), "noise": list(noise), "c": list(c)}, list(y)))}
    assert got["x"] > 0.6
    assert got["noise"] < 0.1
    assert got["x"] > got["c"] > got["noise"]
    assert importance(_run({"x": [0.1] * 5}, [1.0] * 5)) == []  # too few trials


def test_resource_chart_is_left_out_when_every_trial_used_the_same() -> None:
    _, titles = dashboard(read_run(optimizer_run(12, 1, pending=0)))
    assert "Resource per trial" not in titles and "Rung survival" not in titles
    assert "Learning curves (intermediate objective)" in titles


def test_reports_of_runs_without_results(tmp_path: Path) -> None:
    from hpo_core import Optimizer

    from .helpers import SPACE

    empty = Optimizer(SPACE, "random", seed=1)
    failed = Optimizer(SPACE, "random", seed=1)
    for _ in range(3):
        failed.tell(failed.ask(), failed=True, reason="Traceback ...\nValueError: boom")
    for name, opt in (("empty", empty), ("failed", failed)):
        text = report(opt, tmp_path / f"{name}.html").read_text(encoding="utf-8")
        assert "No trial has an objective value yet" in text
        assert report(opt, tmp_path / f"{name}.svg", format="svg").stat().st_size > 0
    text = (tmp_path / "failed.html").read_text(encoding="utf-8")
    assert "<h2>Failures</h2>" in text and "Traceback ..." in text and ">3<" in text


def test_rungs_of_a_real_hyperband_run() -> None:
    from hpo_core import Optimizer
    from hpo_core.report.data import rung_rows
    from hpo_core.space import SearchSpace, Static

    from .helpers import SPACE, loss

    space = SearchSpace({**SPACE.params, "epochs": Static(9)})
    opt = Optimizer(space, "hyperband", seed=3, max_resource="epochs", eta=3)
    for _ in range(40):
        t = opt.ask()
        for epoch in range(t.last_step + 1, 10):
            if opt.report(t, epoch, loss(t.params, epoch)) == "stop":
                break
        if t.status == "pending":
            opt.tell(t, loss(t.params, 9))
    run = read_run(opt)
    rungs = rung_rows(run)
    assert [r["rung"] for r in rungs] == [1, 3, 9]
    counts = [r["trials"] for r in rungs]
    assert counts[0] == 40 and counts[0] >= counts[1] >= counts[2] > 0
    assert {t.status for t in opt.trials} == {"completed", "stopped"}
    _, titles = dashboard(run)
    assert titles[-2:] == ["Resource per trial", "Rung survival"]
