"""Warm start from a finished AMT tuning job: its training jobs' hyperparameters and objective.

:func:`amt_parent_results` reads a parent with ``DescribeHyperParameterTuningJob`` (its
objective and status) and ``ListTrainingJobsForHyperParameterTuningJob`` (every page), and
returns the completed training jobs that have a final objective value, as plain dicts the
tuner's warm start can use (``TunedHyperParameters`` are AMT strings, as in a job directory).
Throttling, timeouts and 5xx answers (:func:`~hpo_core.adapters.sagemaker_request.classify`)
are retried here with backoff; other AWS errors raise :class:`~hpo_core.errors.JobConfigError`
naming the parent (a warm start that cannot be read is a configuration problem of the new
job). The client is used as given: one from
:func:`~hpo_core.adapters.sagemaker_request.boto3_client` makes one attempt per call, so
these retries are the only ones.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from hpo_core.adapters.sagemaker_request import classify, error_message
from hpo_core.errors import JobConfigError

__all__ = ["amt_parent_results"]


def amt_parent_results(client: Any, tuning_job: str, *, max_tries: int = 6,
                       backoff_s: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                       seed: int | None = None) -> dict[str, Any]:
    """The results of AMT tuning job ``tuning_job``.

    Args:
        client: a boto3 SageMaker client, used as given (its own retry settings included;
            ``boto3_client("sagemaker")`` retries nothing itself).
        tuning_job: the parent's HyperParameterTuningJobName.
        max_tries: attempts per call when AWS throttles, times out or fails with 5xx.
        backoff_s: first delay between attempts (doubled each time, with jitter).
        sleep: how to wait (tests pass a no-op).
        seed: seed of the jitter.

    Returns:
        ``{"name", "status", "objective": {"Type", "MetricName"}, "trials": [{
        "TrainingJobName", "TrainingJobDefinitionName", "TunedHyperParameters", "Value"}]}``
        with the completed training jobs that have a final objective value.

    Raises:
        JobConfigError: AWS does not know the parent, refuses access, or keeps failing.
    """
    rng = random.Random(seed)

    def call(method: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, max_tries + 1):
            try:
                return dict(getattr(client, method)(**kwargs))
            except Exception as e:
                if classify(e) != "transient" or attempt == max_tries:
                    raise JobConfigError("WarmStartConfig.ParentHyperParameterTuningJobs",
                                         f"cannot read AMT tuning job {tuning_job!r}: "
                                         f"{error_message(e)}") from e
                sleep(backoff_s * 2 ** (attempt - 1) * (0.5 + 0.5 * rng.random()))
        raise AssertionError("unreachable")

    desc = call("describe_hyper_parameter_tuning_job", HyperParameterTuningJobName=tuning_job)
    config = desc.get("HyperParameterTuningJobConfig", {})
    objective = config.get("HyperParameterTuningJobObjective") or {}
    trials: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"HyperParameterTuningJobName": tuning_job,
                                  "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = call("list_training_jobs_for_hyper_parameter_tuning_job", **kwargs)
        for s in page.get("TrainingJobSummaries", []):
            final = s.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
            if s.get("TrainingJobStatus") != "Completed" or "Value" not in final:
                continue
            trials.append({"TrainingJobName": s["TrainingJobName"],
                           "TrainingJobDefinitionName": s.get("TrainingJobDefinitionName"),
                           "TunedHyperParameters": dict(s.get("TunedHyperParameters", {})),
                           "Value": float(final["Value"])})
        token = page.get("NextToken")
        if not token:
            break
    return {"name": tuning_job, "status": desc.get("HyperParameterTuningJobStatus"),
            "objective": {"Type": objective.get("Type"),
                          "MetricName": objective.get("MetricName")},
            "trials": trials}
