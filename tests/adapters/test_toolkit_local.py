"""The real sagemaker-training toolkit reads the local backend's job (extra ``sagemaker``;
skipped without it, a failure under CI).

Both ways a SageMaker script runs: directly (its ``Environment()`` reads the job through
``SAGEMAKER_BASE_DIR``) and under the toolkit's own entry point
(``python -m sagemaker_training.cli.train``, as framework containers run it) with a
``sagemaker_program`` user script.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.base import FAILURE_LIMIT, TrainingJobRequest
from hpo_core.adapters.local import LocalBackend
from tests.adapters.optional import require
from tests.adapters.support import Lines, run_to_end

require("sagemaker_training", "sagemaker")

CODE = Path(__file__).resolve().parent / "toolkit_code"
USER_HPS = {"eta": "0.25", "max_depth": "5", "name": "a b", "flag": "true", "x": "1e-3",
            "layers": "[1, 2]"}
#: what the toolkit reads those strings as
USER_VALUES = {"eta": 0.25, "max_depth": 5, "name": "a b", "flag": True, "x": 0.001,
               "layers": [1, 2]}
STATICS = {"_tuning_objective_metric": "validation:accuracy",
           "sagemaker_container_log_level": "20", "sagemaker_region": "us-west-2",
           "sagemaker_mpi_enabled": "false"}


def toolkit_request(tmp_path: Path, command: tuple[str, ...], **extra: str) -> TrainingJobRequest:
    channels = {}
    for name in ("train", "validation"):
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_text("1,2\n")
        channels[name] = folder
    idc = {c: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
               "RecordWrapperType": "None", "CompressionType": "None",
               "ContentType": "text/csv"} for c in channels}
    return TrainingJobRequest(
        name="tk-001-abcd", directory=tmp_path / "jobs" / "tk-001-abcd", command=command,
        cwd=tmp_path, hyperparameters={**USER_HPS, **STATICS, **extra}, channels=channels,
        input_data_config=idc, max_runtime_s=120, log_path=tmp_path / "tk.log")


def view_of(lines: Lines) -> dict[str, Any]:
    line = next(x for x in lines.text("stdout") if x.startswith("VIEW "))
    return json.loads(line[5:])  # type: ignore[no-any-return]


def assert_sees_the_job(view: dict[str, Any], req: TrainingJobRequest, root: Path) -> None:
    assert view["hyperparameters"] == USER_VALUES
    assert view["framework_params"] == {"sagemaker_mpi_enabled": False}
    assert view["channel_input_dirs"] == {c: str(root / "input" / "data" / c)
                                          for c in ("train", "validation")}
    assert view["channel_files"] == {"train": ["train.csv"], "validation": ["validation.csv"]}
    assert view["input_data_config"] == req.input_data_config
    assert view["dirs"] == {
        "model_dir": str(root / "model"), "input_dir": str(root / "input"),
        "input_config_dir": str(root / "input" / "config"), "output_dir": str(root / "output"),
        "output_data_dir": str(root / "output" / "data"),
        "output_intermediate_dir": str(root / "output" / "intermediate")}
    assert view["current_host"] == "algo-1" and view["hosts"] == ["algo-1"]
    assert view["job_name"] == req.name


def test_environment_sees_exactly_the_job(tmp_path: Path) -> None:
    req = toolkit_request(tmp_path, ("python", str(CODE / "show_env.py")))
    lines = Lines()
    backend = LocalBackend(grace_s=2.0)
    state = run_to_end(backend, backend.start(req, lines), timeout=120)
    assert state.status == "Completed", (state, lines.text())
    view = view_of(lines)
    assert_sees_the_job(view, req, req.directory)
    # our SM_* variables are the ones the toolkit derives from the same job
    ours, theirs = view["sm_env"], view["toolkit_env"]
    for key in sorted(set(ours) & set(theirs) - {"SM_TRAINING_ENV"}):
        assert ours[key] == theirs[key], key
    assert set(theirs) - set(ours) <= {"SM_MODULE_NAME", "SM_USER_ENTRY_POINT"}  # no program
    assert json.loads(ours["SM_HPS"]) == USER_VALUES
    assert json.loads(ours["SM_USER_ARGS"]) == [
        "--eta", "0.25", "--flag", "True", "--layers", "[1, 2]", "--max_depth", "5",
        "--name", "a b", "-x", "0.001"]
    assert "SM_HP__TUNING_OBJECTIVE_METRIC" not in ours and "SM_HP_SAGEMAKER_REGION" not in ours
    env_ours = json.loads(ours["SM_TRAINING_ENV"])
    env_theirs = json.loads(theirs["SM_TRAINING_ENV"])
    same = set(env_ours) & set(env_theirs) - {"user_entry_point", "module_name"}
    assert len(same) >= 30
    assert {k: env_ours[k] for k in same} == {k: env_theirs[k] for k in same}


def test_toolkit_entry_point_runs_the_sagemaker_program(tmp_path: Path) -> None:
    req = toolkit_request(tmp_path, ("python", "-m", "sagemaker_training.cli.train"),
                          sagemaker_program="show_env.py",
                          sagemaker_submit_directory=str(CODE))
    lines = Lines()
    backend = LocalBackend(grace_s=2.0)
    started = time.monotonic()
    state = run_to_end(backend, backend.start(req, lines), timeout=120)
    assert state.status == "Completed", (state, lines.text())
    assert time.monotonic() - started < 60  # no wait on DNS for algo-1
    root = req.directory
    view = view_of(lines)
    assert_sees_the_job(view, req, root)
    assert view["argv"] == json.loads(view["toolkit_env"]["SM_USER_ARGS"])
    assert view["argv"][:4] == ["--eta", "0.25", "--flag", "True"]
    assert (root / "model" / "model.txt").read_text() == "trained\n"
    assert (root / "code" / "show_env.py").is_file()  # the toolkit copied the program in
    assert (root / "output" / "success").exists()
    assert "validation:accuracy=0.2500" in lines.text("stdout")


def test_toolkit_failure_file_is_the_failure_reason(tmp_path: Path) -> None:
    req = toolkit_request(tmp_path, ("python", "-m", "sagemaker_training.cli.train"),
                          sagemaker_program="show_env.py",
                          sagemaker_submit_directory=str(CODE), fail="yes")
    lines = Lines()
    backend = LocalBackend(grace_s=2.0)
    state = run_to_end(backend, backend.start(req, lines), timeout=120)
    written = (req.directory / "output" / "failure").read_text()
    assert state.status == "Failed" and state.exit_code != 0
    assert written.startswith("ExecuteUserScriptError") and "ExitCode 3" in written
    assert state.reason == written.strip()[:FAILURE_LIMIT]
    assert not state.retryable


@pytest.mark.parametrize("program", ["show_env.py"])
def test_toolkit_entry_point_through_a_tuning_job(tmp_path: Path, program: str) -> None:
    from hpo_core.jobs import TuningJob

    for name in ("train", "validation"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.csv").write_text("1\n")
    doc = {
        "HyperParameterTuningJobName": "toolkit-tune",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random", "RandomSeed": 1,
            "HyperParameterTuningJobObjective": {"Type": "Maximize",
                                                 "MetricName": "validation:accuracy"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": 0.1, "MaxValue": 0.5}]}},
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"sagemaker_program": program,
                                      "sagemaker_submit_directory": str(CODE)},
            "AlgorithmSpecification": {"TrainingInputMode": "File", "MetricDefinitions": [
                {"Name": "validation:accuracy",
                 "Regex": "validation:accuracy=([0-9.]+)"}]},
            "InputDataConfig": [{"ChannelName": "train"}, {"ChannelName": "validation"}]},
        "Local": {"Command": ["python", "-m", "sagemaker_training.cli.train"],
                  "Channels": {"train": "train", "validation": "validation"}}}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, poll_interval=0.05)
    result = job.run()
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    assert result["TrainingJobStatusCounters"]["Completed"] == 2
    best = result["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
        float(best["TunedHyperParameters"]["eta"]), abs=1e-4)
