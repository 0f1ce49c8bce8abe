"""Read-only views of a job store: ``describe`` (shaped like DescribeHyperParameterTuningJob),
trial summaries (HyperParameterTrainingJobSummary), a text table, and the progress printer.

Times are ISO 8601 strings (UTC). Trial status ``Pending`` (created, waiting for a slot or
re-queued after a crash) is a local addition to AMT's InProgress/Completed/Failed/Stopped.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from hpo_core.jobs.rules import not_improving_count
from hpo_core.jobs.store import Store

__all__ = ["Progress", "describe", "format_table", "summaries"]


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(
        timespec="seconds").replace("+00:00", "Z")


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
            "TrainingJobDefinitionName": t["definition"],
            "TuningJobName": doc.get("HyperParameterTuningJobName"),
            "CreationTime": _iso(t["created"]),
            "TrainingStartTime": _iso(t["started"]),
            "TrainingEndTime": _iso(t["ended"]),
            "TrainingJobStatus": t["status"],
            "TunedHyperParameters": {k: v for k, v in t["hyperparameters"].items()
                                     if not k.startswith("_tuning") and k not in statics},
            "ObjectiveStatus": ("Succeeded" if t["status"] == "Completed" else "Failed"
                                if t["status"] in ("Failed", "Stopped") else "Pending"),
        }
        if t["value"] is not None:
            item["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": obj.get("Type"), "MetricName": obj.get("MetricName"),
                "Value": t["value"]}
        if t["reason"]:
            item["FailureReason"] = t["reason"]
        item["LogPath"] = t["log_path"]
        item["Attempts"] = t["attempts"]
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
    out: dict[str, Any] = {
        "HyperParameterTuningJobName": doc.get("HyperParameterTuningJobName"),
        "HyperParameterTuningJobStatus": store.get("status", "InProgress"),
        "CreationTime": _iso(store.get("created")),
        "HyperParameterTuningEndTime": _iso(store.get("ended")),
        "LastModifiedTime": _iso(store.get("last_modified")),
        "HyperParameterTuningJobConfig": doc.get("HyperParameterTuningJobConfig"),
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
    for key in ("TrainingJobDefinition", "TrainingJobDefinitions", "WarmStartConfig", "Tags"):
        if key in doc:
            out[key] = doc[key]
    if done:
        best = min(done, key=lambda t: (-t["value"] if maximize else t["value"], t["id"]))
        out["BestTrainingJob"] = next(s for s in summaries(store)
                                      if s["TrainingJobName"] == best["name"])
    if store.get("converged_at") is not None:
        out["TuningJobCompletionDetails"]["ConvergenceDetectedTime"] = _iso(
            store.get("converged_at"))
    reason = store.get("status_reason")
    if reason:
        key = "FailureReason" if out["HyperParameterTuningJobStatus"] == "Failed" else \
            "CompletionReason"
        out[key] = reason
    out["Directory"] = str(store.directory)
    return out


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
