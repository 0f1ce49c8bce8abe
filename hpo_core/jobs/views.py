"""Read-only views of a job store: ``describe`` (a DescribeHyperParameterTuningJob response),
trial summaries (HyperParameterTrainingJobSummary), a text table, and the progress printer.

Both responses pass botocore's validation of the service's output shapes once their one
extras key ``"Local"`` is taken out (see :mod:`hpo_core.jobs.responses`). Times are ISO 8601
strings (UTC, milliseconds: ``2026-01-02T03:04:05.123Z``, :func:`iso_time`) and durations are
seconds, minutes or hours (:func:`duration_text`); the report uses the same formats. Trial
status ``Pending`` (created, waiting for a slot or re-queued after a crash) is a local addition
to AMT's InProgress/Completed/Failed/Stopped: it shows as ``InProgress``, with
``Local.Status`` = ``Pending``.
"""

from __future__ import annotations

import csv
import io
import itertools
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
from hpo_core.progress import Display, clock_text, is_terminal, open_display, time_left

__all__ = ["SORT_KEYS", "Progress", "describe", "duration_text", "format_table", "iso_time",
           "job_maximizes", "significant", "summaries"]

#: The service's responses carry times to the millisecond.
_MS = "milliseconds"
#: Columns ``format_table`` sorts by besides the hyperparameters (``creation`` is job order).
SORT_KEYS = ("objective", "name", "status", "start", "duration", "creation")


def iso_time(t: float | None, timespec: str = "seconds") -> str | None:
    """``time.time()`` seconds as ISO 8601 UTC: to the millisecond in the service's responses
    (``timespec="milliseconds"``: ``2026-01-02T03:04:05.123Z``), to the second for people
    (tables, the report)."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(
        timespec=timespec).replace("+00:00", "Z")


def _to_seconds(iso: str | None) -> str:
    """A response's millisecond time shown to the second (``...05.123Z`` -> ``...05Z``)."""
    return "" if not iso else iso.split(".")[0].rstrip("Z") + "Z"


def duration_text(seconds: float | None, missing: str = "") -> str:
    """A duration in one unit, three significant digits: ``4.21 s``, ``2.37 min``, ``1.5 h``
    (seconds below a minute, minutes below an hour)."""
    if seconds is None:
        return missing
    if float(f"{seconds:.3g}") < 60:
        return f"{seconds:.3g} s"
    if float(f"{seconds / 60:.3g}") < 60:  # (59.96 s is "1 min", not "0.999 min")
        return f"{max(seconds / 60, 1.0):.3g} min"
    return f"{max(seconds / 3600, 1.0):.3g} h"


def significant(value: Any, digits: int = 6) -> str:
    """A number (or a numeric AMT string) to ``digits`` significant digits; integers and
    other text as they are: ``"0.012599210498948731" -> "0.0125992"``, ``"relu" -> "relu"``."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if not text or text.lstrip("+-").isdigit():
            return value
        try:
            number = float(text)
        except ValueError:
            return value
    elif isinstance(value, float):
        number = value
    else:
        return str(value)
    return f"{number:.{digits}g}"


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
            "CreationTime": iso_time(t["created"], _MS),
            "TrainingStartTime": iso_time(t["started"], _MS),
            "TrainingEndTime": iso_time(t["ended"], _MS),
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
        # local: the seconds from start to end (AMT's DescribeTrainingJob has it as an integer)
        seconds = None if t["started"] is None or t["ended"] is None \
            else round(t["ended"] - t["started"], 3)
        item["Local"] = {"Status": t["status"], "LogPath": t["log_path"],
                         "Attempts": t["attempts"], "TrainingTimeInSeconds": seconds}
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
        "CreationTime": iso_time(store.get("created"), _MS),
        "HyperParameterTuningEndTime": iso_time(store.get("ended"), _MS),
        "LastModifiedTime": iso_time(store.get("last_modified"), _MS),
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
        out["TuningJobCompletionDetails"]["ConvergenceDetectedTime"] = iso_time(
            store.get("converged_at"), _MS)
    local: dict[str, Any] = {"Directory": str(store.directory)}
    reason = store.get("status_reason")
    if reason:
        if out["HyperParameterTuningJobStatus"] == "Failed":
            out["FailureReason"] = reason
        else:
            local["CompletionReason"] = reason
    out["Local"] = local
    return out


def _seconds(summary: dict[str, Any]) -> float | None:
    """A summary's local training time (``Local.TrainingTimeInSeconds``), None if unknown."""
    return (summary.get("Local") or {}).get("TrainingTimeInSeconds")


def job_maximizes(store: Store) -> bool:
    """Whether the job's objective is maximized (a multi-definition job: its first
    definition's)."""
    return _objective_type(store.get("document") or {}) == "Maximize"


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


def _sort_key(column: str, maximize: bool, names: list[str]) -> Any:
    """The key of a row for ``column``; rows without the value sort last."""
    def objective(r: dict[str, Any]) -> tuple[int, Any]:
        m = r.get("FinalHyperParameterTuningJobObjectiveMetric")
        return (1, 0.0) if m is None else (0, -m["Value"] if maximize else m["Value"])

    def by(field: str) -> Any:
        return lambda r: (r.get(field) is None, r.get(field) or 0)

    def hyperparameter(r: dict[str, Any]) -> tuple[int, Any]:
        v = r["TunedHyperParameters"].get(column)
        if v is None:
            return (2, "")
        try:
            return (0, float(v))
        except (TypeError, ValueError):
            return (1, str(v))

    keys = {"objective": objective, "name": by("TrainingJobName"),
            "status": by("TrainingJobStatus"), "start": by("TrainingStartTime"),
            "duration": lambda r: (_seconds(r) is None, _seconds(r) or 0), "creation": None}
    if column in keys:
        return keys[column]
    if column in names:
        return hyperparameter
    raise ValueError(f"--sort: expected one of {', '.join([*SORT_KEYS, *names])}, "
                     f"got {column!r}")


def format_table(rows: list[dict[str, Any]], as_csv: bool = False,
                 sort_by_objective: bool = True, maximize: bool = True,
                 sort: str | None = None, reverse: bool = False) -> str:
    """A table of trial summaries, one row per training job.

    Text: name, status, objective and hyperparameters to 6 significant digits, start (ISO
    8601 UTC), duration, the first line of the failure reason. CSV: name, status, objective,
    hyperparameters, failure reason, at full precision (as the job recorded them).

    Args:
        rows: :func:`summaries`.
        as_csv: CSV instead of aligned text.
        sort_by_objective: best first (``sort=None`` only); else job order.
        maximize: the objective's direction (for the objective order).
        sort: a column of :data:`SORT_KEYS` or a hyperparameter name; ``objective`` is best
            first, the others ascending (missing values last). Overrides ``sort_by_objective``.
        reverse: the opposite order (missing values still last).

    Raises:
        ValueError: an unknown ``sort`` column (the message lists the known ones).
    """
    names: list[str] = []
    for r in rows:
        names += [n for n in r["TunedHyperParameters"] if n not in names]
    column = sort or ("objective" if sort_by_objective else "creation")
    key = _sort_key(column, maximize, names)
    if key is None:
        rows = list(reversed(rows)) if reverse else list(rows)
    else:  # a key is (rank, value): rank > 0 for missing values, which stay last either way
        rows = sorted(rows, key=key)
        if reverse:
            groups = itertools.groupby(rows, key=lambda r: key(r)[0])
            rows = [r for _, group in groups for r in reversed(list(group))]
    if as_csv:
        header = ["TrainingJobName", "Status", "Objective", *names, "FailureReason"]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for r in rows:
            m = r.get("FinalHyperParameterTuningJobObjectiveMetric")
            writer.writerow([r["TrainingJobName"], r["TrainingJobStatus"],
                             "" if m is None else repr(float(m["Value"])),
                             *[r["TunedHyperParameters"].get(n, "") for n in names],
                             ((r.get("FailureReason") or "").splitlines() or [""])[0][:60]])
        return buf.getvalue()
    header = ["TrainingJobName", "Status", "Objective", *names, "Start (UTC)", "Duration",
              "FailureReason"]
    table = []
    for r in rows:
        m = r.get("FinalHyperParameterTuningJobObjectiveMetric")
        reason = (r.get("FailureReason") or "").splitlines()
        table.append([r["TrainingJobName"], r["TrainingJobStatus"],
                      "" if m is None else significant(float(m["Value"])),
                      *[significant(r["TunedHyperParameters"].get(n, "")) for n in names],
                      _to_seconds(r.get("TrainingStartTime")),
                      duration_text(_seconds(r)),
                      reason[0][:60] if reason else ""])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *table]]
    return "\n".join(lines) + "\n"


class Progress:
    """Progress output: one plain line per training job event; on a terminal (and not
    ``quiet``) also a live bar: done/total, running, failed, best so far, elapsed and an
    estimate of the time left (:mod:`hpo_core.progress`: rich's bar with the ``progress``
    extra, else a plain line redrawn in place). ``quiet`` prints nothing. Off a terminal the
    output is the event lines only.
    """

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = not quiet and is_terminal(self.stream)
        self._last_draw = 0.0
        self._last: tuple[Any, ...] | None = None
        self._display: Display | None = None

    def event(self, text: str) -> None:
        if self.quiet:
            return
        line = f"{time.strftime('%H:%M:%S')} {text}"
        if self._display is not None:
            self._display.write(line)
            return
        self.stream.write(("\r\x1b[K" if self.live else "") + line + "\n")
        self.stream.flush()

    def status(self, done: int, running: int, failed: int, total: int,
               best: float | None, elapsed: float | None = None) -> None:
        """Redraw the bar when a count changed, else at most every 0.5 s (for the clock);
        ``elapsed``: the job's seconds so far (over resumes), for the estimate."""
        if not self.live:
            return
        now = time.monotonic()
        counts = (done, running, failed, total, best)
        if counts == self._last and now - self._last_draw < 0.5:
            return
        self._last, self._last_draw = counts, now
        if self._display is None:
            self._display = open_display(total, self.stream)
        fields = {"running": str(running), "failed": str(failed),
                  "best": "-" if best is None else f"{best:.6g}"}
        if elapsed is not None:
            fields["elapsed"] = clock_text(elapsed)
            fields["left"] = clock_text(time_left(elapsed, done, total))
        self._display.update(done, fields)

    def close(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None
