"""Hostile training-job output through ``hpo tune``: catastrophic regexes, values that do not fit
a float, huge lines. The tuner never hangs or crashes; the metric concerned fails or is skipped
with a reason naming it; the log keeps every byte."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.benchmarks.log_memory import measure
from hpo_core.cli import main
from hpo_core.jobs.store import Store
from tests.jobs.helpers import base_doc, dump, write_script

EVIL_LINE = 'print("a" * 100000 + "!", flush=True)\n'


def _doc(metrics: list[dict[str, str]], max_jobs: int = 1, **limits: Any) -> dict[str, Any]:
    doc = base_doc(max_jobs=max_jobs, parallel=1)
    doc["HyperParameterTuningJobConfig"]["ResourceLimits"].update(limits)
    doc["TrainingJobDefinition"]["AlgorithmSpecification"] = {
        "TrainingInputMode": "File", "MetricDefinitions": metrics}
    doc["TrainingJobDefinition"]["StoppingCondition"] = {"MaxRuntimeInSeconds": 60}
    return doc


def _tune(tmp_path: Path, script: str, doc: dict[str, Any],
          capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, Store]:
    write_script(tmp_path, script)
    file = dump(doc, tmp_path)
    rc = main(["tune", str(file)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    return rc, out, err, Store(tmp_path / "runs" / "job")


LOSS = {"Name": "loss", "Regex": r"loss=([0-9.]+)"}


def test_catastrophic_regex_of_the_issue_ends_within_max_runtime(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc([LOSS, {"Name": "evil", "Regex": r"(a+)+$"}], MaxRuntimeInSeconds=30)
    start = time.monotonic()
    rc, out, _, store = _tune(tmp_path, EVIL_LINE + 'print("loss=0.5")\n', doc, capsys)
    assert time.monotonic() - start < 30
    assert rc == 0 and "loss=0.5" in out
    assert [t["value"] for t in store.trials()] == [0.5]
    store.close()


def test_catastrophic_regex_re2_cannot_run_is_dropped_with_a_note_and_the_job_goes_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = r"(?=a)(a+)+$"
    doc = _doc([LOSS, {"Name": "evil", "Regex": evil}], max_jobs=2, MaxRuntimeInSeconds=60)
    rc, _, err, store = _tune(tmp_path, EVIL_LINE * 3 + 'print("loss=0.5")\n', doc, capsys)
    assert rc == 0
    assert [t["value"] for t in store.trials()] == [0.5, 0.5]
    notes = [e for e in store.events() if e["event"] == "metric_note"]
    assert len(notes) == 2  # once per training job, not once per line
    assert all(evil in e["detail"] and e["detail"].startswith("evil: regex") for e in notes)
    assert f"metric 'evil': regex {evil!r}" in err
    store.close()


def test_catastrophic_objective_regex_fails_its_training_jobs_and_the_tuner_ends(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = r"(?=a)(a+)+$|loss=([0-9.]+)"
    doc = _doc([{"Name": "loss", "Regex": evil}], max_jobs=2)
    rc, out, _, store = _tune(tmp_path, EVIL_LINE + 'print("loss=0.5")\n', doc, capsys)
    assert rc == 1 and "Failed" in out  # the documented exit code of a Failed job
    reasons = [t["reason"] for t in store.trials()]
    assert len(reasons) == 2 and all(
        r.startswith(f"objective metric 'loss': regex {evil!r}") for r in reasons)
    store.close()


def test_a_400_digit_objective_fails_its_training_job_once_and_is_not_rerun(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = 'print(\'{"loss": 1' + "0" * 400 + '}\', flush=True)\n'
    rc, _, _, store = _tune(tmp_path, script, _doc([LOSS]), capsys)
    assert rc == 1
    [trial] = store.trials()
    assert trial["status"] == "Failed" and store.get("status") == "Failed"
    assert "an integer of about 401 digits, which is beyond the float range" in trial["reason"]
    store.close()
    log = Path(trial["log_path"]).read_bytes()
    assert main(["tune", str(tmp_path / "job.json"), "--quiet"]) == 1  # already ended
    assert Path(trial["log_path"]).read_bytes() == log  # not run again


def test_values_beyond_float_in_other_metrics_are_skipped_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = ('print(\'{"acc": 1' + "0" * 400 + ', "loss": 0.25}\')\n'
              'print("acc=1e999 loss=0.5")\nprint("acc=inf")\n')
    doc = _doc([LOSS, {"Name": "acc", "Regex": r"acc=(\S+)"}])
    rc, _, _, store = _tune(tmp_path, script, doc, capsys)
    assert rc == 0
    [trial] = store.trials()
    assert trial["value"] == 0.5 and trial["final_metrics"] == {"loss": 0.5}
    [note] = [e["detail"] for e in store.events() if e["event"] == "metric_note"]
    assert note.startswith("acc: captured an integer of about 401 digits")
    store.close()


def test_a_huge_line_is_logged_whole_and_the_next_line_is_scraped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = ("import sys\nsys.stdout.write('loss=0.75' + 'x' * 5_000_000)\n"
              "sys.stdout.write('\\nloss=0.5\\n')\n")
    rc, _, _, store = _tune(tmp_path, script, _doc([LOSS]), capsys)
    assert rc == 0
    [trial] = store.trials()
    assert trial["value"] == 0.5  # the huge line's own match counted as the first step
    assert store.metrics(trial["id"])["loss"] == [(1, 0.75), (2, 0.5)]
    assert len(Path(trial["log_path"]).read_bytes()) > 5_000_000
    store.close()


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "mb"), [("one-line", 60), ("lines", 20)])
def test_tuner_memory_does_not_grow_with_the_log(tmp_path: Path, mode: str, mb: int) -> None:
    """The issue's figures at a smaller size (the benchmark's full run:
    ``python -m hpo_core.benchmarks.log_memory --mb 200``)."""
    base = measure("baseline", 0, 40, tmp_path)
    result = measure(mode, mb, 40, tmp_path)
    assert base["ok"] and result["ok"], json.dumps(result)
    assert result["log_mb"] >= mb
    assert result["peak_rss_mb"] - base["peak_rss_mb"] < 40, (base, result)


def test_back_pressure_loses_no_step_and_never_deadlocks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo_core.jobs import engine
    from hpo_core.jobs.feed import Feed

    monkeypatch.setattr(engine, "Feed", lambda: Feed(bound=4))  # readers wait all the time
    script = "import sys\nfor i in range(5000):\n    print(f'loss={i}')\nprint('loss=0.5')\n"
    rc, _, _, store = _tune(tmp_path, script, _doc([LOSS], max_jobs=2), capsys)
    assert rc == 0
    for trial in store.trials():
        steps = store.metrics(trial["id"])["loss"]
        assert len(steps) == 5001 and steps[-1] == (5001, 0.5) and trial["value"] == 0.5
        assert Path(trial["log_path"]).read_text().count("loss=") == 5001
    store.close()
