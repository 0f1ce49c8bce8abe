"""The report's full trials table, its time formats, and trial numbering as job names write it
(the browser test sorts and filters the table in Chromium)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hpo_core.analytics import read_run
from hpo_core.jobs.views import duration_text
from hpo_core.report import report
from hpo_core.report.charts import dashboard
from hpo_core.report.data import trial_number
from hpo_core.report.trials_table import trials_table_html
from hpo_core.space import Continuous
from hpo_core.tables import RunTable

from .helpers import REPORT_PACKAGES, job_run, need, optimizer_run

need(*REPORT_PACKAGES)

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class _Table(HTMLParser):
    """The header texts, and per row the cells as ``(text, data-v)``."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[str] = []
        self.rows: list[list[tuple[str, str | None]]] = []
        self._cell: list[Any] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ["", dict(attrs).get("data-v")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            if self._in_head:
                self.head.append(self._cell[0])
            else:
                self.rows[-1].append((self._cell[0], self._cell[1]))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0] += data


def _parse(text: str) -> _Table:
    table = _Table()
    table.feed(text)
    return table


def test_every_trial_best_first_with_sort_values() -> None:
    opt = optimizer_run(40, 7, fail_every=9)
    run = read_run(opt)
    table = _parse(trials_table_html(run))
    assert table.head == ["trial", "status", "objective", "lr", "depth", "act", "momentum",
                          "start (UTC)", "duration", "resource used", "failure reason"]
    assert len(table.rows) == 40  # all of them, not a top 10
    values = [float(r[2][1]) for r in table.rows if r[2][1] is not None and r[1][0] ==
              "completed"]
    assert values == sorted(values) and table.rows[0][0][0] == str(opt.best.id)
    failed = [r for r in table.rows if r[1][0] == "failed"]
    assert failed and all(r[-1][0] == "CUDA out of memory" and r[2] == ("", None)
                          for r in failed)
    first = table.rows[0]
    assert _ISO.match(first[7][0]) and float(first[7][1]) > 1e9  # ISO text, epoch sort key
    assert first[8][0].endswith(" s") and float(first[8][1]) >= 0
    assert len(first[3][0].replace(".", "").lstrip("0")) <= 6  # 6 significant digits
    lr = next(t for t in opt.trials if t.id == int(first[0][1])).params["lr"]
    assert float(first[3][1]) == lr  # full precision to sort by
    assert first[5][1] is None  # a categorical sorts by its text


def test_page_has_the_table_and_its_script_and_stays_offline(tmp_path: Path) -> None:
    from .test_report import assert_self_contained

    text = report(optimizer_run(30, 2), tmp_path / "r.html").read_text(encoding="utf-8")
    assert_self_contained(text)
    assert 'id="hpo-trials"' in text and 'id="hpo-trials-filter"' in text
    assert "sortBy" in text and "Top 10 trials" not in text
    assert not re.search(r"https?://", text.split("<script>", 1)[0])  # head and styles
    made = re.search(r"report, made (\S+);", text)
    assert made and _ISO.match(made.group(1))


def test_one_duration_format() -> None:
    assert [duration_text(s) for s in (0.0722, 4.21, 59.96, 142.0, 3599.0, 5400.0, 90000.0)] \
        == ["0.0722 s", "4.21 s", "1 min", "2.37 min", "1 h", "1.5 h", "25 h"]
    assert duration_text(None) == "" and duration_text(None, missing="n/a") == "n/a"


def _resource_spec(run: RunTable) -> dict[str, Any]:
    chart, titles = dashboard(run)
    assert "Resource per trial" in titles
    return dict(chart.to_dict())


def test_resources_are_numbered_as_the_jobs_are_named() -> None:
    trials = []
    for i in range(12):
        steps = 1 + i % 3
        trials.append({"id": i, "name": f"job-{i + 1:03d}-{i:08x}", "definition": "default",
                       "status": "completed", "value": float(i), "reason": None,
                       "start": 1e9 + i, "end": 1e9 + i + 0.5, "resource": None,
                       "reports": [[s, float(i)] for s in range(1, steps + 1)],
                       "metrics": {}, "objective_metric": "loss",
                       "params": {"x": i / 12}})
    run = RunTable(trials=trials, params={"x": Continuous(0.0, 1.0)}, objective="minimize",
                   strategy="Random", metric="loss", kind="job")
    assert [trial_number(t) for t in trials][:3] == ["001", "002", "003"]
    spec = json.dumps(_resource_spec(run))
    assert '"field": "number"' in spec and "training job (number in its name)" in spec
    assert '"number": "001"' in spec and '"number": "012"' in spec
    # ask/tell trials keep their ids (Optimizer.trials counts from 0)
    assert [trial_number(t) for t in read_run(optimizer_run(3, 1)).trials] == ["0", "1", "2"]


def test_a_job_report_names_trials_by_their_jobs(tmp_path: Path) -> None:
    job = job_run(tmp_path)
    text = report(job.directory, tmp_path / "job.html").read_text(encoding="utf-8")
    start = text.index('<table class="grid" id="hpo-trials"')
    table = _parse(text[start:text.index("</table>", start) + len("</table>")])
    names = sorted(r[0][0] for r in table.rows)
    assert names[0].startswith("report-job-001-") and names[-1].startswith("report-job-008-")
    assert all(_ISO.match(r[7][0]) for r in table.rows)
