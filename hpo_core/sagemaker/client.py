"""A local SageMaker client for the tuning API: what ``sagemaker_session.sagemaker_client``
answers under :class:`~hpo_core.sagemaker.LocalTuningSession`.

Operations (keyword arguments and responses as boto3's ``sagemaker`` client has them):

- ``create_hyper_parameter_tuning_job(**request)``: validates the request up front (a
  ``ValidationException`` names the field), writes ``<root>/<name>/job.json``
  (:func:`~hpo_core.sagemaker.translate.document_from_request`) and starts ``hpo tune`` on it in
  a process of its own, so the job runs on (and can be resumed) whatever the caller does next,
  as a tuning job on the service does;
- ``describe_hyper_parameter_tuning_job``, ``list_training_jobs_for_hyper_parameter_tuning_job``
  (``SortBy``, ``SortOrder``, ``StatusEquals``, ``MaxResults``, ``NextToken``): the job
  directory's :func:`~hpo_core.jobs.views.describe` / summaries, timestamps as datetimes;
  ``InProgress`` is ``Stopping`` once a stop was asked for, and ``Failed`` when the tuner process
  died without finishing the job;
- ``stop_hyper_parameter_tuning_job``: asks the tuner to stop (running jobs get SIGTERM).

Anything else goes to ``fallback`` (the SDK's own local-mode client), so ``Estimator.fit`` on
instance type ``local`` works as in SDK local mode. Errors are botocore ``ClientError``s with
the service's codes (``ValidationException``, ``ResourceNotFound``, ``ResourceInUse``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_core.errors import HPOError
from hpo_core.jobs.document import parse_document
from hpo_core.jobs.responses import (
    list_page,
    service_config,
    tuning_job_arn,
    without_local,
)
from hpo_core.jobs.store import Store, is_job_dir
from hpo_core.jobs.views import describe, summaries
from hpo_core.sagemaker.shapes import as_boto
from hpo_core.sagemaker.translate import RequestError, document_from_request

__all__ = ["LocalTuningClient"]

_DESCRIBE = "DescribeHyperParameterTuningJob"
_LIST = "ListTrainingJobsForHyperParameterTuningJob"


def _client_error(code: str, message: str, operation: str) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


class LocalTuningClient:
    """The tuning operations of the SageMaker API, run on this machine.

    Args:
        root: folder of the tuning jobs (``<root>/<HyperParameterTuningJobName>/``).
        fallback: the client that answers every other operation (None: AttributeError).
        python: the interpreter of the tuner processes and of toolkit training jobs.
        strip_local: leave the ``"Local"`` extras out of responses (exactly the service's
            members); by default they are kept (the SDK ignores them).
    """

    def __init__(self, root: str | os.PathLike[str] = "hpo-runs", fallback: Any = None,
                 python: str = sys.executable, strip_local: bool = False) -> None:
        self.root = Path(root).resolve()
        self.python = python
        self.strip_local = strip_local
        self._fallback = fallback
        self._tuners: dict[str, subprocess.Popen[bytes]] = {}

    def __getattr__(self, name: str) -> Any:
        fallback = self.__dict__.get("_fallback")
        if fallback is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__} has no operation {name!r}")
        return getattr(fallback, name)

    # ------------------------------------------------------------------ jobs
    def folder(self, name: str) -> Path:
        """The directory of tuning job ``name``."""
        return self.root / name

    def create_hyper_parameter_tuning_job(self, **request: Any) -> dict[str, Any]:
        op = "CreateHyperParameterTuningJob"
        name = request.get("HyperParameterTuningJobName")
        if not isinstance(name, str) or not name:
            raise _client_error("ValidationException", "HyperParameterTuningJobName: required",
                                op)
        folder = self.folder(name)
        if (folder / "job.json").exists():
            raise _client_error("ResourceInUse", f"tuning job {name!r} already exists "
                                f"({folder})", op)
        try:
            doc = document_from_request(request, folder, self.python)
            parse_document(doc, folder)
        except (RequestError, HPOError) as e:
            raise _client_error("ValidationException", str(e), op) from e
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "job.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        self._start(name)
        return {"HyperParameterTuningJobArn": tuning_job_arn(name)}

    def _start(self, name: str) -> None:
        folder = self.folder(name)
        log = open(folder / "tuner.log", "ab")  # noqa: SIM115 - the child holds it
        try:
            self._tuners[name] = subprocess.Popen(
                [self.python, "-m", "hpo_core.cli", "tune", str(folder / "job.json"), "--quiet"],
                cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()

    def _document(self, name: str, op: str) -> dict[str, Any]:
        path = self.folder(name) / "job.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except FileNotFoundError:
            raise _client_error("ResourceNotFound", f"Amazon SageMaker can't find a tuning job "
                                f"with name {name} (looked in {self.root})", op) from None

    def describe_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str,
                                            **_: Any) -> dict[str, Any]:
        name = HyperParameterTuningJobName
        doc = self._document(name, _DESCRIBE)
        folder = self.folder(name)
        store = Store(folder) if is_job_dir(folder) else None
        if store is None or store.get("document") is None:
            if store is not None:
                store.close()
            response = self._not_started(name, doc)
        else:
            try:
                response = describe(store)
                stopping = store.get("stop_requested")
            finally:
                store.close()
            if response["HyperParameterTuningJobStatus"] == "InProgress" and stopping:
                response["HyperParameterTuningJobStatus"] = "Stopping"
        self._check_tuner(name, response)
        if self.strip_local:
            response = without_local(response)
        return as_boto(_DESCRIBE, response)

    def _not_started(self, name: str, doc: dict[str, Any]) -> dict[str, Any]:
        """The job between create and its tuner's first write: InProgress, nothing run."""
        created = datetime.fromtimestamp((self.folder(name) / "job.json").stat().st_mtime, UTC)
        response: dict[str, Any] = {
            "HyperParameterTuningJobName": name, "HyperParameterTuningJobArn": tuning_job_arn(name),
            "HyperParameterTuningJobConfig": service_config(doc["HyperParameterTuningJobConfig"]),
            "HyperParameterTuningJobStatus": "InProgress",
            "CreationTime": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "TrainingJobStatusCounters": {k: 0 for k in (
                "Completed", "InProgress", "RetryableError", "NonRetryableError", "Stopped")},
            "ObjectiveStatusCounters": {"Succeeded": 0, "Pending": 0, "Failed": 0},
            "Local": {"Directory": str(self.folder(name))}}
        return response

    def _check_tuner(self, name: str, response: dict[str, Any]) -> None:
        """A job whose tuner process (started here) died unfinished is Failed."""
        proc = self._tuners.get(name)
        if proc is None or proc.poll() is None:
            return
        if response["HyperParameterTuningJobStatus"] in ("InProgress", "Stopping"):
            try:
                tail = (self.folder(name) / "tuner.log").read_text(errors="replace")[-800:]
            except OSError:
                tail = ""
            response["HyperParameterTuningJobStatus"] = "Failed"
            response["FailureReason"] = (f"the local tuner exited with status "
                                         f"{proc.returncode}: {tail.strip()}")[:1024]

    def list_training_jobs_for_hyper_parameter_tuning_job(
            self, HyperParameterTuningJobName: str, NextToken: str | None = None,
            MaxResults: int = 10, SortBy: str = "Name", SortOrder: str = "Ascending",
            StatusEquals: str | None = None, **_: Any) -> dict[str, Any]:
        name = HyperParameterTuningJobName
        self._document(name, _LIST)
        folder = self.folder(name)
        rows: list[dict[str, Any]] = []
        if is_job_dir(folder):
            store = Store(folder)
            try:
                rows = summaries(store)
            finally:
                store.close()
        try:
            page = list_page(rows, sort_by=SortBy, sort_order=SortOrder,
                             status_equals=StatusEquals, max_results=MaxResults,
                             next_token=NextToken)
        except ValueError as e:
            raise _client_error("ValidationException", str(e), _LIST) from e
        if self.strip_local:
            page = without_local(page)
        return as_boto(_LIST, page)

    def stop_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str,
                                        **_: Any) -> dict[str, Any]:
        op = "StopHyperParameterTuningJob"
        name = HyperParameterTuningJobName
        self._document(name, op)
        folder = self.folder(name)
        deadline = time.monotonic() + 60.0
        while not is_job_dir(folder) and time.monotonic() < deadline:
            time.sleep(0.1)  # the tuner has not created its store yet
        if not is_job_dir(folder):
            raise _client_error("ResourceNotFound", f"tuning job {name!r} has not started "
                                "(no store after 60 s)", op)
        store = Store(folder)
        try:
            store.request_stop()
        finally:
            store.close()
        return {}

    def wait_for_tuners(self, timeout: float | None = None) -> None:
        """Wait for the tuner processes started by this client (tests, scripts' ends)."""
        for proc in self._tuners.values():
            proc.wait(timeout=timeout)
