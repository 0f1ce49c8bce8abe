"""The SageMaker backend: each trial is one ``CreateTrainingJob`` on AWS.

The request is built by :func:`~hpo_core.adapters.sagemaker_request.create_training_job_request`
from the trial and its AMT TrainingJobDefinition. Nothing here blocks: :meth:`poll` calls AWS
only when a handle's next call is due, so the tuner's loop stays responsive.

- Status: ``DescribeTrainingJob`` every ``describe_s`` seconds, the interval growing by half
  while the status stays the same (up to ``describe_max_s``), with jitter.
- Logs: CloudWatch Logs group ``/aws/sagemaker/TrainingJobs``, streams
  ``<TrainingJobName>/algo-<n>-<epoch>``, read with ``GetLogEvents`` forward tokens after each
  describe. Every line goes to the trial's log file; lines of ``algo-1`` go to ``on_line``
  (the tuner's regex scraper: intermediate metrics). When the job has ended, the logs are
  read to the end and then ``FinalMetricDataList`` is passed on as one JSON metric line, so the
  final value is the one SageMaker (and AMT) uses.
- Ending: ``Completed`` -> Completed; ``Failed`` -> Failed with ``FailureReason`` (retryable
  for InternalServerError / capacity errors and texts starting ``RetryableError``);
  ``Stopped`` after :meth:`stop` -> Stopped; ``Stopped`` with SecondaryStatus
  ``MaxRuntimeExceeded`` -> Failed ``MaxRuntimeExceeded``.
- Errors (:func:`~hpo_core.adapters.sagemaker_request.classify`): throttling, timeouts, 429 /
  5xx and connection errors are retried with exponential backoff and jitter (``max_tries``
  times for one call, then the trial fails as retryable), by this backend alone: the clients
  it builds make one attempt per call (botocore retries nothing, see
  :data:`~hpo_core.adapters.sagemaker_request.RETRIES`); ``ResourceLimitExceeded`` on create
  waits for capacity (``capacity_wait_s``, then a retryable failure); validation errors fail
  the trial with AWS's message; credential and permission errors abort the tuning job.
- :meth:`stop` calls ``StopTrainingJob`` (early stopping, Hyperband, the tuning job ending);
  SageMaker sends SIGTERM and kills after its own grace period.

Clients are injected; by default :func:`~hpo_core.adapters.sagemaker_request.boto3_client`
builds ``sagemaker`` and ``logs`` clients (credentials from the normal boto3 chain, botocore's
retries off). An injected client is used as given, its retry settings included: give it
``config=botocore.config.Config(retries=RETRIES)``, or botocore's own retries (and sleeps)
run inside each of this backend's tries. No credential is ever read, logged or put in
:meth:`process_info`, which holds only the training job's name and region.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from hpo_core.adapters.base import JobState, LineSink, TrainingJobRequest
from hpo_core.adapters.jobdefs import Definitions, definitions_of, pick
from hpo_core.adapters.sagemaker_request import (
    boto3_client,
    classify,
    create_training_job_request,
    error_message,
)
from hpo_core.errors import ExecutionError

__all__ = ["LOG_GROUP", "SageMakerBackend"]

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
_RETRYABLE_REASONS = ("InternalServerError", "CapacityError", "InsufficientInstanceCapacity",
                      "RetryableError")


@dataclass
class _Handle:
    request: TrainingJobRequest
    name: str
    create: dict[str, Any]
    on_line: LineSink
    log: IO[str] | None
    created: bool = False
    tries: int = 0
    waiting_since: float | None = None
    next_at: float = 0.0
    interval: float = 0.0
    status: str | None = None
    tokens: dict[str, str | None] = field(default_factory=dict)
    stop_reason: str | None = None
    stop_sent: bool = False
    final: JobState | None = None


class SageMakerBackend:
    """Runs training jobs on Amazon SageMaker.

    Args:
        tuning_job: the tuning job's name (tag ``hpo:tuning-job``).
        definitions: DefinitionName -> raw TrainingJobDefinition.
        client: a ``boto3`` SageMaker client, used as given (default:
            ``boto3_client("sagemaker")``, one attempt per call).
        logs_client: a CloudWatch Logs client, used as given (default:
            ``boto3_client("logs")``); ``False`` reads no logs (metrics then come from
            ``FinalMetricDataList`` only).
        tags: the tuning job's Tags, propagated to every training job.
        describe_s, describe_max_s: first and largest interval between describes.
        backoff_s, backoff_max_s: first and largest delay after a throttled or failed call.
        max_tries: consecutive transient errors before the trial fails (retryable).
        capacity_wait_s: how long a create may wait on ResourceLimitExceeded.
        clock: monotonic seconds (tests pass a fake one).
        seed: seed of the jitter.
    """

    name = "sagemaker"

    def __init__(self, tuning_job: str, definitions: Definitions, *, client: Any = None,
                 logs_client: Any = None, tags: Sequence[Mapping[str, str]] = (),
                 describe_s: float = 10.0, describe_max_s: float = 60.0,
                 backoff_s: float = 2.0, backoff_max_s: float = 60.0, max_tries: int = 8,
                 capacity_wait_s: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic, seed: int | None = None) -> None:
        self.tuning_job = tuning_job
        self.definitions = definitions
        self._client, self._logs = client, logs_client
        self.tags = list(tags)
        self.describe_s, self.describe_max_s = describe_s, describe_max_s
        self.backoff_s, self.backoff_max_s = backoff_s, backoff_max_s
        self.max_tries, self.capacity_wait_s = max_tries, capacity_wait_s
        self._clock = clock
        self._rng = random.Random(seed)

    @classmethod
    def from_document(cls, document: Mapping[str, Any], **kwargs: Any) -> SageMakerBackend:
        """The backend of a job document: its name, definitions and Tags; ``kwargs`` as
        above (``client``, ``logs_client``, timings)."""
        kwargs.setdefault("tags", list(document.get("Tags") or ()))
        return cls(str(document["HyperParameterTuningJobName"]), definitions_of(document),
                   **kwargs)

    # ------------------------------------------------------------------ clients
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3_client("sagemaker")
        return self._client

    @property
    def logs(self) -> Any:
        if self._logs is None:
            self._logs = boto3_client("logs")
        return self._logs or None

    # ------------------------------------------------------------------ start
    def start(self, request: TrainingJobRequest, on_line: LineSink) -> _Handle:
        try:
            def_name, definition = pick(self.definitions, request)
            where = ("TrainingJobDefinition" if def_name == "default"
                     else f"TrainingJobDefinitions[{def_name}]")
            create = create_training_job_request(request, definition, self.tuning_job, where,
                                                 self.tags)
        except KeyError as e:
            raise ExecutionError(str(e.args[0]), "abort") from e
        log = None
        if request.log_path is not None:
            request.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(request.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed at end
        h = _Handle(request, create["TrainingJobName"], create, on_line, log)
        self._note(h, f"=== {h.name}: CreateTrainingJob (attempt {request.attempt})")
        self._create(h, first=True)
        return h

    def _create(self, h: _Handle, first: bool = False) -> None:
        now = self._clock()
        try:
            self.client.create_training_job(**h.create)
        except Exception as e:
            kind = classify(e)
            msg = error_message(e)
            if kind == "in_use" and h.tries > 0:  # an earlier create went through after all
                pass
            elif kind == "access" or type(e).__name__ == "ParamValidationError":
                self._end_log(h, f"could not create: {msg}")
                raise ExecutionError(f"SageMaker refused {h.name}: {msg}", "abort") from e
            elif kind in ("invalid", "in_use", "not_found"):
                if first:
                    self._end_log(h, f"could not create: {msg}")
                    raise ExecutionError(f"SageMaker refused {h.name}: {msg}",
                                         "fail_trial") from e
                h.final = self._ended(h, JobState("Failed", msg))
                return
            elif kind == "capacity":
                if h.waiting_since is None:
                    h.waiting_since = now
                    self._note(h, f"=== waiting for capacity: {msg}")
                if now - h.waiting_since > self.capacity_wait_s:
                    h.final = self._ended(h, JobState("Failed", f"{msg} (waited "
                                          f"{self.capacity_wait_s:g} s for capacity)",
                                          retryable=True))
                    return
                h.tries += 1
                h.next_at = now + self._backoff(min(h.tries, 5))
                return
            else:
                self._transient(h, now, msg)
                return
        h.created, h.tries = True, 0
        h.interval = self.describe_s
        h.next_at = now + self._jitter(h.interval)

    def _transient(self, h: _Handle, now: float, msg: str) -> None:
        h.tries += 1
        self._note(h, f"=== retrying after: {msg}")
        if h.tries >= self.max_tries:
            h.final = self._ended(h, JobState("Failed", f"{msg} ({h.tries} tries)",
                                              retryable=True))
            return
        h.next_at = now + self._backoff(h.tries)

    # ------------------------------------------------------------------ poll
    def poll(self, handle: _Handle) -> JobState:
        h = handle
        if h.final is not None:
            return h.final
        now = self._clock()
        if not h.created and h.stop_reason is not None:
            h.final = self._ended(h, JobState("Stopped", h.stop_reason))
            return h.final
        if now < h.next_at:
            return JobState("InProgress")
        if not h.created:
            self._create(h)
            return h.final or JobState("InProgress")
        if h.stop_reason is not None and not h.stop_sent:
            self._send_stop(h)
        try:
            desc = self.client.describe_training_job(TrainingJobName=h.name)
        except Exception as e:
            if classify(e) in ("transient", "not_found"):  # not_found: just created
                self._transient(h, now, error_message(e))
                return h.final or JobState("InProgress")
            h.final = self._ended(h, JobState("Failed", error_message(e), retryable=True))
            return h.final
        h.tries = 0
        status = desc.get("TrainingJobStatus", "InProgress")
        self._read_logs(h)
        if status in ("Completed", "Failed", "Stopped"):
            self._read_logs(h)  # what arrived since: CloudWatch lags a little
            h.final = self._ended(h, self._state(h, desc))
            return h.final
        h.interval = (h.interval * 1.5 if status == h.status else self.describe_s)
        h.interval = min(h.interval, self.describe_max_s)
        h.status = status
        h.next_at = now + self._jitter(h.interval)
        return JobState("InProgress")

    def _state(self, h: _Handle, desc: Mapping[str, Any]) -> JobState:
        status = desc["TrainingJobStatus"]
        secondary = desc.get("SecondaryStatus", "")
        if status == "Completed":
            finals = {m["MetricName"]: m["Value"] for m in desc.get("FinalMetricDataList", [])
                      if isinstance(m.get("Value"), int | float)}
            if finals:
                h.on_line("stdout", json.dumps(finals, sort_keys=True))
            return JobState("Completed", exit_code=0)
        if status == "Failed":
            reason = desc.get("FailureReason") or f"Failed ({secondary})"
            return JobState("Failed", reason, retryable=reason.startswith(_RETRYABLE_REASONS))
        if h.stop_reason is not None:
            return JobState("Stopped", h.stop_reason)
        if secondary in ("MaxRuntimeExceeded", "MaxWaitTimeExceeded"):
            runtime = h.create["StoppingCondition"]["MaxRuntimeInSeconds"]
            return JobState("Failed", f"{secondary}: the job ran longer than "
                            f"MaxRuntimeInSeconds={runtime} (or waited longer than "
                            "MaxWaitTimeInSeconds) and was stopped by SageMaker",
                            retryable=secondary == "MaxWaitTimeExceeded")
        return JobState("Stopped", f"stopped outside the tuner ({secondary or status})")

    # ------------------------------------------------------------------ logs
    def _read_logs(self, h: _Handle) -> None:
        logs = self.logs
        if logs is None:
            return
        try:
            streams, token = [], None
            while True:
                kw: dict[str, Any] = {"logGroupName": LOG_GROUP,
                                      "logStreamNamePrefix": f"{h.name}/"}
                if token:
                    kw["nextToken"] = token
                page = logs.describe_log_streams(**kw)
                streams += [s["logStreamName"] for s in page.get("logStreams", [])]
                token = page.get("nextToken")
                if not token:
                    break
            for stream in sorted(streams):
                self._read_stream(h, stream)
        except Exception as e:
            if classify(e) != "not_found":  # no log group / stream yet
                self._note(h, f"=== CloudWatch Logs: {error_message(e)}")

    def _read_stream(self, h: _Handle, stream: str) -> None:
        to_tuner = stream.split("/", 1)[-1].startswith("algo-1-")
        while True:
            kw: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": stream,
                                  "startFromHead": True}
            if h.tokens.get(stream):
                kw["nextToken"] = h.tokens[stream]
            page = self.logs.get_log_events(**kw)
            events = page.get("events", [])
            for ev in events:
                for line in str(ev.get("message", "")).splitlines() or [""]:
                    self._note(h, line)
                    if to_tuner:
                        h.on_line("stdout", line)
            forward = page.get("nextForwardToken")
            done = not events or forward == h.tokens.get(stream)
            h.tokens[stream] = forward
            if done:
                return

    # ------------------------------------------------------------------ stop
    def stop(self, handle: _Handle, reason: str) -> None:
        h = handle
        if h.final is not None or h.stop_reason is not None:
            return
        h.stop_reason = reason
        if h.created:
            self._send_stop(h)

    def _send_stop(self, h: _Handle) -> None:
        try:
            self.client.stop_training_job(TrainingJobName=h.name)
            h.stop_sent = True
            self._note(h, f"=== StopTrainingJob: {h.stop_reason}")
        except Exception as e:
            if classify(e) == "transient":
                return  # tried again at the next describe
            h.stop_sent = True  # already ending (ValidationException): describe tells
            self._note(h, f"=== StopTrainingJob: {error_message(e)}")

    # ------------------------------------------------------------------ crash safety
    def process_info(self, handle: _Handle) -> dict[str, Any]:
        region = getattr(getattr(self.client, "meta", None), "region_name", None)
        return {"backend": "sagemaker", "TrainingJobName": handle.name, "region": region}

    def reap(self, info: dict[str, Any]) -> None:
        """Stop the training job of ``info`` if it still runs."""
        name = info.get("TrainingJobName")
        if not isinstance(name, str):
            return
        with contextlib.suppress(Exception):
            desc = self.client.describe_training_job(TrainingJobName=name)
            if desc.get("TrainingJobStatus") == "InProgress":
                self.client.stop_training_job(TrainingJobName=name)

    def adopt(self, info: dict[str, Any], request: TrainingJobRequest,
              on_line: LineSink) -> _Handle | None:
        """Follow the training job of ``info`` again after a tuner crash (running or ended:
        its logs are read from the start and its final state reported); None when AWS does
        not know it."""
        name = info.get("TrainingJobName")
        if not isinstance(name, str):
            return None
        try:
            desc = self.client.describe_training_job(TrainingJobName=name)
        except Exception:
            return None
        create = {"TrainingJobName": name,
                  "StoppingCondition": desc.get("StoppingCondition", {})}
        log = None
        if request.log_path is not None:
            request.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(request.log_path, "a", encoding="utf-8")  # noqa: SIM115
        h = _Handle(request, name, create, on_line, log, created=True)
        self._note(h, f"=== {name}: adopted after a tuner restart")
        return h

    # ------------------------------------------------------------------ helpers
    def _backoff(self, n: int) -> float:
        return self._jitter(min(self.backoff_max_s, self.backoff_s * 2 ** (n - 1)))

    def _jitter(self, delay: float) -> float:
        return delay * (0.5 + 0.5 * self._rng.random())

    @staticmethod
    def _note(h: _Handle, line: str) -> None:
        if h.log is not None:
            h.log.write(line + "\n")
            h.log.flush()

    def _ended(self, h: _Handle, state: JobState) -> JobState:
        self._end_log(h, f"{state.status}" + (f": {state.reason}" if state.reason else ""))
        return state

    @staticmethod
    def _end_log(h: _Handle, message: str) -> None:
        if h.log is not None:
            h.log.write(f"=== {message}\n")
            h.log.close()
            h.log = None

