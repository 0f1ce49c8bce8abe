"""What describe and trials return, in the SageMaker service's response shapes.

:func:`hpo_core.jobs.views.describe` is a ``DescribeHyperParameterTuningJob`` response and
``{"TrainingJobSummaries": summaries(store)}`` a ``ListTrainingJobsForHyperParameterTuningJob``
one: both pass botocore's validation of the operation's output shape once the one extras key,
``"Local"``, is taken out (:func:`without_local`). Times are ISO 8601 strings (UTC, milliseconds);
a client that must look like boto3 turns them into datetimes (:mod:`hpo_core.sagemaker`).

This module fills in what the service has and a local job may lack:

- ARNs in a local partition: ``arn:aws:sagemaker:local:000000000000:hyper-parameter-tuning-job/
  <name>`` and ``.../training-job/<name>`` (names lower-cased, as the service writes them);
- each training-job definition as the service echoes it: ``StaticHyperParameters`` with
  ``_tuning_objective_metric`` (the SDK's ``HyperparameterTuner.attach`` reads it), and the
  members the service requires (``RoleArn``, ``AlgorithmSpecification.TrainingInputMode``,
  ``OutputDataConfig``, ``StoppingCondition``, a ``DataSource`` per channel: a ``file://`` URI
  of its local directory) when the document gives none;
- range bounds as strings (:func:`hpo_core.space.amt_ranges.string_ranges`).

``"Local"`` holds what only this library has: for the job ``Directory`` and
``CompletionReason``; for a training job ``LogPath``, ``Attempts`` and ``Status`` (which may
be ``Pending``: created, waiting for a slot, shown to the service shape as ``InProgress``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hpo_core.space.amt_ranges import string_ranges

__all__ = ["ACCOUNT", "LOCAL_ROLE", "REGION", "service_config", "service_definition",
           "training_job_arn", "tuning_job_arn", "without_local"]

REGION = "local"
ACCOUNT = "000000000000"
LOCAL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/hpo-local"
_PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def tuning_job_arn(name: str) -> str:
    """The local ARN of tuning job ``name``."""
    return f"{_PREFIX}:hyper-parameter-tuning-job/{name.lower()}"


def training_job_arn(name: str) -> str:
    """The local ARN of training job ``name``."""
    return f"{_PREFIX}:training-job/{name.lower()}"


def without_local(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` less the ``"Local"`` extras, at the top, in ``BestTrainingJob`` and in each
    of ``TrainingJobSummaries`` (what botocore's output shape knows)."""
    out = {k: v for k, v in response.items() if k != "Local"}
    if isinstance(out.get("BestTrainingJob"), dict):
        out["BestTrainingJob"] = {k: v for k, v in out["BestTrainingJob"].items()
                                  if k != "Local"}
    if isinstance(out.get("TrainingJobSummaries"), list):
        out["TrainingJobSummaries"] = [{k: v for k, v in s.items() if k != "Local"}
                                       for s in out["TrainingJobSummaries"]]
    return out


def service_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """``HyperParameterTuningJobConfig`` as the service echoes it (range bounds strings)."""
    out = copy.deepcopy(config or {})
    if "ParameterRanges" in out:
        out["ParameterRanges"] = string_ranges(out["ParameterRanges"])
    return out


def service_definition(definition: dict[str, Any], objective_metric: str | None,
                       channels: dict[str, Path], directory: Path) -> dict[str, Any]:
    """A training-job definition of the document as the service echoes it.

    Args:
        definition: the document's ``TrainingJobDefinition`` (or one of ``...Definitions``).
        objective_metric: the tuning objective's metric name.
        channels: channel name -> local directory (``Local.Channels``).
        directory: the job directory (``OutputDataConfig`` points into it when none is given).
    """
    d = copy.deepcopy(definition)
    statics = dict(d.get("StaticHyperParameters") or {})
    if objective_metric is not None:
        statics["_tuning_objective_metric"] = objective_metric
    d["StaticHyperParameters"] = statics
    if "HyperParameterRanges" in d:
        d["HyperParameterRanges"] = string_ranges(d["HyperParameterRanges"])
    algo = dict(d.get("AlgorithmSpecification") or {})
    algo.setdefault("TrainingInputMode", "File")
    d["AlgorithmSpecification"] = algo
    d.setdefault("RoleArn", LOCAL_ROLE)
    d.setdefault("OutputDataConfig", {"S3OutputPath": (directory / "output").as_uri()})
    d.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    inputs = []
    for entry in d.get("InputDataConfig") or []:
        entry = dict(entry)
        local = channels.get(str(entry.get("ChannelName")))
        if "DataSource" not in entry and local is not None:
            entry["DataSource"] = {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": local.as_uri(),
                "S3DataDistributionType": "FullyReplicated"}}
        inputs.append(entry)
    if inputs:
        d["InputDataConfig"] = inputs
    return d
