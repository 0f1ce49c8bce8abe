"""Read-only views of a job store: ``describe`` (a DescribeHyperParameterTuningJob response),
trial summaries (HyperParameterTrainingJobSummary), a text table, and the progress printer.

Both responses pass botocore's validation of the service's output shapes once their one
extras key ``"Local"`` is taken out (see :mod:`hpo_core.jobs.responses`). Times are ISO 8601
strings (UTC, milliseconds). Trial status ``Pending`` (created, waiting for a slot or re-queued
after a crash) is a local addition to AMT's InProgress/Completed/Failed/Stopped: it shows as
``InProgress``, with ``Local.Status`` = ``Pending``.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from hpo_core.jobs.responses import (
    service_config,
    service_definition,
    training_job_arn,
    tuning_job_arn,
)
from hpo_core.jobs.rules import not_improving_count
from hpo_core.jobs.store import Store

__all__ = ["Progress", "describe", "format_table", "summaries"]


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def _objective(doc: dict[str, Any], definition: str) -> dict[str, str]:
    config = doc.get("HyperParameterTuningJobConfig", {})
    if "HyperParameterTuningJobObjective" in config:
        return dict(config["HyperParameterTuningJobObjective"])
    defs = doc.get("TrainingJobDefinitions") or [doc.get("TrainingJobDefinition", {})]
    for d in defs:
        if d.get("DefinitionName", "default") == definition or len(defs) == 1:
            return dict(d.get("TuningObjective", {}))
    return {}


def _statics(doc: dict[str, Any], definition: str) -> set[str]:
    defs = doc.get("TrainingJobDefinitions") or [doc.get("TrainingJobDefinition", {})]
    for d in defs:
        if d.get("DefinitionName", "default") == definition or len(defs) == 1:
            return set(d.get("StaticHyperParameters", {}))
    return set()


def summaries(store: Store) -> list[dict[str, Any]]:
    """One HyperParameterTrainingJobSummary-shaped dict per training job, in id order
    (``TunedHyperParameters`` leaves out static hyperparameters, as AMT does)."""
    doc = store.get("document") or {}
    out = []
    for t in store.trials():
        obj = _objective(doc, t["definition"])
        statics = _statics(doc, t["definition"])
        item: dict[str, Any] = {
            "TrainingJobName": t["name"],
            "TrainingJobArn": training_job_arn(t["name"]),
            "TrainingJobDefinitionName": t["definition"],
            "TuningJobName": doc.get("HyperParameterTuningJobName"),
            "CreationTime": _iso(t["created"]),
            "TrainingStartTime": _iso(t["started"]),
            "TrainingEndTime": _iso(t["ended"]),
            "TrainingJobStatus": "InProgress" if t["status"] == "Pending" else t["status"],
            "TunedHyperParameters": {k: v for k, v in t["hyperparameters"].items()
                                     if not k.startswith("_tuning") and k not in statics},
            "ObjectiveStatus": ("Succeeded" if t["status"] == "Completed" else "Failed"
                                if t["status"] in ("Failed", "Stopped") else "Pending"),
        }
        item = {k: v for k, v in item.items() if v is not None}
        if t["value"] is not None:
            item["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": obj.get("Type"), "MetricName": obj.get("MetricName"),
                "Value": t["value"]}
        if t["reason"]:
            item["FailureReason"] = t["reason"]
        item["Local"] = {"Status": t["status"], "LogPath": t["log_path"],
                         "Attempts": t["attempts"]}
        out.append(item)
    return out


def _completed_in_order(store: Store) -> list[dict[str, Any]]:
    done = [t for t in store.trials("Completed") if t["value"] is not None]
    return sorted(done, key=lambda t: (t["ended"] or 0.0, t["id"]))


def describe(store: Store) -> dict[str, Any]:
    """The job as a DescribeHyperParameterTuningJob-shaped dict."""
    doc = store.get("document") or {}
    maximize = _objective_type(doc) == "Maximize"
    trials = store.trials()
    counts = {s: 0 for s in ("Completed", "InProgress", "RetryableError", "NonRetryableError",
                             "Stopped")}
    for t in trials:
        if t["status"] in ("Pending", "InProgress"):
            counts["InProgress"] += 1
        elif t["status"] == "Failed":
            counts["NonRetryableError"] += 1
        else:
            counts[t["status"]] += 1
    counts["RetryableError"] = sum(e["event"] == "retry" for e in store.events())
    done = _completed_in_order(store)
    name = doc.get("HyperParameterTuningJobName") or ""
    out: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": tuning_job_arn(name),
        "HyperParameterTuningJobStatus": store.get("status", "InProgress"),
        "CreationTime": _iso(store.get("created")),
        "HyperParameterTuningEndTime": _iso(store.get("ended")),
        "LastModifiedTime": _iso(store.get("last_modified")),
        "HyperParameterTuningJobConfig": service_config(doc.get("HyperParameterTuningJobConfig")),
        "TrainingJobStatusCounters": counts,
        "ObjectiveStatusCounters": {
            "Succeeded": len(done),
            "Pending": sum(t["status"] in ("Pending", "InProgress") for t in trials),
            "Failed": sum(t["status"] in ("Failed", "Stopped") or (
                t["status"] == "Completed" and t["value"] is None) for t in trials)},
        "TuningJobCompletionDetails": {
            "NumberOfTrainingJobsObjectiveNotImproving": not_improving_count(
                [t["value"] for t in done], maximize)},
        "ConsumedResources": {"RuntimeInSeconds": int(store.get("elapsed", 0.0))},
    }
    out = {k: v for k, v in out.items() if v is not None}
    for key in ("WarmStartConfig", "Tags"):
        if key in doc:
            out[key] = doc[key]
    if "TrainingJobDefinition" in doc:
        out["TrainingJobDefinition"] = _service_definition(doc, doc["TrainingJobDefinition"],
                                                           store)
    if "TrainingJobDefinitions" in doc:
        out["TrainingJobDefinitions"] = [_service_definition(doc, d, store)
                                         for d in doc["TrainingJobDefinitions"]]
    if done:
        best = min(done, key=lambda t: (-t["value"] if maximize else t["value"], t["id"]))
        out["BestTrainingJob"] = next(s for s in summaries(store)
                                      if s["TrainingJobName"] == best["name"])
    if store.get("converged_at") is not None:
        out["TuningJobCompletionDetails"]["ConvergenceDetectedTime"] = _iso(
            store.get("converged_at"))
    local: dict[str, Any] = {"Directory": str(store.directory)}
    reason = store.get("status_reason")
    if reason:
        if out["HyperParameterTuningJobStatus"] == "Failed":
            out["FailureReason"] = reason
        else:
            local["CompletionReason"] = reason
    out["Local"] = local
    return out


def _service_definition(doc: dict[str, Any], definition: dict[str, Any],
                        store: Store) -> dict[str, Any]:
    name = definition.get("DefinitionName", "default")
    local = doc.get("Local") or {}
    own = (local.get("Definitions") or {}).get(name) or {}
    channels = own.get("Channels") if own.get("Channels") is not None else local.get("Channels")
    base = Path(store.get("base_dir") or ".")
    folders = {c: (base / str(f)).resolve() for c, f in (channels or {}).items()}
    metric = _objective(doc, name).get("MetricName")
    return service_definition(definition, metric, folders, Path(store.directory))


def _objective_type(doc: dict[str, Any]) -> str:
    defs = doc.get("TrainingJobDefinitions") or [doc.get("TrainingJobDefinition", {})]
    name = defs[0].get("DefinitionName", "default") if defs else "default"
    return _objective(doc, name).get("Type", "Minimize")


def format_table(rows: list[dict[str, Any]], as_csv: bool = False,
                 sort_by_objective: bool = True, maximize: bool = True) -> str:
    """A table of trial summaries: name, status, objective, hyperparameters, reason."""
    if sort_by_objective:
        def key(r: dict[str, Any]) -> tuple[int, float]:
            m = r.get("FinalHyperParameterTuningJobObjectiveMetric")
            if m is None:
                return (1, 0.0)
            return (0, -m["Value"] if maximize else m["Value"])
        rows = sorted(rows, key=key)
    names: list[str] = []
    for r in rows:
        names += [n for n in r["TunedHyperParameters"] if n not in names]
    header = ["TrainingJobName", "Status", "Objective", *names, "FailureReason"]
    table = []
    for r in rows:
        m = r.get("FinalHyperParameterTuningJobObjectiveMetric")
        reason = (r.get("FailureReason") or "").splitlines()
        table.append([r["TrainingJobName"], r["TrainingJobStatus"],
                      "" if m is None else f"{m['Value']:.6g}",
                      *[r["TunedHyperParameters"].get(n, "") for n in names],
                      reason[0][:60] if reason else ""])
    if as_csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
        return buf.getvalue()
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *table]]
    return "\n".join(lines) + "\n"


class Progress:
    """Progress output: one plain line per finished training job; on a terminal (and not
    ``quiet``) also a status line redrawn in place. ``quiet`` prints nothing.

    No dependency: plain text on ``stream`` (stderr by default).
    """

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_draw = 0.0

    def event(self, text: str) -> None:
        if self.quiet:
            return
        prefix = "\r\x1b[K" if self.live else ""
        self.stream.write(f"{prefix}{time.strftime('%H:%M:%S')} {text}\n")
        self.stream.flush()

    def status(self, done: int, running: int, failed: int, total: int,
               best: float | None) -> None:
        if not self.live or time.monotonic() - self._last_draw < 0.5:
            return
        self._last_draw = time.monotonic()
        width = 24
        filled = int(width * done / total) if total else 0
        bar = "#" * filled + "-" * (width - filled)
        best_text = "-" if best is None else f"{best:.6g}"
        self.stream.write(f"\r\x1b[K[{bar}] {done}/{total} done, {running} running, "
                          f"{failed} failed, best {best_text}")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
