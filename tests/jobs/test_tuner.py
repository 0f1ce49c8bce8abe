"""TuningJob orchestration end to end, with real training subprocesses (and the in-process
backend where only the tuner's own logic is under test)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.cli import main
from hpo_core.errors import JobStateError
from hpo_core.jobs.store import Store
from hpo_core.jobs.tuning_job import TuningJob
from hpo_core.space import Continuous, SearchSpace, Static
from tests.jobs.helpers import base_doc, dump, with_change, write_script

C = "HyperParameterTuningJobConfig"


def _grid(values: list[str], **config: Any) -> dict[str, Any]:
    """Grid over a categorical ``x`` (tried in order, one at a time): loss = float(x)."""
    doc = base_doc(max_jobs=len(values), parallel=1, **config)
    doc[C]["Strategy"] = "Grid"
    doc[C]["ParameterRanges"] = {"CategoricalParameterRanges": [{"Name": "x",
                                                                  "Values": values}]}
    return doc


def _loss_is_x(ctx: Any) -> float:
    return float(ctx.hyperparameters["x"])


def test_runs_to_max_jobs_and_respects_the_parallel_limit(tmp_path: Path) -> None:
    write_script(tmp_path)
    doc = with_change(base_doc(max_jobs=7, parallel=3), "TrainingJobDefinition."
                      "StaticHyperParameters", {"epochs": "2", "sleep": "0.1"})
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    result = job.run()
    assert result["HyperParameterTuningJobStatus"] == "Completed"
    assert result["TrainingJobStatusCounters"]["Completed"] == 7
    store = Store(job.directory)
    rows = store.trials()
    store.close()
    events = sorted([(r["started"], 1) for r in rows] + [(r["ended"], -1) for r in rows])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 3  # used, never exceeded
    best = result["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(
        r["value"] for r in rows)
    assert set(best["TunedHyperParameters"]) == {"x"}  # statics are not tuned
    summaries = job.trials()
    assert [s["TrainingJobName"] for s in summaries] == [r["name"] for r in rows]
    assert all(s["TrainingJobName"].startswith("job-00") for s in summaries)
    # intermediate points: one per epoch, the last is the final value
    store = Store(job.directory)
    curve = store.metrics(rows[0]["id"])["loss"]
    store.close()
    assert [step for step, _ in curve] == [1, 2] and curve[-1][1] == rows[0]["value"]


@pytest.mark.parametrize(("criteria", "values", "n_run", "reason"), [
    ({"TargetObjectiveMetricValue": 3.0}, ["5", "4", "3", "2", "1"], 3,
     "TargetObjectiveMetricValue"),
    ({"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}},
     ["2", "1", "3", "4", "5", "0"], 5, "BestObjectiveNotImproving"),
    ({"ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}},
     [f"{1 - i * 1e-4:.4f}" for i in range(14)], 11, "ConvergenceDetected"),
])
def test_completion_criteria_end_the_job(tmp_path: Path, criteria: dict[str, Any],
                                         values: list[str], n_run: int, reason: str) -> None:
    doc = _grid(values, TuningJobCompletionCriteria=criteria)
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_loss_is_x)
    result = job.run()
    assert result["HyperParameterTuningJobStatus"] == "Completed"
    assert reason in result["Local"]["CompletionReason"]
    assert len(job.trials()) == n_run
    if reason == "ConvergenceDetected":
        assert "ConvergenceDetectedTime" in result["TuningJobCompletionDetails"]


def test_completion_stops_running_jobs(tmp_path: Path) -> None:
    write_script(tmp_path, """
    import json, os, signal, sys, time
    hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
    def bye(*_):
        print("loss=-100", flush=True)    # during the grace period: logged, not reported
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    if hp["x"] != "0":
        print("loss=" + hp["x"], flush=True)
        time.sleep(30)
    print("loss=" + hp["x"])
    """)
    doc = _grid(["1", "0", "2"], TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 0.0})
    doc[C]["ResourceLimits"]["MaxParallelTrainingJobs"] = 2
    t0 = time.monotonic()
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    result = job.run()
    assert time.monotonic() - t0 < 25
    assert "TargetObjectiveMetricValue" in result["Local"]["CompletionReason"]
    trials = {t["TunedHyperParameters"]["x"]: t for t in job.trials()}
    assert {x: t["TrainingJobStatus"] for x, t in trials.items()} == {
        "1": "Stopped", "0": "Completed"}  # "2" was never created
    assert "loss=-100" in Path(trials["1"]["Local"]["LogPath"]).read_text()
    store = Store(job.directory)
    stopped = store.trial_by_name(trials["1"]["TrainingJobName"])
    points = store.metrics(stopped["id"]).get("loss", [])
    assert points in ([], [(1, 1.0)])  # never the line printed after SIGTERM
    store.close()
    assert result["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"][
        "Value"] == 0.0


def test_regex_failures_and_failure_reasons(tmp_path: Path) -> None:
    write_script(tmp_path, """
    import json, os, sys
    hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
    x = hp["x"]
    if x == "a":
        print("loss=0.5")
        print("loss=0.25")           # last match wins
    elif x == "b":
        print("accuracy=1")          # the objective never matches
    elif x == "c":
        print("loss=oops")           # non-numeric capture
    else:
        root = os.path.dirname(os.environ["SM_MODEL_DIR"])
        open(os.path.join(root, "output", "failure"), "w").write("custom failure text")
        sys.exit(1)
    """)
    doc = _grid(["a", "b", "c", "d"])
    doc["TrainingJobDefinition"]["AlgorithmSpecification"] = {
        "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}]}
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    job.run()
    by_x = {t["TunedHyperParameters"]["x"]: t for t in job.trials()}
    assert by_x["a"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.25
    assert "never found" in by_x["b"]["FailureReason"]
    assert "'oops'" in by_x["c"]["FailureReason"]
    assert by_x["d"]["FailureReason"] == "custom failure text"
    assert [by_x[x]["TrainingJobStatus"] for x in "bcd"] == ["Failed"] * 3


def test_retry_strategy_reruns_retryable_failures(tmp_path: Path) -> None:
    write_script(tmp_path, """
    import os
    from hpo_core import training
    marker = os.path.join(os.environ["SM_CHECKPOINT_DIR"], "tried")
    if not os.path.exists(marker):
        open(marker, "w").close()          # checkpoints/ survives the retry
        training.fail("RetryableError: transient")
    training.report(loss=1.0)
    """)
    doc = _grid(["a", "b"])
    doc["TrainingJobDefinition"]["RetryStrategy"] = {"MaximumRetryAttempts": 1}
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    result = job.run()
    assert result["TrainingJobStatusCounters"]["Completed"] == 2
    assert result["TrainingJobStatusCounters"]["RetryableError"] == 2
    assert [t["Local"]["Attempts"] for t in job.trials()] == [2, 2]
    log = Path(job.trials()[0]["Local"]["LogPath"]).read_text()
    assert "attempt 1" in log and "attempt 2" in log
    # without a RetryStrategy the same failure is final
    doc["TrainingJobDefinition"].pop("RetryStrategy")
    doc["HyperParameterTuningJobName"] = "no-retry"
    (tmp_path / "x").mkdir()
    write_script(tmp_path / "x", (tmp_path / "train.py").read_text())
    job = TuningJob.from_dict(doc, base_dir=tmp_path / "x")
    assert job.run()["HyperParameterTuningJobStatus"] == "Failed"


def test_all_failed_job_fails_and_cli_exit_code(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    write_script(tmp_path, "import sys\nsys.exit(4)\n")
    file = dump(_grid(["a", "b"]), tmp_path)
    assert main(["tune", str(file), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "Failed" in out and "no training job completed" in out


def test_command_not_found_fails_the_job(tmp_path: Path) -> None:
    doc = with_change(_grid(["a", "b"]), "Local.Command", ["no-such-binary-xyz"])
    result = TuningJob.from_dict(doc, base_dir=tmp_path).run()
    assert result["HyperParameterTuningJobStatus"] == "Failed"
    assert "no-such-binary-xyz" in result["FailureReason"]


def test_training_job_timeout_through_the_tuner(tmp_path: Path) -> None:
    write_script(tmp_path, "import time\nprint('loss=1', flush=True)\ntime.sleep(60)\n")
    doc = _grid(["a"])
    doc["TrainingJobDefinition"]["StoppingCondition"] = {"MaxRuntimeInSeconds": 1}
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    from hpo_core.adapters.local import LocalBackend

    job._backend = LocalBackend(grace_s=0.5)
    job.run()
    assert job.trials()[0]["FailureReason"].startswith("MaxRuntimeExceeded")


def test_second_tuner_refuses_and_other_document_refused(tmp_path: Path) -> None:
    write_script(tmp_path)
    job = TuningJob.from_dict(base_doc(max_jobs=2), base_dir=tmp_path)
    holder = Store(job.directory, create=True)
    holder.lock()
    with pytest.raises(JobStateError, match="another tuner is running this job"):
        TuningJob.from_dict(base_doc(max_jobs=2), base_dir=tmp_path).run()
    holder.close()
    job.run()
    other = with_change(base_doc(max_jobs=3), f"{C}.RandomSeed", 8)
    with pytest.raises(JobStateError, match=r"different job document.*RandomSeed"):
        TuningJob.from_dict(other, base_dir=tmp_path).run()
    again = TuningJob.from_dict(base_doc(max_jobs=2), base_dir=tmp_path).run()  # finished
    assert again["TrainingJobStatusCounters"]["Completed"] == 2


def test_python_api_with_search_space_objects(tmp_path: Path) -> None:
    write_script(tmp_path)
    space = SearchSpace({"x": Continuous(-2.0, 3.0), "epochs": Static(2)})
    job = TuningJob("from-python", space, metric="loss", objective="Minimize",
                    command=[sys.executable, "train.py"], max_jobs=3, max_parallel=3, seed=1,
                    base_dir=tmp_path)
    result = job.run()
    assert result["TrainingJobStatusCounters"]["Completed"] == 3
    assert job.trials()[0]["TunedHyperParameters"].keys() == {"x"}


def test_cli_views(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_script(tmp_path)
    file = dump(base_doc(max_jobs=3), tmp_path)
    assert main(["tune", str(file), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "best training job: job-00" in out and "  x = " in out
    folder = tmp_path / "runs" / "job"
    assert main(["describe", str(folder)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert main(["trials", str(folder), "--csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("TrainingJobName,Status,Objective,x") and len(rows) == 4
    values = [float(r.split(",")[2]) for r in rows[1:]]
    assert values == sorted(values)  # minimize: best first
    assert main(["list", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:4] == ["job", "Completed", "3", "3"]
    name = described["BestTrainingJob"]["TrainingJobName"]
    assert main(["logs", str(folder), name]) == 0
    assert "loss=" in capsys.readouterr().out
    assert main(["logs", str(folder), "nope"]) == 2
    assert "no training job named 'nope'" in capsys.readouterr().err
    assert main(["describe", str(tmp_path)]) == 2
    assert "not a job directory" in capsys.readouterr().err


def _tuner_with_two_running_jobs(tmp_path: Path, max_jobs: int
                                  ) -> tuple[subprocess.Popen[bytes], Path, list[int]]:
    """``hpo tune`` in a subprocess, once two of its (sleeping) training jobs run; their
    pids."""
    write_script(tmp_path, """
    import os, time
    open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "pid"), "w").write(str(os.getpid()))
    print("loss=1", flush=True)
    time.sleep(60)
    """)
    file = dump(base_doc(max_jobs=max_jobs, parallel=2), tmp_path)
    tuner = subprocess.Popen([sys.executable, "-m", "hpo_core.cli", "tune", str(file),
                              "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    folder = tmp_path / "runs" / "job"
    deadline = time.monotonic() + 30
    while len(pids := list(folder.glob("training-jobs/*/output/data/pid"))) < 2:
        assert time.monotonic() < deadline and tuner.poll() is None
        time.sleep(0.05)
    time.sleep(0.1)  # the pid is written: let the file be complete
    return tuner, folder, [int(p.read_text()) for p in pids]


def test_hpo_stop_stops_a_running_tuner(tmp_path: Path) -> None:
    tuner, folder, _ = _tuner_with_two_running_jobs(tmp_path, max_jobs=4)
    assert main(["stop", str(folder)]) == 0
    _, err = tuner.communicate(timeout=60)
    assert tuner.returncode == 0, err
    job = TuningJob.open(folder)
    assert job.describe()["HyperParameterTuningJobStatus"] == "Stopped"
    assert {t["TrainingJobStatus"] for t in job.trials()} == {"Stopped"}


def _slow(ctx: Any) -> float:
    time.sleep(0.2)
    return float(ctx.hyperparameters["x"])


def test_max_runtime_of_the_tuning_job(tmp_path: Path) -> None:
    doc = base_doc(max_jobs=100, parallel=1)
    doc[C]["ResourceLimits"]["MaxRuntimeInSeconds"] = 1
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_slow)
    result = job.run()
    assert result["HyperParameterTuningJobStatus"] == "Completed"
    assert "MaxRuntimeInSeconds=1 reached" in result["Local"]["CompletionReason"]
    assert 2 <= len(job.trials()) <= 8


def test_store_records_every_transition_in_order(tmp_path: Path) -> None:
    doc = _grid(["1", "2"])
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_loss_is_x)
    job.run()
    store = Store(job.directory)
    try:
        mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
        events = [(e["trial_id"], e["event"]) for e in store.events()
                  if e["event"] in ("created", "started", "completed")]
    finally:
        store.close()
    assert mode == "wal"
    for tid in (0, 1):
        mine = [ev for t, ev in events if t == tid]
        assert mine == ["created", "started", "completed"]


def _curve(ctx: Any) -> None:
    """Loss curve 10 steps long; x > 0.5 is a bad curve. Returns early when told to stop."""
    x = float(ctx.hyperparameters["x"])
    for step in range(1, 11):
        if ctx.should_stop:
            return
        ctx.report(loss=(10.0 if x > 0.5 else 1.0) + 1.0 / step)
        time.sleep(0.01)


def test_early_stopping_auto_stops_bad_curves(tmp_path: Path) -> None:
    """``TrainingJobEarlyStoppingType: Auto`` (AMT's median rule in the Optimizer): bad
    curves are stopped, their value is their last report."""
    doc = _grid([f"{v:.1f}" for v in (0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7)],
                TrainingJobEarlyStoppingType="Auto")
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_curve)
    result = job.run()
    trials = {t["TunedHyperParameters"]["x"]: t for t in job.trials()}
    assert all(trials[x]["TrainingJobStatus"] == "Completed" for x in ("0.1", "0.2", "0.3"))
    stopped = [t for t in trials.values() if t["TrainingJobStatus"] == "Stopped"]
    assert stopped, result
    store = Store(job.directory)
    try:
        for t in stopped:
            row = store.trial_by_name(t["TrainingJobName"])
            steps = store.metrics(row["id"])["loss"]
            assert row["stopped_by"] == "early stopping" and len(steps) < 10
            assert row["value"] == steps[-1][1]  # the last report
    finally:
        store.close()
    assert result["BestTrainingJob"]["TunedHyperParameters"]["x"] in ("0.1", "0.2", "0.3",
                                                                      "0.4")


def test_sigterm_to_hpo_tune_kills_jobs_and_leaves_a_resumable_job(tmp_path: Path) -> None:
    tuner, folder, pids = _tuner_with_two_running_jobs(tmp_path, max_jobs=2)
    tuner.terminate()
    _, err = tuner.communicate(timeout=30)
    assert tuner.returncode == 130 and b"interrupted" in err
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    job = TuningJob.open(folder)
    assert job.describe()["HyperParameterTuningJobStatus"] == "InProgress"
    assert {t["TrainingJobStatus"] for t in job.trials()} == {"InProgress"}  # re-queued later


def test_abort_stops_the_rest_of_the_batch(tmp_path: Path) -> None:
    doc = with_change(base_doc(max_jobs=6, parallel=3), "Local.Command", ["no-such-binary-xyz"])
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    result = job.run()
    assert result["HyperParameterTuningJobStatus"] == "Failed"
    statuses = [t["TrainingJobStatus"] for t in job.trials()]
    assert statuses[0] == "Failed" and set(statuses[1:]) <= {"Stopped"}
    assert len(statuses) <= 3


def test_hyperband_stops_jobs_and_ends_full_ones_at_max_resource(tmp_path: Path) -> None:
    doc = base_doc(max_jobs=12, parallel=2)
    doc[C]["Strategy"] = "Hyperband"
    doc[C]["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1,
                                                            "MaxResource": 9}}
    doc[C]["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] = "0"
    doc[C]["ParameterRanges"]["ContinuousParameterRanges"][0]["MaxValue"] = "1"
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_curve)  # 10 steps
    result = job.run()
    rows = job.trials()
    statuses = [t["TrainingJobStatus"] for t in rows]
    assert "Stopped" in statuses and "Completed" in statuses, statuses
    store = Store(job.directory)
    try:
        for t in rows:
            steps = store.metrics(store.trial_by_name(t["TrainingJobName"])["id"])["loss"]
            assert len(steps) <= 9  # never reported past MaxResource
            if t["TrainingJobStatus"] == "Completed":
                assert len(steps) == 9
    finally:
        store.close()
    assert result["HyperParameterTuningJobStatus"] == "Completed"
