"""Export a tuning job as the ``CreateHyperParameterTuningJob`` request AMT itself takes.

A job document is already the body of that request plus the ``"Local"`` block, so the export
is the document without ``"Local"``, completed the way our tuner reads it:

- every definition's AlgorithmSpecification gets TrainingInputMode ``File`` when it has none,
  and a MetricDefinition for its objective metric when it defines none (the regex the local
  tuner uses, :func:`hpo_core.jobs.metrics.default_regex`), so AMT reads the same value;
- StoppingCondition gets MaxRuntimeInSeconds 86400 (the local default) when absent;
- range bounds and categorical values given as numbers become strings;
- fields only SageMaker needs and the document leaves out (RoleArn, OutputDataConfig,
  ResourceConfig) come from the caller (``hpo export-amt --role-arn ... --output-path ...
  --instance-type ...``); without them the export fails naming the first missing field;
- channels must be S3 channels (a ``DataSource``): local directories from ``Local.Channels``
  cannot be exported.

When botocore is installed the result is checked against its service model
(:func:`validate`), so what is written is a request AMT accepts as far as shapes go.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hpo_core.errors import JobConfigError
from hpo_core.jobs.metrics import default_regex
from hpo_core.space.amt_ranges import string_ranges

__all__ = ["amt_request", "validate"]

def amt_request(document: Mapping[str, Any], *, role_arn: str | None = None,
                output_path: str | None = None, instance_type: str | None = None,
                instance_count: int = 1, volume_gb: int = 30) -> dict[str, Any]:
    """The ``CreateHyperParameterTuningJob`` request of a job document.

    Args:
        document: a job document (as given to ``hpo tune``, or as stored in a job directory).
        role_arn: RoleArn for definitions that have none.
        output_path: ``OutputDataConfig.S3OutputPath`` for definitions that have none.
        instance_type, instance_count, volume_gb: a ResourceConfig for definitions that have
            neither ResourceConfig nor HyperParameterTuningResourceConfig.

    Raises:
        JobConfigError: a field AMT requires is missing or cannot be exported (its path).
    """
    doc = copy.deepcopy(dict(document))
    doc.pop("Local", None)
    config = doc.get("HyperParameterTuningJobConfig") or {}
    if "ParameterRanges" in config:
        config["ParameterRanges"] = string_ranges(config["ParameterRanges"], values=True)
    if isinstance(doc.get("TrainingJobDefinition"), dict):
        entries = [("TrainingJobDefinition", doc["TrainingJobDefinition"])]
        objective = (config.get("HyperParameterTuningJobObjective") or {}).get("MetricName")
    else:
        entries = [(f"TrainingJobDefinitions[{i}]", d)
                   for i, d in enumerate(doc.get("TrainingJobDefinitions") or [])]
        objective = None
    if not entries:
        raise JobConfigError("TrainingJobDefinition", "required field is missing")
    for path, d in entries:
        metric = objective or (d.get("TuningObjective") or {}).get("MetricName")
        _complete(d, path, metric, role_arn, output_path, instance_type, instance_count,
                  volume_gb)
    return doc


def _complete(d: dict[str, Any], path: str, metric: str | None, role_arn: str | None,
              output_path: str | None, instance_type: str | None, instance_count: int,
              volume_gb: int) -> None:
    spec = d.setdefault("AlgorithmSpecification", {})
    if not spec.get("TrainingImage") and not spec.get("AlgorithmName"):
        raise JobConfigError(f"{path}.AlgorithmSpecification.TrainingImage",
                             "required for AMT (the image SageMaker runs with 'train')")
    spec.setdefault("TrainingInputMode", "File")
    metrics = spec.setdefault("MetricDefinitions", [])
    if metric and spec.get("TrainingImage") and all(m.get("Name") != metric for m in metrics):
        metrics.append({"Name": metric, "Regex": default_regex(metric)})
    if not metrics:
        spec.pop("MetricDefinitions")
    if "HyperParameterRanges" in d:
        d["HyperParameterRanges"] = string_ranges(d["HyperParameterRanges"], values=True)
    if not d.get("RoleArn"):
        if role_arn is None:
            raise JobConfigError(f"{path}.RoleArn", "required for AMT; give it in the "
                                 "document or with --role-arn")
        d["RoleArn"] = role_arn
    if not d.get("OutputDataConfig"):
        if output_path is None:
            raise JobConfigError(f"{path}.OutputDataConfig", "required for AMT; give it in the "
                                 "document or with --output-path s3://...")
        d["OutputDataConfig"] = {"S3OutputPath": output_path}
    if not d.get("ResourceConfig") and not d.get("HyperParameterTuningResourceConfig"):
        if instance_type is None:
            raise JobConfigError(f"{path}.ResourceConfig", "required for AMT; give it in the "
                                 "document or with --instance-type")
        d["ResourceConfig"] = {"InstanceType": instance_type, "InstanceCount": instance_count,
                               "VolumeSizeInGB": volume_gb}
    d.setdefault("StoppingCondition", {}).setdefault("MaxRuntimeInSeconds", 86400)
    for i, channel in enumerate(d.get("InputDataConfig") or []):
        if "DataSource" not in channel:
            raise JobConfigError(f"{path}.InputDataConfig[{i}].DataSource",
                                 "AMT reads channels from S3 (DataSource.S3DataSource); local "
                                 "directories (Local.Channels) cannot be exported")


def validate(request: Mapping[str, Any]) -> None:
    """Check ``request`` against botocore's model of ``CreateHyperParameterTuningJob``.

    Raises:
        JobConfigError: botocore's report, when the request does not validate.
        ImportError: botocore is not installed.
    """
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "CreateHyperParameterTuningJob").input_shape
    try:
        validate_parameters(dict(request), shape)
    except ParamValidationError as e:
        raise JobConfigError("", f"the exported request does not validate: {e}") from e
