"""The tuner's engine: the loop that runs one tuning job in its job directory.

Used by :meth:`hpo_core.jobs.TuningJob.run` (see :mod:`hpo_core.jobs.tuning_job` for the
behaviour: limits, completion, retries, durability and resume). One ``Engine`` runs one session of a
job: it holds the store's lock, the Optimizer, the running training jobs and the
:class:`~hpo_core.jobs.feed.Feed` that the backends' reader threads fill with the metrics they
found (each line is searched on its reader thread, so no regex can hold this loop, and the
feed is bounded, so a job that prints faster than the loop stores waits for it); everything
else happens on the caller's thread.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import Backend, JobState, TrainingJobRequest
from hpo_core.errors import ExecutionError, OptimizerError, StorageError
from hpo_core.jobs.document import Definition, JobSpec
from hpo_core.jobs.feed import Feed, line_sink
from hpo_core.jobs.jobdir import LOGS, TRAINING_JOBS, check_known, check_new, disk_full
from hpo_core.jobs.metrics import MetricScraper
from hpo_core.jobs.patterns import PatternSet
from hpo_core.jobs.rules import (
    check_same_job,
    combined_space,
    completion_reason,
    converged,
    split_params,
)
from hpo_core.jobs.store import Store, TrialRow
from hpo_core.jobs.views import Progress
from hpo_core.jobs.warm import warm_start_observations
from hpo_core.optimizer import Optimizer, Trial

__all__ = ["FINISHED", "Engine"]

FINISHED = ("Completed", "Failed", "Stopped")


@dataclass
class _Running:
    row: TrialRow
    definition: Definition
    trial: Trial
    handle: Any
    scraper: MetricScraper
    stopping: bool = False
    reached_max: bool = False


class Engine:
    """Runs one session of a tuning job.

    Args:
        spec: the validated job.
        store: its store, locked by the caller.
        backend: the execution backend.
        progress: where progress lines go.
        poll_interval: seconds between polls of the running jobs.
    """

    def __init__(self, spec: JobSpec, store: Store, backend: Backend, progress: Progress,
                 poll_interval: float = 0.05) -> None:
        self.spec = spec
        self.directory = spec.directory
        self._store = store
        self._backend = backend
        self._progress = progress
        self._poll = poll_interval
        self._defs = {d.name: d for d in spec.definitions}
        self._space = combined_space({d.name: d.space for d in spec.definitions})
        self._maximize = spec.objective_type == "Maximize"
        self._running: dict[int, _Running] = {}
        self._patterns = {d.name: PatternSet([(m.name, m.regex) for m in d.metrics])
                          for d in spec.definitions}
        self._feed = Feed()
        self._ending: tuple[str, str] | None = None
        self._exhausted = False

    def open(self) -> bool:
        """Start or resume; False when the directory holds a finished run."""
        store = self._store
        saved = store.get("document")
        if saved is None:
            check_new(self.directory)  # a store that lost its record: never run jobs again
            extra = {"early_stopping": "auto"} if self.spec.early_stopping == "Auto" else {}
            opt = Optimizer(self._space, self.spec.optimizer_strategy,
                            self.spec.objective_type, self.spec.seed,
                            **self.spec.strategy_options, **extra)
            if self.spec.warm_start is not None:
                for params, value in warm_start_observations(self.spec, self._space):
                    opt.enqueue(params)
                    opt.tell(opt.ask(), value)
            store.set_many({"document": self.spec.document, "created": time.time(),
                            "base_dir": str(self.spec.base_dir),
                            "status": "InProgress", "elapsed": 0.0,
                            "optimizer": opt.state_dict()})
            self._opt = opt
            return True
        check_same_job(saved, self.spec.document, self.directory)
        check_known(self.directory, {t["name"] for t in store.trials()})
        status = store.get("status")
        self._opt = Optimizer.from_state_dict(store.get("optimizer"))
        if status in FINISHED:
            self._progress.event(f"{self.spec.name}: already {status}; nothing to do")
            return False
        for row in store.trials("InProgress"):
            decided = self._opt.trials[row["opt_id"]].status == "stopped"  # early stopping
            if status != "Stopping" and not decided and row["process"] and self._adopt(row):
                continue
            if row["process"]:
                self._backend.reap(row["process"])
            if decided:
                self._finish_trial(row, self._opt.trials[row["opt_id"]],
                                   JobState("Stopped", "early stopping"), None)
            elif status == "Stopping":
                self._finish_trial(row, self._opt.trials[row["opt_id"]],
                                   JobState("Stopped", "tuning job stopped"), None)
            else:
                store.update_trial(row["id"], "requeued", status="Pending", process=None)
        if status == "Stopping":
            self._end("Stopped", store.get("status_reason") or "stopped")
            return False
        resumed = len(store.trials())
        if resumed:
            self._progress.event(f"{self.spec.name}: resuming with {resumed} training jobs "
                                 "recorded")
        return True

    def _adopt(self, row: TrialRow) -> bool:
        """Take back a job a dead tuner left running, where the backend can (``adopt``:
        Docker, SageMaker); its log is replayed from the start into a fresh scraper."""
        adopt = getattr(self._backend, "adopt", None)
        if adopt is None:
            return False
        d = self._defs[row["definition"]]
        tid = row["id"]
        scraper = self._scraper(d)
        handle = adopt(row["process"], self._request(row, d, row["attempts"] or 1),
                       line_sink(self._feed, tid, scraper))
        if handle is None:
            return False
        self._store.update_trial(tid, "adopted", clear_metrics=True)
        self._running[tid] = _Running(row, d, self._opt.trials[row["opt_id"]], handle, scraper)
        self._progress.event(f"{row['name']}: adopted (still running)")
        return True

    def loop(self) -> None:
        store = self._store
        session_start, elapsed0 = time.monotonic(), float(store.get("elapsed", 0.0))
        last_check = 0.0
        self._check_completion()  # a resumed job may have met a criterion before the crash
        try:
            while True:
                self._drain()
                self._poll_running()
                now = time.monotonic()
                elapsed = elapsed0 + now - session_start
                if now - last_check > 0.5:
                    last_check = now
                    store.set_many({"elapsed": elapsed, "last_modified": time.time()})
                    if self._ending is None and store.get("stop_requested"):
                        self._begin_end("Stopped", "stopped by request (hpo stop)")
                limit = self.spec.max_runtime_s
                if self._ending is None and limit is not None and elapsed >= limit:
                    self._begin_end("Completed", f"MaxRuntimeInSeconds={limit} reached")
                if self._ending is None:
                    self._fill()
                if self._ending is None and not self._running and self._nothing_left():
                    self._ending = ("Completed", self._end_reason())
                if self._ending is not None and not self._running:
                    store.set_many({"elapsed": elapsed})
                    self._end(*self._ending)
                    return
                self._show(elapsed)
                self._feed.wait(self._poll)  # less when the feed fills up
        except BaseException:
            self._feed.close()  # no reader waits on a loop that is gone
            for run in self._running.values():  # leave no orphan; they are re-queued on resume
                self._backend.reap(self._backend.process_info(run.handle))
            raise
        finally:
            self._feed.close()

    # ------------------------------------------------------------------ starting
    def _nothing_left(self) -> bool:
        pending = self._store.counts().get("Pending", 0)
        return not pending and (self._exhausted or self._created() >= self.spec.max_jobs)

    def _created(self) -> int:
        return sum(self._store.counts().values())

    def _end_reason(self) -> str:
        if self._exhausted and self._created() < self.spec.max_jobs:
            return "the search space is exhausted (every point was evaluated)"
        return f"MaxNumberOfTrainingJobs={self.spec.max_jobs} reached"

    def _fill(self) -> None:
        free = self.spec.max_parallel - len(self._running)
        if free <= 0:
            return
        counts = self._store.counts()
        if counts.get("Pending", 0) == 0 and (
                self._exhausted or sum(counts.values()) >= self.spec.max_jobs):
            return  # the common case once the budget is used: no scan
        waiting = [r for r in self._store.trials("Pending") if r["id"] not in self._running]
        for row in waiting[:free]:
            self._start(row)
        free = self.spec.max_parallel - len(self._running)
        want = min(free, self.spec.max_jobs - self._created())
        if want <= 0 or self._exhausted or self._ending is not None:
            return
        trials = self._ask(want)
        if not trials:
            return
        base = self._created()
        rows = [self._new_row(t, base + i) for i, t in enumerate(trials)]
        self._store.add_trials(rows, self._opt.state_dict())
        for row in self._store.trials("Pending"):
            if row["id"] in {r["id"] for r in rows}:
                self._start(row)

    def _ask(self, n: int) -> list[Trial]:
        try:
            return self._opt.ask_batch(n)
        except OptimizerError as e:
            if self._opt.capacity is None:  # not an exhausted space: the optimizer failed
                self._begin_end("Failed", f"the optimizer failed: {e}")
                return []
        out: list[Trial] = []  # a finite space ran out part-way: take what is left
        for _ in range(n):
            try:
                out.append(self._opt.ask())
            except OptimizerError:
                self._exhausted = True
                break
        return out

    def _new_row(self, trial: Trial, index: int) -> TrialRow:
        definition, params = split_params(trial.params, list(self._defs))
        d = self._defs[definition]
        digest = hashlib.sha1(f"{self.spec.name}/{index}".encode()).hexdigest()[:8]
        name = f"{self.spec.name}-{index + 1:03d}-{digest}"
        strings = d.space.to_strings(params)
        strings["_tuning_objective_metric"] = d.objective_metric
        return {"id": index, "name": name, "definition": definition, "opt_id": trial.id,
                "params": params, "hyperparameters": strings,
                "log_path": str(self.directory / LOGS / f"{name}.log")}

    def _start(self, row: TrialRow) -> None:
        if self._ending is not None:  # e.g. an earlier start in this batch aborted the job
            return
        d = self._defs[row["definition"]]
        trial = self._opt.trials[row["opt_id"]]
        attempt = (row["attempts"] or 0) + 1
        self._store.update_trial(row["id"], "started", clear_metrics=True, status="InProgress",
                                 started=time.time(), attempts=attempt, process=None)
        request = self._request(row, d, attempt)
        row = {**row, "attempts": attempt}
        tid = row["id"]
        scraper = self._scraper(d)
        try:
            handle = self._backend.start(request, line_sink(self._feed, tid, scraper))
        except ExecutionError as e:
            self._handle_state(row, trial, d, JobState(
                "Failed", str(e), retryable=e.action == "retry"), None)
            if e.action == "abort":
                self._begin_end("Failed", f"training job {row['name']} could not start: {e}")
            return
        self._running[tid] = _Running(row, d, trial, handle, scraper)
        self._store.update_trial(tid, "process", process=self._backend.process_info(handle))
        self._progress.event(f"{row['name']}: started" + (f" (attempt {attempt})"
                                                          if attempt > 1 else ""))

    def _request(self, row: TrialRow, d: Definition, attempt: int) -> TrainingJobRequest:
        return TrainingJobRequest(
            name=row["name"], directory=self.directory / TRAINING_JOBS / row["name"],
            command=d.command, cwd=self.spec.base_dir, hyperparameters=row["hyperparameters"],
            channels=d.channels, input_data_config=d.input_data_config,
            environment=d.environment, max_runtime_s=d.max_runtime_s,
            log_path=Path(row["log_path"]), attempt=attempt, definition=d.name)

    # ------------------------------------------------------------------ metrics
    def _scraper(self, d: Definition) -> MetricScraper:
        return MetricScraper(list(d.metrics), d.objective_metric, self._patterns[d.name])

    def _drain(self) -> None:
        points: list[tuple[int, str, int, float]] = []
        for tid, scraper, found in self._feed.take():
            run = self._running.get(tid)
            if run is None or run.stopping or run.scraper is not scraper:
                continue  # logged by the backend; not reported after a stop
            for u in run.scraper.apply(found):
                if u.name == run.definition.objective_metric and not self._report(
                        run, u.step, u.value):
                    run.scraper.drop_last(u.name)  # past MaxResource: not a step of the job
                    continue
                points.append((tid, u.name, u.step, u.value))
            for name, note in run.scraper.pop_notes():
                self._store.add_event(tid, "metric_note", f"{name}: {note}")
                self._progress.event(f"{run.row['name']}: metric {name!r}: {_first(note)}")
        self._store.add_metrics(points)

    def _report(self, run: _Running, step: int, value: float) -> bool:
        """Every intermediate objective value arrives here, once, in step order: the one
        place early stopping (``Auto``) and Hyperband act, through
        ``Optimizer.report(trial, step, value) -> "continue" | "stop"``.

        A stop decision is committed (with the Optimizer state) before the job is stopped. A
        job re-run after a crash replays its first steps: those the Optimizer already holds
        are not reported again. Returns False for a step past Hyperband's MaxResource (AMT
        stops the job there; the step does not count).
        """
        if self.spec.early_stopping == "Off" and self.spec.strategy != "Hyperband":
            return True
        limit = self.spec.strategy_options.get("max_resource")
        if limit is not None and step > limit:
            if not run.stopping:
                run.reached_max = True
                self._stop_run(run, f"reached MaxResource={limit}")
            return False
        if step <= getattr(run.trial, "last_step", 0):
            return True
        try:
            decision = self._opt.report(run.trial, step, value)  # type: ignore[attr-defined]
        except OptimizerError as e:
            self._progress.event(f"{run.row['name']}: step {step} not reported: {e}")
            return True
        if decision == "stop" and not run.stopping:
            self._store.update_trial(run.row["id"], "stop_decided", stopped_by="early stopping",
                                     optimizer_state=self._opt.state_dict())
            self._stop_run(run, f"early stopping at step {step}")
        return True

    # ------------------------------------------------------------------ finishing
    def _poll_running(self) -> None:
        done = []
        for tid, run in self._running.items():
            with self._feed.unbounded(tid):  # poll may wait for a finished job's readers
                state = self._backend.poll(run.handle)
            if state.done:
                done.append((tid, state))
        if not done:
            return
        self._drain()  # every line of a finished job is queued before poll reports it
        for tid, state in done:
            run = self._running.pop(tid)
            if run.reached_max and state.status == "Stopped":
                state = JobState("Completed")  # a full evaluation: its value at MaxResource
            self._handle_state(run.row, run.trial, run.definition, state, run.scraper)

    def _handle_state(self, row: TrialRow, trial: Trial, d: Definition, state: JobState,
                      scraper: MetricScraper | None) -> None:
        free = disk_full(self.directory) if state.status == "Failed" else None
        if free is not None:  # not the job's failure: it stays InProgress, re-run on resume
            raise StorageError(
                f"{self.directory}: the disk is full ({free} bytes free) and training job "
                f"{row['name']} failed ({_first(state.reason)}); the tuner stopped and the "
                "job is resumable: free space, then run 'hpo tune' again")
        if (state.status == "Failed" and state.retryable and row["attempts"] <= d.max_retries
                and self._ending is None):
            self._store.update_trial(row["id"], "retry", status="Pending", reason=state.reason)
            self._progress.event(f"{row['name']}: failed ({_first(state.reason)}), retrying")
            return
        self._finish_trial(row, trial, state, scraper)

    def _finish_trial(self, row: TrialRow, trial: Trial, state: JobState,
                      scraper: MetricScraper | None) -> None:
        status, reason, value = state.status, state.reason, None
        if status == "Completed" and scraper is not None:
            value, reason = scraper.objective_value()
            status = "Completed" if value is not None else "Failed"
        elif status == "Completed":
            status, reason = "Failed", "no metrics were read"
        if trial.status == "pending":
            if value is not None:
                try:
                    self._opt.tell(trial, value)
                except OptimizerError:  # Hyperband: it ended below its resource
                    status, value = "Failed", None
                    reason = (f"the objective was reported up to step {trial.last_step}, "
                              f"below MaxResource={trial.resource}: under Hyperband a "
                              "training job runs up to MaxResource unless it is stopped")
            if value is None:
                self._opt.tell(trial, failed=True, reason=reason or status)
        if trial.status == "stopped":  # early-stopped (even if it ended before SIGTERM):
            status, value = "Stopped", trial.value  # the Optimizer holds its last report
            reason = reason or "early stopping"
        self._store.update_trial(
            row["id"], status.lower(), optimizer_state=self._opt.state_dict(), status=status,
            value=value, reason=reason, ended=time.time(), process=None,
            final_metrics=scraper.final() if scraper is not None else None)
        shown = f"{value:.6g}" if value is not None else _first(reason)
        self._progress.event(f"{row['name']}: {status} {shown}")
        if status == "Completed":
            self._check_completion()

    def _check_completion(self) -> None:
        if self._ending is not None:
            return
        done = sorted((t for t in self._store.trials("Completed") if t["value"] is not None),
                      key=lambda t: (t["ended"], t["id"]))
        values = [t["value"] for t in done]
        c = self.spec.completion
        reason = completion_reason(values, self._maximize, self.spec.max_jobs, c.target,
                                   c.not_improving, c.convergence)
        if reason is not None:
            if c.convergence and converged(values, self._maximize, self.spec.max_jobs):
                self._store.set_many({"converged_at": time.time()})
            self._begin_end("Completed", reason)

    def _stop_run(self, run: _Running, reason: str) -> None:
        run.stopping = True
        self._backend.stop(run.handle, reason)

    def _begin_end(self, status: str, reason: str) -> None:
        """Stop what runs; the job ends with ``status`` when nothing runs any more."""
        if self._ending is not None:
            return
        self._ending = (status, reason)
        if status == "Stopped":
            self._store.set_status("Stopping", reason)
        self._progress.event(f"{self.spec.name}: ending ({reason})")
        for run in self._running.values():
            self._stop_run(run, f"tuning job ending: {reason}")
        for row in self._store.trials("Pending"):  # never started: nothing to run any more
            self._finish_trial(row, self._opt.trials[row["opt_id"]],
                               JobState("Stopped", f"not started: {reason}"), None)

    def _end(self, status: str, reason: str) -> None:
        store = self._store
        if status == "Completed" and not store.trials("Completed"):
            failed = store.trials("Failed")
            first = f"; first failure ({failed[0]['name']}): {failed[0]['reason']}" if failed \
                else ""
            status, reason = "Failed", f"no training job completed ({reason}){first}"
        store.set_status(status, reason)
        self._progress.event(f"{self.spec.name}: {status} ({_first(reason)})")

    def _show(self, elapsed: float) -> None:
        if not self._progress.live:
            return
        counts = self._store.counts()
        best = self._opt.best
        self._progress.status(counts.get("Completed", 0) + counts.get("Failed", 0)
                              + counts.get("Stopped", 0), len(self._running),
                              counts.get("Failed", 0), self.spec.max_jobs,
                              best.value if best else None, elapsed)


def _first(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0][:120] if lines else ""
