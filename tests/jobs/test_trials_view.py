"""`hpo trials`: significant digits, start and duration columns, --sort, CSV at full precision."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from hpo_core.cli import main
from hpo_core.jobs.views import format_table, significant

from .helpers import base_doc, dump, write_script


def _row(name: str, value: float | None, x: str, start: str | None, seconds: float | None,
         status: str = "Completed", reason: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"TrainingJobName": name, "TrainingJobStatus": status,
                           "TrainingStartTime": start,
                           "Local": {"TrainingTimeInSeconds": seconds},
                           "TunedHyperParameters": {"x": x, "act": "relu"}}
    if value is not None:
        row["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Maximize", "MetricName": "acc", "Value": value}
    if reason:
        row["FailureReason"] = reason
    return row


ROWS = [
    _row("job-001-aaaaaaaa", 0.91234567890123456, "0.012599210498948731",
         "2026-01-02T03:04:05Z", 142.0),
    _row("job-002-bbbbbbbb", 0.96912345678901234, "0.5", "2026-01-02T03:04:01Z", 9.5),
    _row("job-003-cccccccc", None, "1e-05", "2026-01-02T03:04:09Z", 0.25, "Failed",
         "Traceback (most recent call last):\nValueError: boom"),
    _row("job-004-dddddddd", 0.5, "3", None, None, "InProgress"),
]


def _column(text: str, name: str) -> list[str]:
    """A column of the aligned text table, by header (cells are separated by 2+ spaces)."""
    lines = text.rstrip("\n").splitlines()
    header = re.split(r"\s{2,}", lines[0])
    starts = [lines[0].index(h) for h in header]
    i = header.index(name)
    end = starts[i + 1] if i + 1 < len(starts) else None
    return [line[starts[i]:end].strip() for line in lines[1:]]


def test_significant_digits() -> None:
    assert significant(0.91234567890123456) == "0.912346"
    assert significant("0.012599210498948731") == "0.0125992"
    assert significant("3") == "3" and significant(12) == "12" and significant("relu") == "relu"
    assert significant("1e-05") == "1e-05" and significant(None) == "" and significant(True) \
        == "True"


def test_text_table_has_rounded_numbers_start_and_duration() -> None:
    text = format_table(ROWS, maximize=True)
    header = re.split(r"\s{2,}", text.splitlines()[0])
    assert header == ["TrainingJobName", "Status", "Objective", "x", "act", "Start (UTC)",
                      "Duration", "FailureReason"]
    assert _column(text, "TrainingJobName") == ["job-002-bbbbbbbb", "job-001-aaaaaaaa",
                                                "job-004-dddddddd", "job-003-cccccccc"]
    assert _column(text, "Objective") == ["0.969123", "0.912346", "0.5", ""]  # best first
    assert _column(text, "x") == ["0.5", "0.0125992", "3", "1e-05"]
    assert _column(text, "Start (UTC)") == ["2026-01-02T03:04:01Z", "2026-01-02T03:04:05Z",
                                             "", "2026-01-02T03:04:09Z"]
    assert _column(text, "Duration") == ["9.5 s", "2.37 min", "", "0.25 s"]
    assert _column(text, "FailureReason")[-1] == "Traceback (most recent call last):"
    assert not re.search(r"\d{8,}", text)  # no 17-digit floats


@pytest.mark.parametrize(("sort", "reverse", "first"), [
    ("objective", False, "job-002-bbbbbbbb"), ("name", False, "job-001-aaaaaaaa"),
    ("start", False, "job-002-bbbbbbbb"), ("duration", False, "job-003-cccccccc"),
    ("duration", True, "job-001-aaaaaaaa"), ("x", False, "job-003-cccccccc"),
    ("creation", False, "job-001-aaaaaaaa"), ("status", False, "job-001-aaaaaaaa")])
def test_sort_columns(sort: str, reverse: bool, first: str) -> None:
    text = format_table(ROWS, maximize=True, sort=sort, reverse=reverse)
    assert _column(text, "TrainingJobName")[0] == first
    if sort in ("start", "duration"):  # missing values last, both ways
        assert _column(text, "TrainingJobName")[-1] == "job-004-dddddddd"


def test_minimize_puts_the_lowest_first_and_unknown_columns_are_named() -> None:
    text = format_table(ROWS, maximize=False)
    assert _column(text, "Objective") == ["0.5", "0.912346", "0.969123", ""]
    with pytest.raises(ValueError, match=r"--sort: expected one of objective, name.*, x, act, "
                                         r"got .size."):
        format_table(ROWS, sort="size")


def test_csv_keeps_its_columns_at_full_precision() -> None:
    rows = list(csv.reader(io.StringIO(format_table(ROWS, as_csv=True, maximize=True))))
    assert rows[0] == ["TrainingJobName", "Status", "Objective", "x", "act", "FailureReason"]
    assert rows[1][:4] == ["job-002-bbbbbbbb", "Completed", repr(0.96912345678901234), "0.5"]
    assert float(rows[2][2]) == 0.91234567890123456
    assert rows[2][3] == "0.012599210498948731"


def test_cli_trials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_script(tmp_path)
    assert main(["tune", str(dump(base_doc(max_jobs=4), tmp_path)), "--quiet"]) == 0
    capsys.readouterr()
    folder = tmp_path / "runs" / "job"
    assert main(["trials", str(folder)]) == 0
    text = capsys.readouterr().out
    losses = [float(v) for v in _column(text, "Objective")]
    assert losses == sorted(losses) and len(losses) == 4  # the job minimizes
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s)
               for s in _column(text, "Start (UTC)"))
    assert all(re.fullmatch(r"[\d.]+ (s|min|h)", d) for d in _column(text, "Duration"))
    assert all(len(x.replace("-", "").replace(".", "").lstrip("0")) <= 6
               for x in _column(text, "x"))
    assert main(["trials", str(folder), "--sort", "name"]) == 0
    names = _column(capsys.readouterr().out, "TrainingJobName")
    assert names == sorted(names) and names[0].startswith("job-001-")
    assert main(["trials", str(folder), "--sort", "duration", "--reverse"]) == 0
    capsys.readouterr()
    assert main(["trials", str(folder), "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["TrainingJobName", "Status", "Objective", "x", "FailureReason"]
    assert any(len(r[2]) > 8 for r in rows[1:])  # full precision
    assert main(["trials", str(folder), "--sort", "size"]) == 2
    assert "--sort: expected one of objective" in capsys.readouterr().err
