"""Building SageMaker requests from an AMT training-job definition, and classing AWS errors.

:func:`create_training_job_request` turns one trial (a
:class:`~hpo_core.adapters.base.TrainingJobRequest`) of an AMT ``TrainingJobDefinition`` into
the ``CreateTrainingJob`` request AMT itself would make:

- ``TrainingJobName``: the trial's name within AWS limits, ``-r<n>`` for retries
  (:func:`~hpo_core.adapters.jobdefs.training_job_name`);
- ``AlgorithmSpecification``: TrainingImage or AlgorithmName, TrainingInputMode (default
  ``File``), MetricDefinitions;
- ``HyperParameters``: the static and tuned values as strings, ``_tuning_objective_metric``
  included;
- RoleArn, InputDataConfig, OutputDataConfig, VpcConfig, EnableNetworkIsolation,
  EnableInterContainerTrafficEncryption, EnableManagedSpotTraining, Environment as given;
- ``ResourceConfig``: the definition's, or built from HyperParameterTuningResourceConfig (its
  first InstanceConfigs entry when it names no InstanceType);
- ``StoppingCondition``: MaxRuntimeInSeconds of the trial (and MaxWaitTimeInSeconds; with
  managed spot training and none given, it equals MaxRuntimeInSeconds);
- ``CheckpointConfig``: its S3Uri gets ``/<TrainingJobName>`` appended, so trials never
  share checkpoints (a retry has its own name and so starts afresh);
- ``Tags``: the tuning job's Tags plus ``hpo:tuning-job`` = the tuning job's name.

RetryStrategy is not sent: the tuner retries (under a new name) so that attempts are counted
once. :func:`classify` says what an AWS error means for the tuner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.jobdefs import training_job_name

__all__ = ["THROTTLING", "classify", "create_training_job_request", "error_code",
           "error_message"]

THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "SlowDown", "PriorRequestNotComplete"})
_SERVER = frozenset({"InternalFailure", "InternalServerError", "InternalError",
                     "ServiceUnavailable", "ServiceUnavailableException", "InternalService"})
_ACCESS = frozenset({"AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
                     "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
                     "InvalidSignatureException", "SignatureDoesNotMatch",
                     "MissingAuthenticationToken", "AuthFailure", "UnauthorizedOperation"})
_COPIED = ("RoleArn", "InputDataConfig", "OutputDataConfig", "VpcConfig",
           "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
           "EnableManagedSpotTraining")


def create_training_job_request(request: TrainingJobRequest, definition: Mapping[str, Any],
                                tuning_job: str, where: str = "TrainingJobDefinition",
                                tags: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """The ``CreateTrainingJob`` request of one trial.

    Args:
        request: the trial (name, hyperparameters, environment, runtime limit, attempt).
        definition: the raw AMT TrainingJobDefinition it belongs to.
        tuning_job: the tuning job's name (tag ``hpo:tuning-job``).
        where: the definition's path in the job document, for error messages.
        tags: the tuning job's Tags, propagated to every training job.

    Raises:
        KeyError: a field SageMaker requires is missing; the message names its path.
    """
    name = training_job_name(request.name, request.attempt)
    spec = definition.get("AlgorithmSpecification") or {}
    algo: dict[str, Any] = {"TrainingInputMode": spec.get("TrainingInputMode", "File")}
    if spec.get("TrainingImage"):
        algo["TrainingImage"] = spec["TrainingImage"]
    elif spec.get("AlgorithmName"):
        algo["AlgorithmName"] = spec["AlgorithmName"]
    else:
        raise KeyError(f"{where}.AlgorithmSpecification.TrainingImage: required by the "
                       "sagemaker backend (or AlgorithmName)")
    if spec.get("MetricDefinitions"):
        algo["MetricDefinitions"] = [{"Name": m["Name"], "Regex": m["Regex"]}
                                     for m in spec["MetricDefinitions"]]
    out: dict[str, Any] = {"TrainingJobName": name, "AlgorithmSpecification": algo,
                           "HyperParameters": dict(request.hyperparameters)}
    for key in _COPIED:
        if key in definition:
            out[key] = definition[key]
    for key in ("RoleArn", "OutputDataConfig"):
        if not out.get(key):
            raise KeyError(f"{where}.{key}: required by the sagemaker backend")
    out["ResourceConfig"] = _resource_config(definition, where)
    out["StoppingCondition"] = _stopping(request, definition)
    if definition.get("CheckpointConfig"):
        checkpoint = dict(definition["CheckpointConfig"])
        checkpoint["S3Uri"] = checkpoint["S3Uri"].rstrip("/") + "/" + name
        out["CheckpointConfig"] = checkpoint
    env = {**(definition.get("Environment") or {}), **request.environment}
    if env:
        out["Environment"] = env
    out["Tags"] = [*({"Key": t["Key"], "Value": t["Value"]} for t in tags
                     if t.get("Key") != "hpo:tuning-job"),
                   {"Key": "hpo:tuning-job", "Value": tuning_job}]
    return out


def _resource_config(definition: Mapping[str, Any], where: str) -> dict[str, Any]:
    if definition.get("ResourceConfig"):
        return dict(definition["ResourceConfig"])
    hp = definition.get("HyperParameterTuningResourceConfig") or {}
    source = hp if hp.get("InstanceType") else (hp.get("InstanceConfigs") or [{}])[0]
    if not source.get("InstanceType"):
        raise KeyError(f"{where}.ResourceConfig: required by the sagemaker backend "
                       "(InstanceType, InstanceCount, VolumeSizeInGB)")
    out = {"InstanceType": source["InstanceType"],
           "InstanceCount": int(source.get("InstanceCount", 1)),
           "VolumeSizeInGB": int(source.get("VolumeSizeInGB", 30))}
    if hp.get("VolumeKmsKeyId"):
        out["VolumeKmsKeyId"] = hp["VolumeKmsKeyId"]
    return out


def _stopping(request: TrainingJobRequest, definition: Mapping[str, Any]) -> dict[str, Any]:
    given = dict(definition.get("StoppingCondition") or {})
    runtime = request.max_runtime_s or given.get("MaxRuntimeInSeconds") or 86400
    out: dict[str, Any] = {"MaxRuntimeInSeconds": int(runtime)}
    wait = given.get("MaxWaitTimeInSeconds")
    if wait is None and definition.get("EnableManagedSpotTraining"):
        wait = out["MaxRuntimeInSeconds"]
    if wait is not None:
        out["MaxWaitTimeInSeconds"] = int(wait)
    if given.get("MaxPendingTimeInSeconds") is not None:
        out["MaxPendingTimeInSeconds"] = int(given["MaxPendingTimeInSeconds"])
    return out


def error_code(e: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (else the exception's class name)."""
    response = getattr(e, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", "")) or type(e).__name__
    return type(e).__name__


def error_message(e: BaseException) -> str:
    """``Code: message`` of an AWS error, as AWS gave it."""
    response = getattr(e, "response", None)
    if isinstance(response, Mapping):
        err = response.get("Error", {})
        return f"{err.get('Code', type(e).__name__)}: {err.get('Message', '')}".rstrip(": ")
    return f"{type(e).__name__}: {e}"


def classify(e: BaseException) -> str:
    """What an AWS error means for the tuner.

    Returns:
        ``"transient"`` (throttling, 5xx, connection trouble: retry with backoff),
        ``"capacity"`` (ResourceLimitExceeded: wait for running jobs to end), ``"access"``
        (credentials or permissions: every job would fail; abort), ``"in_use"`` (the name
        exists: a create whose answer was lost), ``"not_found"`` or ``"invalid"`` (the
        request itself is wrong: fail the trial with AWS's message).
    """
    code = error_code(e)
    status = 0
    response = getattr(e, "response", None)
    if isinstance(response, Mapping):
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in THROTTLING:
        return "transient"
    if code == "ResourceLimitExceeded":
        return "capacity"
    if code in _ACCESS or code in ("NoCredentialsError", "PartialCredentialsError",
                                   "NoRegionError", "CredentialRetrievalError"):
        return "access"
    if code == "ResourceInUse":
        return "in_use"
    if code == "ResourceNotFound" or code == "ResourceNotFoundException":
        return "not_found"
    if code in _SERVER or status >= 500 or code in (
            "EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError",
            "ConnectTimeoutError", "ConnectionError"):
        return "transient"
    return "invalid"
