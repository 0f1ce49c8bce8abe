"""Who retries an AWS call: hpo_core only. Clients built here make one attempt per call, and
every error code botocore itself treats as throttling or transient is retried by our backoff
(Stubber, and botocore's own lists read from the installed package)."""

# ruff: noqa: E402  (imports after the require() of an optional dependency)

from __future__ import annotations

import inspect
import string
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.optional import require

require("boto3", "aws")

import botocore.exceptions
from botocore.awsrequest import AWSResponse
from botocore.loaders import Loader
from botocore.retries import standard
from botocore.stub import Stubber

from hpo_core.adapters.sagemaker import SageMakerBackend
from hpo_core.adapters.sagemaker_request import RETRIES, boto3_client, classify
from hpo_core.adapters.sagemaker_warm import amt_parent_results
from tests.adapters.sagemaker_fixtures import clients
from tests.adapters.test_sagemaker import NAME, Env, _created, _describe, _error
from tests.adapters.test_sagemaker_warm import PARENT
from tests.adapters.test_sagemaker_warm import _describe as _describe_parent


def _retry_json() -> tuple[set[str], set[int]]:
    """The error codes and the code-less HTTP statuses of botocore's ``_retry.json``."""
    codes: set[str] = set()
    statuses: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            response = node.get("response")
            if isinstance(response, dict):
                if "service_error_code" in response:
                    codes.add(response["service_error_code"])
                elif "http_status_code" in response:
                    statuses.add(response["http_status_code"])
            for value in node.values():
                walk(value)

    walk(Loader().load_data("_retry"))
    return codes, statuses


def _botocore_codes() -> list[tuple[str, int]]:
    """(error code, HTTP status) of every error botocore retries by its code."""
    out = {(c, 400) for c in standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES}
    out |= {(c, 400) for c in standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES}
    out |= {(c, 400) for c in _retry_json()[0]}
    return sorted(out)


def _botocore_statuses() -> list[int]:
    """HTTP statuses botocore retries whatever the error code."""
    statuses = set(standard.TransientRetryableChecker._TRANSIENT_STATUS_CODES)
    statuses |= set(standard.ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES)
    return sorted(statuses | _retry_json()[1])


def _client_error(code: str, status: int) -> Exception:
    """The ClientError a stubbed call raises for ``code`` / ``status``."""
    sm, _ = clients()
    with Stubber(sm) as stub:
        stub.add_client_error("describe_training_job", service_error_code=code,
                              http_status_code=status)
        try:
            sm.describe_training_job(TrainingJobName=NAME)
        except Exception as e:
            return e
    raise AssertionError("the stubbed call did not fail")


@pytest.mark.parametrize(("code", "status"), _botocore_codes())
def test_every_code_botocore_retries_is_transient_for_us(code: str, status: int) -> None:
    assert classify(_client_error(code, status)) == "transient", code


@pytest.mark.parametrize("status", _botocore_statuses())
def test_every_status_botocore_retries_is_transient_for_us(status: int) -> None:
    assert classify(_client_error("SomethingUnmodelled", status)) == "transient", status
    assert classify(_client_error("SomethingUnmodelled", 400)) == "invalid"


def _no_answer_errors() -> list[type[botocore.exceptions.BotoCoreError]]:
    """botocore's exception classes it retries as transient, with their subclasses."""
    bases = standard.TransientRetryableChecker._TRANSIENT_EXCEPTION_CLS
    found = inspect.getmembers(botocore.exceptions, inspect.isclass)
    return [c for _, c in found if issubclass(c, bases)]


@pytest.mark.parametrize("cls", _no_answer_errors(), ids=lambda c: c.__name__)
def test_every_exception_botocore_retries_is_transient_for_us(
        cls: type[botocore.exceptions.BotoCoreError]) -> None:
    fields = {f for _, f, _, _ in string.Formatter().parse(cls.fmt) if f}
    error = cls(**dict.fromkeys(fields, "x"))
    assert classify(error) == "transient", cls.__name__


def test_no_sagemaker_or_logs_error_is_modelled_as_retryable() -> None:
    """botocore also retries errors its service model marks retryable: SageMaker and
    CloudWatch Logs have none (if one appears, add its code to THROTTLING or TRANSIENT)."""
    import botocore.session

    session = botocore.session.get_session()
    for service in ("sagemaker", "logs"):
        model = session.get_service_model(service)
        assert [s.name for s in model.error_shapes if s.metadata.get("retryable")] == []


@pytest.mark.parametrize("code", ["LimitExceededException", "RequestTimeoutException",
                                  "TransactionInProgressException", "InternalServerException"])
def test_backend_retries_the_codes_it_missed_before(tmp_path: Path, code: str) -> None:
    env = Env(tmp_path, max_tries=3)
    _error(env, "create_training_job", code)
    h = env.start()  # retried later, not an ExecutionError
    _created(env)
    assert env.step(h, 10).status == "InProgress"
    _error(env, "describe_training_job", code)
    assert env.step(h, 10).status == "InProgress"
    _describe(env, "Completed")
    assert env.step(h, 10).status == "Completed"
    env.done()
    log = (tmp_path / "logs" / f"{NAME}.log").read_text()
    assert log.count(f"=== retrying after: {code}") == 2


def test_backend_retries_an_unmodelled_429(tmp_path: Path) -> None:
    env = Env(tmp_path)
    _created(env)
    h = env.start()
    _error(env, "describe_training_job", "SlowDownPlease", status=429)
    assert env.step(h, 10).status == "InProgress"
    _describe(env, "Completed")
    assert env.step(h, 10).status == "Completed"
    env.done()


def test_warm_start_retries_limit_exceeded() -> None:
    sm, _ = clients()
    stub = Stubber(sm)
    stub.add_client_error("describe_hyper_parameter_tuning_job", "LimitExceededException")
    stub.add_response("describe_hyper_parameter_tuning_job", _describe_parent(),
                      {"HyperParameterTuningJobName": PARENT})
    stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job",
                      {"TrainingJobSummaries": []},
                      {"HyperParameterTuningJobName": PARENT, "MaxResults": 100})
    waits: list[float] = []
    with stub:
        out = amt_parent_results(sm, PARENT, sleep=waits.append, seed=0)
    stub.assert_no_pending_responses()
    assert out["trials"] == [] and len(waits) == 1


# ---------------------------------------------------------------------- the clients we build
@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and a region, no config files; AWS_MAX_ATTEMPTS / AWS_RETRY_MODE ask
    botocore for one retry."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": "fake",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "2",
                       "AWS_RETRY_MODE": "standard",
                       "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class _Body:
    def stream(self) -> list[bytes]:
        return [b'{"__type": "InternalFailure", "message": "boom"}']


def _sends(client: Any) -> int:
    """How many HTTP requests one failing (HTTP 500) call makes; no network is used."""
    sent: list[str] = []

    def answer(request: Any, **_kwargs: Any) -> AWSResponse:
        sent.append(request.url)
        return AWSResponse(request.url, 500, {"x-amzn-RequestId": "r"}, _Body())

    client.meta.events.register("before-send", answer)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client.describe_training_job(TrainingJobName=NAME)
    assert classify(e.value) == "transient"
    return len(sent)


def test_clients_built_here_make_one_attempt(aws_env: None) -> None:
    import boto3

    assert _sends(boto3.client("sagemaker")) == 2  # botocore's retry, as the environment asks
    ours = boto3_client("sagemaker")
    assert ours.meta.config.retries == RETRIES
    assert _sends(ours) == 1  # explicit settings win over AWS_MAX_ATTEMPTS


def test_backend_builds_its_clients_without_botocore_retries(aws_env: None) -> None:
    backend = SageMakerBackend("j", {})
    assert backend.client.meta.config.retries == RETRIES
    assert backend.logs.meta.config.retries == RETRIES
    assert backend.client.meta.service_model.service_name == "sagemaker"
    assert backend.logs.meta.service_model.service_name == "logs"


def test_an_injected_client_is_used_as_given() -> None:
    sm, logs = clients()
    backend = SageMakerBackend("j", {}, client=sm, logs_client=logs)
    assert backend.client is sm and backend.logs is logs
