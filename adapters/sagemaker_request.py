"""Building SageMaker requests from an AMT training-job definition; AWS clients and errors.

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

Who retries an AWS call: only hpo_core. :func:`boto3_client` builds clients with
:data:`RETRIES` (botocore's ``standard`` mode, one attempt in all: botocore sends each call
once and retries nothing), and the callers retry what :func:`classify` calls ``transient``
with their own exponential backoff and jitter: the SageMaker backend without blocking the
tuner's loop (the next try is scheduled for a later ``poll``), the warm start with ``sleep``.
With botocore's defaults (standard mode, 3 attempts; legacy mode, 5), its retries, which
sleep inside the call, would run under ours and multiply them. A client passed in by the
caller is used as given: build it with ``config=botocore.config.Config(retries=RETRIES)`` for
the same division. The error codes :func:`classify` retries include every code botocore
itself treats as throttling or transient (its standard-mode lists and ``data/_retry.json``),
plus the service-side 5xx codes and HTTP 429 / 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.jobdefs import training_job_name
from hpo_core.errors import ExecutionError

__all__ = ["RETRIES", "THROTTLING", "TRANSIENT", "boto3_client", "classify",
           "create_training_job_request", "error_code", "error_message"]

#: botocore's retry settings for the clients hpo_core builds: one attempt (``total_max_attempts``
#: counts the first call; ``max_attempts`` would count retries only), so that the backoff of
#: the callers is the only retry. Explicit settings win over ``AWS_MAX_ATTEMPTS`` and
#: ``AWS_RETRY_MODE``.
RETRIES: dict[str, Any] = {"total_max_attempts": 1, "mode": "standard"}

#: Throttling error codes: every code botocore treats as throttling, in any service (standard
#: mode's list and the legacy ``_retry.json`` policies).
THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "SlowDown", "PriorRequestNotComplete",
    "LimitExceededException", "BandwidthLimitExceeded", "EC2ThrottledException",
    "TransactionInProgressException"})
#: Transient error codes: those botocore retries as transient (request timeouts; and in
#: ``_retry.json``, S3's BadDigest, DynamoDB's write conflict, STS's unreachable identity
#: provider), and the 5xx codes services send (the HTTP status alone is not always given).
TRANSIENT = frozenset({
    "RequestTimeout", "RequestTimeoutException", "BadDigest", "ReplicatedWriteConflictException",
    "IDPCommunicationError", "InternalFailure", "InternalServerError", "InternalError",
    "InternalServerException", "InternalService", "ServiceUnavailable",
    "ServiceUnavailableException"})
#: botocore's exception classes of a call that got no answer (connection refused or closed,
#: timeouts, proxy and TLS failures, a broken response stream), matched with their subclasses.
_NO_ANSWER = frozenset({"ConnectionError", "HTTPClientError"})
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


def boto3_client(service: str) -> Any:
    """A boto3 client of ``service`` (credentials and region from boto3's usual chain) that
    makes one attempt per call (:data:`RETRIES`): the caller's backoff is the only retry.

    Raises:
        ExecutionError: ``abort``: boto3 is missing, or no client can be made (no region...).
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError as e:
        raise ExecutionError("the SageMaker backend needs boto3: pip install 'hpo_core[aws]'",
                             "abort") from e
    try:
        return boto3.client(service, config=Config(retries=dict(RETRIES)))
    except Exception as e:  # NoRegionError and friends
        raise ExecutionError(f"cannot create a boto3 {service} client: {e}", "abort") from e


def classify(e: BaseException) -> str:
    """What an AWS error means for the tuner.

    Returns:
        ``"transient"`` (throttling, timeouts, 429 and 5xx, no answer: retry with backoff),
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
    no_answer = any(c.__name__ in _NO_ANSWER for c in type(e).__mro__)
    if code in TRANSIENT or status == 429 or status >= 500 or no_answer:
        return "transient"
    return "invalid"
