"""Replay a multi-fidelity problem in simulated time with N parallel workers.

Each worker loops: ``ask()``; train the trial step by step up to ``trial.resource`` (one step =
one unit of resource = one epoch), each step costing the curve's ``step_cost`` simulated
seconds; ``report(trial, step, value)`` after every step; on ``"stop"`` drop the trial; on
reaching ``max_resource`` ``tell(trial, value)``; on reaching a smaller ``trial.resource``
(promotion mode) leave the trial paused, untold, and free the worker. A later ``ask`` may
return that trial again with ``is_resume == True`` and a larger resource: the worker continues
from the paused step with the same curve.

Events (a worker finishing a step) are kept in a heap ordered by ``(simulated time, worker)``,
so runs are deterministic: the same problem, optimizer seed and settings give the same
result. Nothing reads the clock except ``wall_seconds``.

Budget: ``budget`` counts steps (resource units) over all workers. A worker takes one unit when
it starts a step; when none is left it abandons its trial (untold) and retires, and no worker
asks once the budget is spent. So ``total_resource`` (steps trained) equals the number of
steps reported and never exceeds ``budget``. ``max_trials`` stops asking once that many
distinct trials exist (meant for stopping-mode runs; paused trials then stay paused).

Final values: a trial that trains to ``max_resource`` (told, or stopped on its last step)
gives a final value; ``SimResult.best_value`` is the best-so-far of those over the resource
spent (completed steps) when each arrived.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from hpo_core.benchmarks.multifidelity.problems import MultiFidelityProblem
from hpo_core.errors import HPOError

__all__ = ["OUTCOMES", "MultiFidelityOptimizer", "Segments", "SimResult", "SimulationError",
           "simulate"]

#: Segment outcome codes: the index into this tuple.
OUTCOMES = ("completed", "stopped", "paused", "abandoned")
_COMPLETED, _STOPPED, _PAUSED, _ABANDONED = range(4)


class SimulationError(HPOError, RuntimeError):
    """The optimizer broke the multi-fidelity protocol (or the settings are invalid)."""


class MultiFidelityOptimizer(Protocol):
    """What :func:`simulate` needs: :class:`hpo_core.Optimizer`'s multi-fidelity ask/tell.

    ``ask()`` returns a trial with ``id``, ``params`` and optionally ``resource`` (default
    ``max_resource``) and ``is_resume`` (default False); ``report`` returns ``"continue"`` or
    ``"stop"``.
    """

    def ask(self) -> Any: ...

    def report(self, trial: Any, step: int, value: float) -> str: ...

    def tell(self, trial: Any, value: float | None = None) -> Any: ...


class Segments(NamedTuple):
    """One row per ask (a new trial or a resume), shape ``(s,)`` each, in the order the
    segments ended.

    Attributes:
        trial: trial id.
        worker: the worker that trained it, ``0..n_workers-1``.
        start, end: simulated times (``end`` = when its last step was reported).
        first_step, last_step: the 1-based steps trained (``last_step = first_step - 1``
            when it was abandoned before its first step).
        outcome: index into :data:`OUTCOMES`.
        step_cost: simulated seconds per step.
    """

    trial: np.ndarray
    worker: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first_step: np.ndarray
    last_step: np.ndarray
    outcome: np.ndarray
    step_cost: np.ndarray


@dataclass(frozen=True)
class SimResult:
    """Everything one simulated run recorded (plain data).

    Attributes:
        problem, objective, max_resource, n_workers, budget, max_trials, seed: the settings
            (``objective`` is ``"maximize"`` or ``"minimize"``).
        final_resource: shape ``(m,)``, steps completed (all workers) when each final value
            arrived.
        final_time: shape ``(m,)``, the simulated time it arrived.
        final_value: shape ``(m,)``, the value at ``max_resource``.
        best_value: shape ``(m,)``, best-so-far of ``final_value``.
        segments: per-ask records (:class:`Segments`).
        total_resource: steps trained (== steps reported).
        end_time: simulated time of the last event.
        n_trials: distinct trials asked.
        n_reports: ``report`` calls.
        counts: segments per outcome, ``{"completed": ..., "stopped": ..., "paused": ...,
            "abandoned": ...}``, plus ``"resumed"``.
        wall_seconds: wall-clock time of the whole run (optimizer included).
    """

    problem: str
    objective: str
    max_resource: int
    n_workers: int
    budget: int | None
    max_trials: int | None
    seed: int
    final_resource: np.ndarray = field(repr=False)
    final_time: np.ndarray = field(repr=False)
    final_value: np.ndarray = field(repr=False)
    best_value: np.ndarray = field(repr=False)
    segments: Segments = field(repr=False)
    total_resource: int
    end_time: float
    n_trials: int
    n_reports: int
    counts: dict[str, int]
    wall_seconds: float

    @property
    def final_best(self) -> float:
        """The best final value of the run (NaN when no trial reached max_resource)."""
        return float(self.best_value[-1]) if len(self.best_value) else float("nan")


def _check_int(name: str, value: Any, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise SimulationError(f"{name}: expected an int >= {low}"
                              f"{' or None' if allow_none else ''}, got {value!r}")


def simulate(problem: MultiFidelityProblem,
             make_optimizer: Callable[[MultiFidelityProblem, int], MultiFidelityOptimizer],
             n_workers: int = 8, budget: int | None = None, seed: int = 0, *,
             max_trials: int | None = None,
             report_steps: Iterable[int] | None = None) -> SimResult:
    """Run ``make_optimizer(problem, seed)`` on ``problem`` with ``n_workers`` workers.

    Args:
        problem: the multi-fidelity problem.
        make_optimizer: builds the optimizer (it chooses strategy, objective, resources).
        n_workers: parallel workers (>= 1).
        budget: total steps over all workers; None = unlimited (then ``max_trials`` is
            required).
        seed: passed to ``make_optimizer``.
        max_trials: stop asking after this many distinct trials; None = no limit.
        report_steps: the steps to report at; None = every step. A trial always reports at
            ``trial.resource`` (its pause or final step).

    Returns:
        The run's :class:`SimResult`.

    Raises:
        SimulationError: invalid settings, or the optimizer broke the protocol (a resume of
            a trial that is not paused, a resource outside ``(paused step, max_resource]``).
    """
    _check_int("n_workers", n_workers, 1)
    _check_int("budget", budget, 1, allow_none=True)
    _check_int("max_trials", max_trials, 1, allow_none=True)
    if budget is None and max_trials is None:
        raise SimulationError("simulate: give a budget or max_trials (or both), got neither")
    r_max = problem.max_resource
    reported = None if report_steps is None else {int(s) for s in report_steps}
    cap = budget if budget is not None else np.iinfo(np.int64).max
    trial_cap = max_trials if max_trials is not None else np.iinfo(np.int64).max
    maximize = problem.maximize
    curve = problem.curve
    wall0 = time.perf_counter()
    opt = make_optimizer(problem, seed)

    heap: list[tuple[float, int]] = []
    # per worker: [trial, values, step cost, last step, target resource, start time, first step]
    jobs: list[list[Any] | None] = [None] * n_workers
    paused: dict[int, tuple[list[float], float, int]] = {}
    segs: list[tuple[int, int, float, float, int, int, int, float]] = []
    finals: list[tuple[int, float, float]] = []
    started = done = n_trials = n_reports = n_resumed = 0

    def launch(w: int, now: float) -> None:
        nonlocal started, n_trials, n_resumed
        if started >= cap or n_trials >= trial_cap:
            jobs[w] = None
            return
        trial = opt.ask()
        tid = trial.id
        target = getattr(trial, "resource", None) or r_max
        if getattr(trial, "is_resume", False):
            if tid not in paused:
                raise SimulationError(f"ask returned a resume of trial {tid}, which is not "
                                      "paused")
            values, cost, step = paused.pop(tid)
            n_resumed += 1
        else:
            c = curve(trial.params)
            values, cost, step = c.values.tolist(), float(c.step_cost), 0
            n_trials += 1
        if not step < target <= r_max:
            raise SimulationError(f"trial {tid}: resource {target} outside ({step}, {r_max}]")
        jobs[w] = [trial, values, cost, step, target, now, step + 1]
        started += 1
        heapq.heappush(heap, (now + cost, w))

    def close(w: int, job: list[Any], now: float, outcome: int) -> None:
        segs.append((job[0].id, w, job[5], now, job[6], job[3], outcome, job[2]))

    for w in range(n_workers):
        launch(w, 0.0)
    now = 0.0
    while heap:
        now, w = heapq.heappop(heap)
        job = jobs[w]
        assert job is not None
        trial, values, cost, step, target = job[0], job[1], job[2], job[3] + 1, job[4]
        job[3] = step
        done += 1
        value = values[step - 1]
        if reported is None or step in reported or step == target:
            n_reports += 1
            if opt.report(trial, step, value) == "stop":
                if step == r_max:
                    finals.append((done, now, value))
                close(w, job, now, _STOPPED)
                launch(w, now)
                continue
        if step == target:
            if step == r_max:
                opt.tell(trial, value)
                finals.append((done, now, value))
                close(w, job, now, _COMPLETED)
            else:
                paused[trial.id] = (values, cost, step)
                close(w, job, now, _PAUSED)
            launch(w, now)
        elif started < cap:
            started += 1
            heapq.heappush(heap, (now + cost, w))
        else:
            close(w, job, now, _ABANDONED)
            jobs[w] = None
    return _result(problem, n_workers, budget, max_trials, seed, segs, finals, done, now,
                   n_trials, n_reports, n_resumed, maximize, time.perf_counter() - wall0)


def _result(problem: MultiFidelityProblem, n_workers: int, budget: int | None,
            max_trials: int | None, seed: int, segs: list[tuple[Any, ...]],
            finals: list[tuple[int, float, float]], done: int, end: float, n_trials: int,
            n_reports: int, n_resumed: int, maximize: bool, wall: float) -> SimResult:
    cols = list(zip(*segs, strict=True)) if segs else [()] * 8
    dtypes = (np.int64, np.int64, np.float64, np.float64, np.int64, np.int64, np.int8,
              np.float64)
    segments = Segments(*(np.array(c, dtype=d) for c, d in zip(cols, dtypes, strict=True)))
    f_res = np.array([f[0] for f in finals], dtype=np.int64)
    f_time = np.array([f[1] for f in finals], dtype=np.float64)
    f_val = np.array([f[2] for f in finals], dtype=np.float64)
    best = (np.maximum if maximize else np.minimum).accumulate(f_val) if len(f_val) else f_val
    counts = {name: int((segments.outcome == i).sum()) for i, name in enumerate(OUTCOMES)}
    counts["resumed"] = n_resumed
    return SimResult(problem.name, problem.objective, problem.max_resource, n_workers, budget,
                     max_trials, seed, f_res, f_time, f_val, best, segments, done, end,
                     n_trials, n_reports, counts, wall)
