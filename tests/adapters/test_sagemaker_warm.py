"""Reading a finished AMT tuning job for warm start (Stubber: pages, throttling, errors)."""

# ruff: noqa: E402  (imports after the require() of an optional dependency)

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.optional import require

require("boto3", "aws")

from botocore.stub import Stubber

from hpo_core.adapters.sagemaker_warm import amt_parent_results
from hpo_core.errors import JobConfigError
from tests.adapters.sagemaker_fixtures import NOW, clients

PARENT = "xgb-parent"


def _describe() -> dict[str, Any]:
    return {"HyperParameterTuningJobName": PARENT,
            "HyperParameterTuningJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:"
                                          f"hyper-parameter-tuning-job/{PARENT}",
            "HyperParameterTuningJobConfig": {
                "Strategy": "Bayesian",
                "HyperParameterTuningJobObjective": {"Type": "Maximize",
                                                     "MetricName": "validation:accuracy"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 3,
                                   "MaxParallelTrainingJobs": 1}},
            "HyperParameterTuningJobStatus": "Completed", "CreationTime": NOW,
            "TrainingJobStatusCounters": {}, "ObjectiveStatusCounters": {}}


def _summary(i: int, status: str = "Completed", value: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "TrainingJobName": f"{PARENT}-{i:03d}",
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/p-{i}",
        "CreationTime": NOW, "TrainingJobStatus": status,
        "TunedHyperParameters": {"eta": f"0.{i}", "max_depth": str(i + 2)}}
    if value is not None:
        out["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "MetricName": "validation:accuracy", "Value": value}
    return out


def test_reads_every_page_and_keeps_completed_jobs_with_a_value() -> None:
    sm, _ = clients()
    stub = Stubber(sm)
    stub.add_client_error("describe_hyper_parameter_tuning_job", "ThrottlingException",
                          "Rate exceeded")
    stub.add_response("describe_hyper_parameter_tuning_job", _describe(),
                      {"HyperParameterTuningJobName": PARENT})
    list_params = {"HyperParameterTuningJobName": PARENT, "MaxResults": 100}
    stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job", {
        "TrainingJobSummaries": [_summary(1, value=0.91), _summary(2, "Failed")],
        "NextToken": "t2"}, list_params)
    stub.add_client_error("list_training_jobs_for_hyper_parameter_tuning_job",
                          "InternalFailure", http_status_code=500)
    stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job", {
        "TrainingJobSummaries": [_summary(3, value=0.95), _summary(4)]},
        {**list_params, "NextToken": "t2"})
    waits: list[float] = []
    with stub:
        out = amt_parent_results(sm, PARENT, sleep=waits.append, seed=0)
    stub.assert_no_pending_responses()
    assert out["objective"] == {"Type": "Maximize", "MetricName": "validation:accuracy"}
    assert out["status"] == "Completed"
    assert [(t["TrainingJobName"], t["Value"]) for t in out["trials"]] == [
        (f"{PARENT}-001", 0.91), (f"{PARENT}-003", 0.95)]
    assert out["trials"][0]["TunedHyperParameters"] == {"eta": "0.1", "max_depth": "3"}
    assert len(waits) == 2 and all(0.5 <= w <= 1.0 for w in waits)


def test_unknown_parent_is_a_configuration_error() -> None:
    sm, _ = clients()
    stub = Stubber(sm)
    stub.add_client_error("describe_hyper_parameter_tuning_job", "ResourceNotFound",
                          f"Amazon SageMaker can't find a tuning job named {PARENT}")
    with stub, pytest.raises(JobConfigError, match="ResourceNotFound: Amazon SageMaker can't"):
        amt_parent_results(sm, PARENT, sleep=lambda _s: None)
