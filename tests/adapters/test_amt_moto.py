"""SageMaker request shapes against moto, a tuning job on mocked SageMaker, and
``hpo export-amt`` (its output passes botocore's validation of CreateHyperParameterTuningJob).
"""

# ruff: noqa: E402  (imports after the require() of an optional dependency)

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.optional import require

require("moto", "dev")

from moto import mock_aws

from hpo_core.adapters.sagemaker import LOG_GROUP, SageMakerBackend
from hpo_core.cli import main
from hpo_core.errors import JobConfigError
from hpo_core.jobs.amt_export import amt_request, validate
from hpo_core.jobs.tuning_job import TuningJob
from tests.adapters.sagemaker_fixtures import (
    DEFINITION,
    IMAGE,
    ROLE,
    clients,
    make_request,
)

#: One job document for every backend: the Local block picks the backend; SageMaker fields
#: are there for the docker / sagemaker backends and ignored by the local one.
DOC: dict[str, Any] = {
    "HyperParameterTuningJobName": "quadratic",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Random",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1",
                                           "ScalingType": "Linear"}],
            "IntegerParameterRanges": [{"Name": "epochs", "MinValue": "2", "MaxValue": "4"}]},
        "RandomSeed": 5},
    "TrainingJobDefinition": {
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File",
                                   "MetricDefinitions": [{"Name": "loss",
                                                          "Regex": r"loss=([0-9.]+)"}]},
        "RoleArn": ROLE,
        "StaticHyperParameters": {"delay": "0.05"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                           "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600}},
    "Tags": [{"Key": "project", "Value": "hpo"}],
    "Local": {"Backend": "local", "Command": [sys.executable, "train.py"]},
}


class SimulatedSageMaker:
    """moto's SageMaker client, plus the algorithm's CloudWatch log lines for each job it
    creates (loss = (x - 0.3)^2 + 1/epoch, one line per epoch), as a real job would write."""

    def __init__(self, sm: Any, logs: Any) -> None:
        self._sm, self._logs = sm, logs
        self.created: list[dict[str, Any]] = []
        logs.create_log_group(logGroupName=LOG_GROUP)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sm, name)

    def create_training_job(self, **request: Any) -> dict[str, Any]:
        out = self._sm.create_training_job(**request)
        self.created.append(request)
        hp = request["HyperParameters"]
        x, epochs = float(hp["x"]), int(hp["epochs"])
        stream = f"{request['TrainingJobName']}/algo-1-1700000000"
        self._logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        now_ms = int(time.time() * 1000)  # CloudWatch drops events older than 14 days
        self._logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[
            {"timestamp": now_ms + i,
             "message": f"epoch={i} loss={(x - 0.3) ** 2 + 1 / i:.6f}"}
            for i in range(1, epochs + 1)])
        return out


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        yield clients()


def test_create_training_job_against_moto(aws: Any, tmp_path: Path) -> None:
    sm, logs = aws
    backend = SageMakerBackend("xgb-digits", {"default": DEFINITION}, client=sm,
                               logs_client=logs, describe_s=0.0, seed=1)
    lines: list[str] = []
    h = backend.start(make_request(tmp_path), lambda _s, line: lines.append(line))
    desc = sm.describe_training_job(TrainingJobName=h.name)
    assert desc["HyperParameters"]["_tuning_objective_metric"] == "validation:accuracy"
    assert desc["RoleArn"] == ROLE and desc["EnableManagedSpotTraining"] is True
    assert desc["CheckpointConfig"]["S3Uri"] == f"s3://bucket/checkpoints/{h.name}"
    state = backend.poll(h)  # moto completes at once; no log group: final metrics only
    assert state.status == "Completed"
    assert lines == [json.dumps({"train:progress": 100.0})]


def test_the_same_document_runs_on_mocked_sagemaker(aws: Any, tmp_path: Path) -> None:
    sm, logs = aws
    simulated = SimulatedSageMaker(sm, logs)
    doc = {**DOC, "Local": {"Backend": "sagemaker"}}
    backend = SageMakerBackend.from_document(doc, client=simulated, logs_client=logs,
                                             describe_s=0.0, seed=1)
    result = TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "job",
                                 backend=backend).run()
    assert result["HyperParameterTuningJobStatus"] == "Completed", result
    assert result["TrainingJobStatusCounters"]["Completed"] == 4
    best = result["BestTrainingJob"]
    x, epochs = (float(best["TunedHyperParameters"]["x"]),
                 int(best["TunedHyperParameters"]["epochs"]))
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
        (x - 0.3) ** 2 + 1 / epochs, abs=1e-6)
    assert len(simulated.created) == 4
    for request in simulated.created:
        assert {"Key": "hpo:tuning-job", "Value": "quadratic"} in request["Tags"]
        assert request["HyperParameters"]["delay"] == "0.05"


def test_export_amt_request_validates_and_moto_accepts_it(aws: Any) -> None:
    sm, _ = aws
    request = amt_request(DOC)
    validate(request)
    assert "Local" not in request
    assert request["TrainingJobDefinition"]["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}
    sm.create_hyper_parameter_tuning_job(**request)  # botocore validates the parameters too
    got = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="quadratic")
    assert got["HyperParameterTuningJobConfig"]["ResourceLimits"][
        "MaxParallelTrainingJobs"] == 2


def test_export_fills_sagemaker_fields_and_completes_definitions() -> None:
    doc = copy.deepcopy(DOC)
    d = doc["TrainingJobDefinition"]
    for key in ("RoleArn", "OutputDataConfig", "ResourceConfig", "StoppingCondition"):
        del d[key]
    del d["AlgorithmSpecification"]["MetricDefinitions"]
    doc["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][0][
        "MaxValue"] = 1.5
    with pytest.raises(JobConfigError, match=r"^TrainingJobDefinition.RoleArn: required"):
        amt_request(doc)
    request = amt_request(doc, role_arn=ROLE, output_path="s3://b/out",
                          instance_type="ml.c5.xlarge")
    validate(request)
    out = request["TrainingJobDefinition"]
    assert out["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                                     "VolumeSizeInGB": 30}
    assert out["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400}
    assert [m["Name"] for m in out["AlgorithmSpecification"]["MetricDefinitions"]] == ["loss"]
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    assert ranges["ContinuousParameterRanges"][0]["MaxValue"] == "1.5"


def test_export_multi_algorithm_document() -> None:
    doc = copy.deepcopy(DOC)
    config = doc["HyperParameterTuningJobConfig"]
    ranges = config.pop("ParameterRanges")
    objective = config.pop("HyperParameterTuningJobObjective")
    base = doc.pop("TrainingJobDefinition")
    doc["TrainingJobDefinitions"] = [
        {**base, "DefinitionName": name, "TuningObjective": objective,
         "HyperParameterRanges": ranges} for name in ("small", "large")]
    request = amt_request(doc)
    validate(request)
    assert [d["DefinitionName"] for d in request["TrainingJobDefinitions"]] == ["small", "large"]


def test_export_amt_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hpo_core.jobs.store import Store

    path = tmp_path / "job.json"
    path.write_text(json.dumps(DOC))
    out = tmp_path / "request.json"
    assert main(["export-amt", str(path), "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == amt_request(DOC)
    store = Store(tmp_path / "jobdir", create=True)  # a job directory: its stored document
    store.set_many({"document": DOC})
    store.close()
    assert main(["export-amt", str(tmp_path / "jobdir")]) == 0
    assert json.loads(capsys.readouterr().out) == amt_request(DOC)
    broken = copy.deepcopy(DOC)
    del broken["TrainingJobDefinition"]["RoleArn"]
    path.write_text(json.dumps(broken))
    assert main(["export-amt", str(path)]) == 2
    err = capsys.readouterr().err
    assert "TrainingJobDefinition.RoleArn: required for AMT" in err and "Traceback" not in err
