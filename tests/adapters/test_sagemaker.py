"""The SageMaker backend with botocore's Stubber: every status path and error class.

The Stubber checks each call's parameters against botocore's service model (a request that
would fail validation raises ``ParamValidationError``) and each canned response against the
output shape. A fake clock drives the backoff.
"""

# ruff: noqa: E402  (imports after the require() of an optional dependency)

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.optional import require

require("boto3", "aws")

from botocore.stub import ANY, Stubber
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.adapters.base import Backend, JobState
from hpo_core.adapters.jobdefs import training_job_name
from hpo_core.adapters.sagemaker import LOG_GROUP, SageMakerBackend
from hpo_core.adapters.sagemaker_request import create_training_job_request
from hpo_core.errors import ExecutionError
from hpo_core.jobs.metrics import MetricDefinition, MetricScraper
from tests.adapters.sagemaker_fixtures import (
    ACCESS_KEY,
    DEFINITION,
    METRIC,
    NOW,
    SECRET_KEY,
    TAGS,
    Clock,
    clients,
    describe,
    make_request,
)

NAME = "xgb-digits-001-abcdef12"
ARN = {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{NAME}"}


class Env:
    """A backend on stubbed clients, a fake clock, and the lines it passed on."""

    def __init__(self, tmp_path: Path, logs: bool = False, **kwargs: Any) -> None:
        self.sm, logs_client = clients()
        self.sm_stub = Stubber(self.sm)
        self.logs_stub = Stubber(logs_client)
        self.clock = Clock()
        self.lines: list[str] = []
        self.backend = SageMakerBackend(
            "xgb-digits", {"default": DEFINITION}, client=self.sm,
            logs_client=logs_client if logs else False, tags=TAGS, describe_s=5.0,
            describe_max_s=5.0, clock=self.clock, seed=0, **kwargs)
        self.tmp_path = tmp_path
        self.sm_stub.activate()
        self.logs_stub.activate()

    def start(self, **kwargs: Any) -> Any:
        return self.backend.start(make_request(self.tmp_path, **kwargs),
                                  lambda _s, line: self.lines.append(line))

    def step(self, handle: Any, seconds: float = 10.0) -> JobState:
        self.clock.advance(seconds)
        return self.backend.poll(handle)

    def done(self) -> None:
        self.sm_stub.assert_no_pending_responses()
        self.logs_stub.assert_no_pending_responses()


def _created(env: Env) -> None:
    env.sm_stub.add_response("create_training_job", ARN, {
        "TrainingJobName": NAME, "AlgorithmSpecification": ANY, "HyperParameters": ANY,
        "RoleArn": ANY, "InputDataConfig": ANY, "OutputDataConfig": ANY, "VpcConfig": ANY,
        "EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
        "EnableManagedSpotTraining": True, "ResourceConfig": ANY, "StoppingCondition": ANY,
        "CheckpointConfig": ANY, "Environment": ANY, "Tags": ANY})


def _describe(env: Env, status: str, secondary: str | None = None, **extra: Any) -> None:
    env.sm_stub.add_response("describe_training_job", describe(NAME, status, secondary, **extra),
                             {"TrainingJobName": NAME})


def _error(env: Env, method: str, code: str, status: int = 400, message: str = "") -> None:
    env.sm_stub.add_client_error(method, service_error_code=code,
                                 service_message=message or f"{code} happened",
                                 http_status_code=status)


def test_is_a_backend() -> None:
    assert isinstance(SageMakerBackend("j", {}), Backend)


def test_create_request_has_every_field_and_passes_botocore_validation(tmp_path: Path) -> None:
    import botocore.session
    from botocore.validate import validate_parameters

    req = create_training_job_request(make_request(tmp_path, attempt=2), DEFINITION,
                                      "xgb-digits", tags=TAGS)
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "CreateTrainingJob").input_shape
    validate_parameters(req, shape)  # raises ParamValidationError when invalid
    assert req["TrainingJobName"] == f"{NAME}-r2"
    assert req["AlgorithmSpecification"] == DEFINITION["AlgorithmSpecification"]
    assert req["HyperParameters"] == {"num_round": "50", "eta": "0.3",
                                      "_tuning_objective_metric": METRIC}
    for key in ("RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig", "VpcConfig",
                "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                "EnableManagedSpotTraining"):
        assert req[key] == DEFINITION[key], key
    assert req["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600,
                                        "MaxWaitTimeInSeconds": 7200}
    assert req["CheckpointConfig"] == {"S3Uri": f"s3://bucket/checkpoints/{NAME}-r2",
                                       "LocalPath": "/opt/ml/checkpoints"}
    assert req["Environment"] == {"MODE": "tuning"}
    assert req["Tags"] == [*TAGS, {"Key": "hpo:tuning-job", "Value": "xgb-digits"}]
    assert "RetryStrategy" not in req  # the tuner retries, under a new name


def test_resource_config_from_tuning_resource_config(tmp_path: Path) -> None:
    d = {k: v for k, v in DEFINITION.items() if k != "ResourceConfig"}
    d["HyperParameterTuningResourceConfig"] = {"AllocationStrategy": "Prioritized",
                                               "InstanceConfigs": [{
                                                   "InstanceType": "ml.c5.xlarge",
                                                   "InstanceCount": 2, "VolumeSizeInGB": 5}]}
    req = create_training_job_request(make_request(tmp_path), d, "j")
    assert req["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2,
                                     "VolumeSizeInGB": 5}


@given(st.text(min_size=1, max_size=200), st.integers(1, 30))
def test_training_job_names_are_within_aws_limits(name: str, attempt: int) -> None:
    out = training_job_name(name, attempt)
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", out), out
    assert training_job_name(name, attempt) == out
    if attempt > 1:
        assert out != training_job_name(name, 1)


def test_long_names_stay_distinct() -> None:
    a, b = ("x" * 70 + "-001-aaaa"), ("x" * 70 + "-002-bbbb")
    assert training_job_name(a) != training_job_name(b)
    assert len(training_job_name(a, 12)) <= 63


def test_completed_with_cloudwatch_log_pages_and_final_metrics(tmp_path: Path) -> None:
    env = Env(tmp_path, logs=True)
    stream, stream2 = f"{NAME}/algo-1-1700000000", f"{NAME}/algo-2-1700000000"
    streams = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": f"{NAME}/"}

    def events(token: str | None, messages: list[str], forward: str) -> None:
        name = stream2 if forward.startswith("g") else stream
        params = {"logGroupName": LOG_GROUP, "logStreamName": name, "startFromHead": True}
        if token:
            params["nextToken"] = token
        env.logs_stub.add_response("get_log_events", {
            "events": [{"timestamp": 1, "message": m, "ingestionTime": 2} for m in messages],
            "nextForwardToken": forward, "nextBackwardToken": "b"}, params)

    def listing(*names: str, next_token: str | None = None, token: str | None = None) -> None:
        params = dict(streams, **({"nextToken": token} if token else {}))
        response: dict[str, Any] = {"logStreams": [{"logStreamName": n} for n in names]}
        if next_token:
            response["nextToken"] = next_token
        env.logs_stub.add_response("describe_log_streams", response, params)

    _created(env)
    h = env.start()
    # poll 1: training starts; no log group yet
    _describe(env, "InProgress", "Starting")
    env.logs_stub.add_client_error("describe_log_streams", "ResourceNotFoundException",
                                   "The specified log group does not exist.")
    assert env.step(h).status == "InProgress"
    # poll 2: two pages of stream names (another host's stream too), two pages of events
    _describe(env, "InProgress", "Training")
    listing(stream, next_token="page2")
    listing(stream2, token="page2")
    events(None, ["epoch 1 validation:accuracy=0.80", "epoch 2 validation:accuracy=0.85"], "f1")
    events("f1", [], "f1")
    events(None, ["algo-2 validation:accuracy=0.11"], "g1")
    events("g1", [], "g1")
    assert env.step(h).status == "InProgress"
    assert env.lines == ["epoch 1 validation:accuracy=0.80", "epoch 2 validation:accuracy=0.85"]
    # poll 3: completed; the logs are read to the end, then FinalMetricDataList
    _describe(env, "Completed", "Completed", FinalMetricDataList=[
        {"MetricName": METRIC, "Value": 0.9, "Timestamp": NOW}])
    for _ in range(2):
        listing(stream, stream2)
        if _ == 0:
            events("f1", ["epoch 3 validation:accuracy=0.9"], "f2")
        events("f2", [], "f2")
        events("g1", [], "g1")
    assert env.step(h) == JobState("Completed", exit_code=0)
    env.done()
    scraper = MetricScraper([MetricDefinition(METRIC, r"validation:accuracy=([0-9.]+)")], METRIC)
    steps = [(u.step, u.value) for line in env.lines for u in scraper.feed(line)]
    assert steps == [(1, 0.8), (2, 0.85), (3, 0.9), (4, 0.9)]
    assert env.lines[-1] == json.dumps({METRIC: 0.9})
    log = (tmp_path / "logs" / f"{NAME}.log").read_text()
    assert "algo-2 validation:accuracy=0.11" in log and "=== Completed" in log


@pytest.mark.parametrize(("reason", "retryable"), [
    ("AlgorithmError: ValueError: eta must be positive", False),
    ("InternalServerError: We encountered an internal error. Please try again.", True),
    ("CapacityError: Unable to provision requested ML compute capacity.", True)])
def test_failed_with_failure_reason(tmp_path: Path, reason: str, retryable: bool) -> None:
    env = Env(tmp_path)
    _created(env)
    h = env.start()
    _describe(env, "InProgress", "Training")
    _describe(env, "Failed", "Failed", FailureReason=reason)
    assert env.step(h).status == "InProgress"
    assert env.step(h) == JobState("Failed", reason, retryable=retryable)
    assert env.backend.poll(h) == JobState("Failed", reason, retryable=retryable)  # sticky
    env.done()


def test_stop_calls_stop_training_job_and_reports_stopped(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _created(env)
    h = env.start()
    _error(env, "stop_training_job", "ThrottlingException", message="Rate exceeded")
    env.backend.stop(h, "early stopping")  # throttled: sent again at the next poll
    env.sm_stub.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    _describe(env, "Stopping", "Stopping")
    _describe(env, "Stopped", "Stopped")
    assert env.step(h).status == "InProgress"
    assert env.step(h) == JobState("Stopped", "early stopping")
    env.done()


def test_stop_before_the_create_went_through(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _error(env, "create_training_job", "ResourceLimitExceeded")
    h = env.start()
    env.backend.stop(h, "tuning job ending")
    assert env.step(h) == JobState("Stopped", "tuning job ending")
    env.done()


def test_max_runtime_exceeded_is_a_failure(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _created(env)
    h = env.start()
    _describe(env, "Stopped", "MaxRuntimeExceeded")
    state = env.step(h)
    assert state.status == "Failed" and not state.retryable
    assert state.reason is not None and state.reason.startswith("MaxRuntimeExceeded")
    env.done()


def test_stopped_by_someone_else(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _created(env)
    h = env.start()
    _describe(env, "Stopped", "Stopped")
    assert env.step(h) == JobState("Stopped", "stopped outside the tuner (Stopped)")


def test_throttling_and_5xx_are_retried_with_backoff_and_jitter(tmp_path: Path) -> None:
    env = Env(tmp_path, backoff_s=2.0, backoff_max_s=60.0)
    _error(env, "create_training_job", "ThrottlingException")
    h = env.start()  # no exception: retried later
    assert env.backend.poll(h).status == "InProgress"  # not due yet: no call (else unstubbed)
    assert env.step(h, 0.99).status == "InProgress"  # first delay is in [1, 2] s
    _error(env, "create_training_job", "InternalFailure", status=500)
    assert env.step(h, 1.01).status == "InProgress"
    assert env.step(h, 1.99).status == "InProgress"  # second delay in [2, 4] s
    _created(env)
    assert env.step(h, 2.01).status == "InProgress"
    _error(env, "describe_training_job", "ServiceUnavailable", status=503)
    assert env.step(h, 5.0).status == "InProgress"
    _describe(env, "Completed")
    assert env.step(h, 4.0).status == "Completed"
    env.done()


def test_gives_up_after_max_tries_as_retryable(tmp_path: Path) -> None:
    env = Env(tmp_path, max_tries=3)
    _created(env)
    h = env.start()
    for _ in range(3):
        _error(env, "describe_training_job", "ThrottlingException")
    assert env.step(h, 100).status == "InProgress"
    assert env.step(h, 100).status == "InProgress"
    state = env.step(h, 100)
    assert state.status == "Failed" and state.retryable
    assert state.reason is not None and state.reason.startswith("ThrottlingException")
    env.done()


def test_resource_limit_exceeded_waits_for_capacity(tmp_path: Path) -> None:
    env = Env(tmp_path, capacity_wait_s=600.0)
    for _ in range(3):
        _error(env, "create_training_job", "ResourceLimitExceeded",
               message="The account-level service limit 'ml.m5.xlarge for training job usage' "
                       "is 2 Instances")
    h = env.start()
    for _ in range(2):
        assert env.step(h, 60).status == "InProgress"
    _created(env)
    assert env.step(h, 60).status == "InProgress"
    _describe(env, "Completed")
    assert env.step(h, 60).status == "Completed"
    log = (tmp_path / "logs" / f"{NAME}.log").read_text()
    assert "waiting for capacity: ResourceLimitExceeded" in log
    env.done()


def test_capacity_wait_has_a_limit(tmp_path: Path) -> None:
    env = Env(tmp_path, capacity_wait_s=100.0)
    for _ in range(3):
        _error(env, "create_training_job", "ResourceLimitExceeded")
    h = env.start()
    assert env.step(h, 60).status == "InProgress"
    state = env.step(h, 60)
    assert state.status == "Failed" and state.retryable
    assert "ResourceLimitExceeded" in (state.reason or "")


def test_validation_error_fails_the_trial_with_the_aws_message(tmp_path: Path) -> None:
    env = Env(tmp_path)
    message = f"Requested image {DEFINITION['AlgorithmSpecification']['TrainingImage']} not found."
    _error(env, "create_training_job", "ValidationException", message=message)
    with pytest.raises(ExecutionError) as e:
        env.start()
    assert e.value.action == "fail_trial"
    assert str(e.value).endswith(f"ValidationException: {message}")
    env.done()


def test_access_errors_and_missing_fields_abort(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _error(env, "create_training_job", "AccessDeniedException", message="not authorized")
    with pytest.raises(ExecutionError) as e:
        env.start()
    assert e.value.action == "abort"
    no_role = SageMakerBackend("j", {"default": {k: v for k, v in DEFINITION.items()
                                                 if k != "RoleArn"}}, client=env.sm)
    with pytest.raises(ExecutionError, match=r"^TrainingJobDefinition.RoleArn: required") as e:
        no_role.start(make_request(tmp_path), lambda _s, _l: None)
    assert e.value.action == "abort"


def test_reap_stops_a_running_job_and_adopt_follows_it(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _created(env)
    info = env.backend.process_info(env.start())
    assert info == {"backend": "sagemaker", "TrainingJobName": NAME, "region": "us-east-1"}
    _describe(env, "InProgress")
    env.sm_stub.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    env.backend.reap(info)
    _describe(env, "Completed")
    env.backend.reap(info)  # ended: nothing to stop
    _describe(env, "Completed")
    _describe(env, "Completed")
    h = env.backend.adopt(info, make_request(tmp_path), lambda _s, _l: None)
    assert h is not None and env.step(h).status == "Completed"
    env.done()


def test_credentials_never_appear(tmp_path: Path) -> None:
    env = Env(tmp_path, logs=True)
    _created(env)
    h = env.start()
    _describe(env, "Failed", "Failed", FailureReason="AlgorithmError: boom")
    for _ in range(2):
        env.logs_stub.add_client_error("describe_log_streams", "AccessDeniedException",
                                       "not authorized to perform logs:DescribeLogStreams")
    state = env.step(h)
    texts = [json.dumps(env.backend.process_info(h)), state.reason or "", *env.lines,
             (tmp_path / "logs" / f"{NAME}.log").read_text()]
    for text in texts:
        assert ACCESS_KEY not in text and SECRET_KEY not in text
    env.done()
