"""Shared data of the SageMaker tests: a definition using every field, stubbed clients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest

ACCESS_KEY = "AKIAFAKEHPOTEST12345"
SECRET_KEY = "hpo-test-secret-that-must-never-appear"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1"
METRIC = "validation:accuracy"

DEFINITION: dict[str, Any] = {
    "AlgorithmSpecification": {
        "TrainingImage": IMAGE, "TrainingInputMode": "File",
        "MetricDefinitions": [{"Name": METRIC, "Regex": r"validation:accuracy=([0-9.]+)"}]},
    "RoleArn": ROLE,
    "StaticHyperParameters": {"num_round": "50"},
    "InputDataConfig": [{
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train",
                                        "S3DataDistributionType": "FullyReplicated"}},
        "ContentType": "text/csv", "CompressionType": "None"}],
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                       "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
    "CheckpointConfig": {"S3Uri": "s3://bucket/checkpoints/", "LocalPath": "/opt/ml/checkpoints"},
    "EnableManagedSpotTraining": True,
    "VpcConfig": {"SecurityGroupIds": ["sg-0123456789abcdef0"],
                  "Subnets": ["subnet-0123456789abcdef0"]},
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
    "Environment": {"MODE": "tuning"},
    "RetryStrategy": {"MaximumRetryAttempts": 2},
}
TAGS = [{"Key": "project", "Value": "digits"}]
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def make_request(tmp_path: Path, name: str = "xgb-digits-001-abcdef12", attempt: int = 1,
                 max_runtime_s: float | None = 3600) -> TrainingJobRequest:
    return TrainingJobRequest(
        name=name, directory=tmp_path / name, command=(), cwd=tmp_path,
        hyperparameters={"num_round": "50", "eta": "0.3", "_tuning_objective_metric": METRIC},
        environment={"MODE": "tuning"}, max_runtime_s=max_runtime_s,
        log_path=tmp_path / "logs" / f"{name}.log", attempt=attempt)


def clients(region: str = "us-east-1") -> tuple[Any, Any]:
    import boto3

    kw = {"region_name": region, "aws_access_key_id": ACCESS_KEY,
          "aws_secret_access_key": SECRET_KEY}
    return boto3.client("sagemaker", **kw), boto3.client("logs", **kw)


def describe(name: str, status: str, secondary: str | None = None, **extra: Any) -> dict[str, Any]:
    """A DescribeTrainingJob response (the required fields, valid for the Stubber)."""
    out: dict[str, Any] = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://bucket/output/{name}/model.tar.gz"},
        "TrainingJobStatus": status, "SecondaryStatus": secondary or status,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": DEFINITION["ResourceConfig"],
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": NOW}
    out.update(extra)
    return out


class Clock:
    """A fake monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
