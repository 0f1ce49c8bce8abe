"""``hpo`` subcommands for tuning jobs; every command names a job by its directory.

    hpo tune FILE [--dir DIR] [--quiet]   run (or resume) the job of a .json/.yaml document
    hpo list [ROOT]                       the job directories under ROOT (default: ., 4 levels)
    hpo describe DIR                      DescribeHyperParameterTuningJob-shaped JSON
    hpo trials DIR [--csv] [--sort COL]   one row per training job, best first
    hpo stop DIR                          stop the job (its tuner stops the running jobs)
    hpo logs DIR TRAINING_JOB             print one training job's log

Exit codes: 0 success (for ``tune``: the job ended Completed or Stopped); 1 ``tune``: the job
ended Failed; 2 bad input (invalid document, not a job directory, directory locked by another
tuner) or storage that cannot be used (a store missing, empty, stale or damaged where training
jobs ran; a full disk, after which ``hpo tune`` resumes the job; read-only media, where the
read commands still work), with a one-line message on stderr naming the file; 130 interrupted
by Ctrl-C or SIGTERM (the running training jobs are killed; ``hpo tune`` again resumes the
job).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register tune, list, describe, trials, stop and logs."""
    p = subparsers.add_parser("tune", help="run or resume a tuning job document",
                              description="Run the tuning job of FILE (.json or .yaml). If the "
                              "job directory holds an unfinished run of the same job, resume it. "
                              "A line per training job event goes to stderr; on a terminal a "
                              "live bar also shows done/total, running, failed, best so far, "
                              "elapsed and time left (rich with the 'progress' extra, else a "
                              "plain line).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dir", metavar="DIR", help="job directory (default: Local.Directory, "
                   "else runs/<job name> next to FILE)")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    p.set_defaults(run=_tune)

    p = subparsers.add_parser("list", help="list the tuning jobs under a folder")
    p.add_argument("root", metavar="ROOT", nargs="?", default=".")
    p.set_defaults(run=_list)

    p = subparsers.add_parser("describe", help="a tuning job's status and best training job "
                              "(JSON)")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(run=_describe)

    p = subparsers.add_parser(
        "trials", help="a tuning job's training jobs, best first",
        description="One row per training job: name, status, objective and hyperparameters "
        "(6 significant digits), start (ISO 8601 UTC), duration, failure reason. --csv "
        "writes name, status, objective, hyperparameters and failure reason at full "
        "precision.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--csv", action="store_true", help="CSV instead of a text table")
    p.add_argument("--sort", metavar="COLUMN", default="objective",
                   help="objective (default: best first, by the job's direction), name, "
                   "status, start, duration, creation (job order) or a hyperparameter's name; "
                   "ascending, missing values last")
    p.add_argument("--reverse", action="store_true",
                   help="the opposite order (missing values still last)")
    p.set_defaults(run=_trials)

    p = subparsers.add_parser("stop", help="stop a tuning job")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(run=_stop)

    p = subparsers.add_parser("logs", help="print a training job's log")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("training_job", metavar="TRAINING_JOB")
    p.set_defaults(run=_logs)


def run(args: argparse.Namespace) -> int:
    """Dispatch (``args.run`` is set by :func:`add_parser`)."""
    return int(args.run(args))


def _tune(args: argparse.Namespace) -> int:
    from hpo_core.jobs.tuning_job import TuningJob

    job = TuningJob.from_file(args.file, directory=args.dir)
    if job.spec.strategy == "Bayesian":  # only the GP strategy starts JAX
        from hpo_core.strategies.threads import pin_xla_threads

        pin_xla_threads()
    previous = signal.signal(signal.SIGTERM, _terminate)  # like Ctrl-C: end cleanly, resumable
    try:
        result = job.run(quiet=args.quiet)
    finally:
        signal.signal(signal.SIGTERM, previous)
    status = result["HyperParameterTuningJobStatus"]
    local = result.get("Local", {})
    reason = local.get("CompletionReason") or result.get("FailureReason")
    print(f"{result['HyperParameterTuningJobName']}: {status}"
          + (f" ({reason})" if reason else ""))
    counts = result["TrainingJobStatusCounters"]
    print(f"training jobs: {counts['Completed']} completed, {counts['NonRetryableError']} "
          f"failed, {counts['Stopped']} stopped; directory {local.get('Directory')}")
    best = result.get("BestTrainingJob")
    if best:
        m = best["FinalHyperParameterTuningJobObjectiveMetric"]
        print(f"best training job: {best['TrainingJobName']} {m['MetricName']}={m['Value']:.6g}")
        for k, v in best["TunedHyperParameters"].items():
            print(f"  {k} = {v}")
    return 1 if status == "Failed" else 0


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _store(directory: str) -> Any:
    from hpo_core.jobs.store import Store

    return Store(directory)


def _describe(args: argparse.Namespace) -> int:
    from hpo_core.jobs.views import describe

    store = _store(args.dir)
    try:
        print(json.dumps(describe(store), indent=2))
    finally:
        store.close()
    return 0


def _trials(args: argparse.Namespace) -> int:
    from hpo_core.jobs.views import format_table, job_maximizes, summaries

    store = _store(args.dir)
    try:
        rows = summaries(store)
        maximize = job_maximizes(store)
    finally:
        store.close()
    try:
        text = format_table(rows, as_csv=args.csv, maximize=maximize, sort=args.sort,
                            reverse=args.reverse)
    except ValueError as e:  # an unknown --sort column: a usage error, as argparse's
        print(f"hpo trials: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def _stop(args: argparse.Namespace) -> int:
    store = _store(args.dir)
    try:
        status = store.get("status")
        if status in ("Completed", "Failed", "Stopped"):
            print(f"{args.dir}: the job already ended ({status})")
            return 0
        store.request_stop()
        if store.is_locked():
            print(f"{args.dir}: stop requested; the running tuner is stopping its training jobs")
            return 0
        _stop_offline(store)
        print(f"{args.dir}: no tuner was running; job marked Stopped")
    finally:
        store.close()
    return 0


def _stop_offline(store: Any) -> None:
    """Stop a job whose tuner is dead: end what it left running, mark everything Stopped."""
    from hpo_core.adapters.local import LocalBackend

    for row in store.trials():
        if row["status"] in ("Pending", "InProgress"):
            if row["process"]:
                LocalBackend().reap(row["process"])
            store.update_trial(row["id"], "stopped", status="Stopped",
                               reason="tuning job stopped (hpo stop)", process=None)
    store.set_status("Stopped", "stopped by request (hpo stop)")


def _list(args: argparse.Namespace) -> int:
    from hpo_core.errors import JobStateError, StorageError
    from hpo_core.jobs.store import DB_NAME, Store
    from hpo_core.jobs.views import describe

    root = Path(args.root)
    if not root.is_dir():
        raise JobStateError(f"{root}: not a directory")
    found = _job_dirs(root, DB_NAME)
    rows = [("NAME", "STATUS", "COMPLETED", "TOTAL", "BEST", "DIRECTORY")]
    unreadable = 0
    for folder in found:
        try:
            store = Store(folder)
            try:
                d = describe(store)
            finally:
                store.close()
        except StorageError as e:  # one damaged job does not hide the others
            print(f"hpo list: error: {e}", file=sys.stderr)
            rows.append(("?", "Unreadable", "", "", "", str(folder)))
            unreadable += 1
            continue
        best = d.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric")
        total = sum(v for k, v in d["TrainingJobStatusCounters"].items() if k != "RetryableError")
        rows.append((d["HyperParameterTuningJobName"] or "?", d["HyperParameterTuningJobStatus"],
                     str(d["TrainingJobStatusCounters"]["Completed"]), str(total),
                     "" if best is None else f"{best['Value']:.6g}", str(folder)))
    if len(rows) == 1:
        print(f"no tuning jobs under {root}")
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
    return 2 if unreadable else 0


def _job_dirs(root: Path, db_name: str, depth: int = 4) -> list[Path]:
    """Job directories at most ``depth`` levels below ``root`` (hidden folders and the
    insides of job directories are not searched)."""
    found = []
    base = len(root.resolve().parts)
    for folder, subdirs, files in os.walk(root):
        here = Path(folder)
        if db_name in files:
            found.append(here)
            subdirs[:] = []
            continue
        if len(here.resolve().parts) - base >= depth:
            subdirs[:] = []
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in (
            "node_modules", "site-packages", "__pycache__"))
    return sorted(found)


def _logs(args: argparse.Namespace) -> int:
    from hpo_core.errors import JobStateError

    store = _store(args.dir)
    try:
        row = store.trial_by_name(args.training_job)
        names = [t["name"] for t in store.trials()]
    finally:
        store.close()
    if row is None:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise JobStateError(f"{args.dir}: no training job named {args.training_job!r} "
                            f"(known: {shown or 'none'})")
    path = Path(row["log_path"] or "")
    if not path.is_file():
        raise JobStateError(f"{args.training_job}: no log yet (expected {path})")
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    return 0
