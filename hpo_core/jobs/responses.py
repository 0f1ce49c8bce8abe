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
  members the service requires when the document gives none: ``RoleArn``,
  ``AlgorithmSpecification.TrainingInputMode`` and ``MetricDefinitions`` (the objective's
  default regex), ``OutputDataConfig``, ``StoppingCondition``, a ``DataSource`` per channel (a
  ``file://`` URI of its local directory; the SDK's local-mode ``FileDataSource`` is written as
  that S3 source too);
- the ``ResourceConfig`` the SDK's ``attach`` reads, when the document gives none: the one
  instance type of ``HyperParameterTuningResourceConfig`` (which the SDK sends instead), else
  :data:`PLACEHOLDER_RESOURCES`; ``TrainingJobEarlyStoppingType`` (default ``Off``);
- range bounds as strings (:func:`hpo_core.space.amt_ranges.string_ranges`).

``"Local"`` holds what only this library has: for the job ``Directory`` and
``CompletionReason``; for a training job ``LogPath``, ``Attempts`` and ``Status`` (which may
be ``Pending``: created, waiting for a slot, shown to the service shape as ``InProgress``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hpo_core.jobs.metrics import default_regex
from hpo_core.space.amt_ranges import string_ranges

__all__ = ["ACCOUNT", "LOCAL_ROLE", "PLACEHOLDER_RESOURCES", "REGION", "list_page",
           "service_config", "service_definition", "training_job_arn", "tuning_job_arn",
           "without_local"]

REGION = "local"
ACCOUNT = "000000000000"
LOCAL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/hpo-local"
_PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
#: ResourceConfig of a definition that gives none: a placeholder the SDK's ``attach`` reads
#: (an instance type any SDK session accepts); nothing runs on it.
PLACEHOLDER_RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}


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
    out.setdefault("TrainingJobEarlyStoppingType", "Off")
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
    if not algo.get("MetricDefinitions") and objective_metric is not None:
        algo["MetricDefinitions"] = [{"Name": objective_metric,
                                      "Regex": default_regex(objective_metric)}]
    d["AlgorithmSpecification"] = algo
    d.setdefault("RoleArn", LOCAL_ROLE)
    d.setdefault("OutputDataConfig", {"S3OutputPath": (directory.resolve() / "output").as_uri()})
    d.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    if "ResourceConfig" not in d:
        # the SDK sends HyperParameterTuningResourceConfig, and its attach reads ResourceConfig
        tuning = d.get("HyperParameterTuningResourceConfig") or {}
        single = {k: tuning[k] for k in ("InstanceType", "InstanceCount", "VolumeSizeInGB",
                                         "VolumeKmsKeyId") if k in tuning}
        d["ResourceConfig"] = {**PLACEHOLDER_RESOURCES, **single}
    inputs = []
    for entry in d.get("InputDataConfig") or []:
        entry = dict(entry)
        local = channels.get(str(entry.get("ChannelName")))
        files = (entry.get("DataSource") or {}).get("FileDataSource")
        if files is not None:  # the SDK's local-mode source, as the S3 one the service knows
            entry["DataSource"] = {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": files.get("FileUri", ""),
                "S3DataDistributionType": files.get("FileDataDistributionType",
                                                    "FullyReplicated")}}
        if "DataSource" not in entry and local is not None:
            entry["DataSource"] = {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": local.resolve().as_uri(),
                "S3DataDistributionType": "FullyReplicated"}}
        inputs.append(entry)
    if inputs:
        d["InputDataConfig"] = inputs
    return d


_SORT_KEYS = {"Name": "TrainingJobName", "CreationTime": "CreationTime",
              "Status": "TrainingJobStatus"}


def list_page(summaries: list[dict[str, Any]], *, sort_by: str = "Name",
              sort_order: str = "Ascending", status_equals: str | None = None,
              max_results: int = 10, next_token: str | None = None) -> dict[str, Any]:
    """One page of ``ListTrainingJobsForHyperParameterTuningJob`` over ``summaries``, with the
    service's defaults (by name, ascending, 10 a page; ``FinalObjectiveMetricValue`` lists
    only the jobs that have one). ``NextToken`` is the offset of the next page.

    Raises:
        ValueError: an unknown ``sort_by`` / ``sort_order`` or a bad ``next_token``.
    """
    rows = [s for s in summaries if status_equals is None
            or s["TrainingJobStatus"] == status_equals]
    if sort_by == "FinalObjectiveMetricValue":
        rows = [s for s in rows if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        rows.sort(key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    elif sort_by in _SORT_KEYS:
        rows.sort(key=lambda s: str(s.get(_SORT_KEYS[sort_by], "")))
    else:
        raise ValueError(f"SortBy: expected one of {[*_SORT_KEYS, 'FinalObjectiveMetricValue']},"
                         f" got {sort_by!r}")
    if sort_order not in ("Ascending", "Descending"):
        raise ValueError(f"SortOrder: expected Ascending or Descending, got {sort_order!r}")
    if sort_order == "Descending":
        rows.reverse()
    try:
        start = int(next_token or 0)
    except ValueError:
        raise ValueError(f"NextToken: not a token this listing gave, got {next_token!r}") \
            from None
    page = rows[start:start + max_results]
    out: dict[str, Any] = {"TrainingJobSummaries": page}
    if start + max_results < len(rows):
        out["NextToken"] = str(start + max_results)
    return out
