"""The ask/tell Optimizer: the one mutable object of the core.

    opt = Optimizer(space, strategy="random", objective="minimize", seed=0)
    trial = opt.ask()              # Trial: .id, .params, .status, .value
    opt.tell(trial, 0.25)          # or opt.tell(trial.id, 0.25) / failed=True, reason="..."
    opt.best                       # best completed Trial or None

The same seed and the same sequence of asks and tells give the same suggestions, also across
``save`` / ``load``: strategies key every draw by (seed, trial id, purpose) and rebuild what they
need from the trial history, which the saved file holds in full.

One Optimizer may be shared by threads (workers that each ask, evaluate, tell): one re-entrant
lock is held by every method that reads or changes the trials, so ids are distinct and the saved
file is consistent; ``optimize`` runs the objective outside it.
"""

from __future__ import annotations

import functools
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from hpo_core.errors import HPOError, OptimizerError, SearchSpaceError, describe
from hpo_core.persist import check_versioned, read_versioned, write_atomic
from hpo_core.progress import CountProgress
from hpo_core.space import SearchSpace
from hpo_core.strategies import History, make_strategy
from hpo_core.strategies.stopping import make_stopper
from hpo_core.tables import frame, from_optimizer
from hpo_core.trial import Trial

__all__ = ["FORMAT", "FORMAT_VERSION", "Optimizer"]

FORMAT = "hpo_core.optimizer"
#: Version of the file written by :meth:`Optimizer.save`; :meth:`Optimizer.load` reads <= this.
FORMAT_VERSION = 1
_OBJECTIVES = ("minimize", "maximize")
_EVENT_SIZES = {"r": 4, "p": 3, "f": 2}
_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run ``method`` holding the Optimizer's lock (re-entrant: locked methods call each
    other)."""
    @functools.wraps(method)
    def run(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return run  # type: ignore[return-value]


def _objective(value: Any) -> str:
    if isinstance(value, str) and value.lower() in _OBJECTIVES:
        return value.lower()
    raise OptimizerError(f"objective: expected 'minimize' or 'maximize' (any case), got {value!r}")


def _real(value: Any, what: str) -> float:
    if type(value) is float:  # the per-report fast path
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptimizerError(f"{what}: expected a real number, got {describe(value)}")
    try:
        return float(value)
    except OverflowError:
        raise OptimizerError(f"{what}: expected a real number within float range, got "
                             f"{describe(value)}") from None


def _callbacks(value: Any) -> list[Callable[..., Any]]:
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise OptimizerError(f"optimize: callbacks must be a list of callables "
                             f"callback(optimizer, trial) or None, got {value!r}")
    hooks = list(value)
    for i, hook in enumerate(hooks):
        if not callable(hook):
            raise OptimizerError(f"optimize: callbacks[{i}] must be callable as "
                                 f"callback(optimizer, trial), got {hook!r}")
    return hooks


def _check_reached_resource(t: Trial) -> None:
    """Multi-fidelity: a value told after reports must come at the trial's resource."""
    if t.resource is not None and t.reports and t.last_step < t.resource:
        raise OptimizerError(
            f"tell: trial {t.id} reported up to step {t.last_step} of its resource "
            f"{t.resource}: the told value is the value at step {t.resource}; report up to "
            f"trial.resource first, or tell(trial, failed=True, reason=...) if it ended early")


def _seed(value: Any) -> int:
    if value is None:
        return secrets.randbits(63)
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise OptimizerError(f"seed: expected an int in [0, 2**64) or None, got {value!r}")
    return value


def _point(space: SearchSpace, params: Any, where: str) -> dict[str, Any]:
    try:
        return space.validate(params)
    except SearchSpaceError as e:
        raise OptimizerError(f"{where}: {e}") from None


def _checked_events(events: list[Any], n_trials: int) -> list[list[Any]]:
    """The saved events: ``["r", trial id, step, value]`` (a report), ``["p", trial id,
    resource]`` (a promotion), ``["f", trial id]`` (a failure)."""
    for i, e in enumerate(events):
        where = f"events[{i}]"
        kind = e[0] if isinstance(e, list) and e and isinstance(e[0], str) else None
        if kind not in _EVENT_SIZES or len(e) != _EVENT_SIZES[kind]:
            raise OptimizerError(f"{where}: expected ['r', trial id, step, value], ['p', trial "
                                 f"id, resource] or ['f', trial id], got {describe(e)}")
        _event_int(e[1], f"{where}[1]", 0, n_trials - 1)
        if kind != "f":  # a report's step, a promotion's resource
            _event_int(e[2], f"{where}[2]", 1, None)
        if kind == "r" and not math.isfinite(_real(e[3], f"{where}[3]")):
            raise OptimizerError(f"{where}[3]: expected a finite number, got {describe(e[3])}")
    return events


def _event_int(value: Any, where: str, lo: int, hi: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (
            hi is not None and value > hi):
        bounds = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise OptimizerError(f"{where}: expected an integer {bounds}, got {describe(value)}")


class Optimizer:
    """Suggests points of a search space and learns from the results.

    Args:
        space: the :class:`~hpo_core.space.SearchSpace`.
        strategy: ``"random"``, ``"grid"``, ``"bayesian"`` (JAX Gaussian process) or
            ``"hyperband"`` (multi-fidelity: see :meth:`report`).
        objective: ``"minimize"`` or ``"maximize"``, any case.
        seed: int in ``[0, 2**64)`` (every strategy keys its draws with all 64 bits); None
            draws one (kept, and saved).
        early_stopping: ``"off"`` (default) or ``"auto"``: AMT's median stopping rule acting on
            :meth:`report` (random, grid and Bayesian; Hyperband stops trials itself).
        **options: strategy options, e.g. ``grid_points=5`` for grid; ``min_resource``,
            ``max_resource``, ``eta``, ``mode``, ``sampler`` (``"random"`` or ``"bayesian"``:
            a GP on the highest rung with enough values, BOHB-style) for hyperband.

    Thread safety: one Optimizer may be shared by threads. ``ask``, ``ask_batch``, ``tell``,
    ``report``, ``enqueue``, ``save``, ``state_dict`` and the trial views hold one re-entrant
    lock, so concurrent workers get distinct trial ids and a consistent saved file (a GP fit
    runs under it: asks are served one at a time). ``optimize`` evaluates the objective outside
    the lock, so several threads may run ``optimize`` on one Optimizer.
    """

    def __init__(self, space: SearchSpace, strategy: str = "random",
                 objective: str = "minimize", seed: int | None = None,
                 early_stopping: str = "off", **options: Any) -> None:
        if not isinstance(space, SearchSpace):
            raise OptimizerError(f"space: expected a SearchSpace, got {type(space).__name__}")
        self._lock = threading.RLock()
        self._space = space
        self._objective = _objective(objective)
        self._seed = _seed(seed)
        self._strategy = make_strategy(strategy, space, self._seed, dict(options))
        self._early_stopping, self._stopper = make_stopper(early_stopping, self._strategy)
        # Multi-fidelity strategies give each new trial a resource and cap the steps.
        self._start_resource = getattr(self._strategy, "start_resource", None)
        self._max_resource: int | None = getattr(self._strategy, "max_resource", None)
        self._trials: list[Trial] = []
        self._used: set[tuple[Any, ...]] = set()
        self._queue: list[dict[str, Any]] = []
        # Every report and promotion in order: replayed on load to rebuild the stopper.
        self._events: list[tuple[Any, ...]] = []  # tuples: fewer objects for the GC to scan

    # ------------------------------------------------------------------ properties
    @property
    def space(self) -> SearchSpace:
        return self._space

    @property
    def strategy(self) -> str:
        return self._strategy.name

    @property
    def objective(self) -> str:
        return self._objective

    @property
    def early_stopping(self) -> str:
        return self._early_stopping

    @property
    def seed(self) -> int:
        return self._seed

    @property
    @_locked
    def trials(self) -> list[Trial]:
        """Every trial in id order."""
        return list(self._trials)

    @property
    def capacity(self) -> int | None:
        """How many distinct points the strategy can suggest: the grid's size for grid, the
        space's size for a finite space, None when unbounded."""
        return self._strategy.size

    @property
    @_locked
    def best(self) -> Trial | None:
        """The best completed trial (lowest id among ties), or None before any. Stopped trials
        (which did not reach the full resource) never count."""
        done = [t for t in self._trials if t.status == "completed"]
        if not done:
            return None
        sign = 1.0 if self._objective == "minimize" else -1.0
        return min(done, key=lambda t: (sign * t.value, t.id))  # type: ignore[operator]

    # ------------------------------------------------------------------ ask / tell
    @_locked
    def enqueue(self, params: Mapping[str, Any]) -> None:
        """Queue a known point (e.g. the current defaults) for the next ``ask``.

        Fixed parameters (Static, singleton ranges) may be left out.
        """
        if not isinstance(params, Mapping):
            raise OptimizerError(f"enqueue: expected a dict of name -> value, got "
                                 f"{type(params).__name__}")
        full = {**self._space.fixed_values, **params}
        self._queue.append(self._space.validate(full))

    @_locked
    def ask(self) -> Trial:
        """A new pending trial: the next enqueued point, else the strategy's suggestion.

        Raises:
            OptimizerError: every point the strategy can suggest is observed or pending.
        """
        promoted = self._stopper.promote() if self._stopper is not None else None
        if promoted is not None:
            return self._resume(*promoted)
        trial_id = len(self._trials)
        enqueued = bool(self._queue)
        if enqueued:
            params = self._queue[0]
        else:
            history = History(self._space, self._seed, self._objective == "minimize",
                              self._trials, self._used)
            suggested = self._strategy.suggest(trial_id, history)
            if suggested is None:
                raise OptimizerError(self._exhausted_message())
            params = suggested
        trial = Trial(id=trial_id, params=dict(params), enqueued=enqueued,
                      started_at=time.time(), resource=None if self._start_resource is None
                      else int(self._start_resource(trial_id)))
        if enqueued:
            self._queue.pop(0)
        self._trials.append(trial)
        self._used.add(self._space.point_key(trial.params))
        return trial

    def _resume(self, trial_id: int, resource: int) -> Trial:
        """A promotion the stopper just took: the paused trial runs on up to ``resource``."""
        t = self._trials[trial_id]
        self._events.append(("p", trial_id, resource))
        t.status, t.resource, t.is_resume = "pending", resource, True
        return t

    def _exhausted_message(self) -> str:
        size = self._strategy.size
        what = "grid" if self._strategy.name == "grid" else "search space"
        return (f"ask: the {what} is exhausted: all {size} points are observed or pending "
                f"({len(self._trials)} trials so far)")

    @_locked
    def ask_batch(self, n: int) -> list[Trial]:
        """``n`` pending trials at once (for parallel workers). All or nothing: if the space
        runs out part-way, no trial is created and the error is raised."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise OptimizerError(f"ask_batch: n must be an int >= 1, got {n!r}")
        snapshot = self.state_dict()
        batch: list[Trial] = []
        try:
            for _ in range(int(n)):
                batch.append(self.ask())
        except HPOError:
            restored = Optimizer.from_state_dict(snapshot).__dict__
            del restored["_lock"]  # the lock held now (and waited on) stays this object's
            self.__dict__.update(restored)
            raise
        return batch

    def _lookup(self, trial: Trial | int, action: str) -> Trial:
        if type(trial) is Trial:  # the per-report fast path: one of our own trials
            tid = trial.id
            if type(tid) is int and 0 <= tid < len(self._trials) and self._trials[tid] is trial:
                return trial
        tid = trial.id if isinstance(trial, Trial) else trial
        if isinstance(tid, np.integer):
            tid = int(tid)
        if isinstance(tid, bool) or not isinstance(tid, int):
            raise OptimizerError(f"{action}: expected a Trial or a trial id (int), got "
                                 f"{type(trial).__name__}")
        if not 0 <= tid < len(self._trials):
            known = f"0..{len(self._trials) - 1}" if self._trials else "none yet"
            raise OptimizerError(f"{action}: unknown trial id {tid} (known ids: {known})")
        found = self._trials[tid]
        if isinstance(trial, Trial) and trial is not found and trial.params != found.params:
            raise OptimizerError(f"{action}: trial {tid} does not belong to this optimizer")
        return found

    @_locked
    def tell(self, trial: Trial | int, value: float | None = None, *, failed: bool = False,
             reason: str | None = None) -> Trial:
        """Record the result of a pending trial.

        Args:
            trial: the Trial from ``ask`` or its id.
            value: the objective value (a real number). NaN or infinite values record the trial
                as failed with the reason, they do not raise.
            failed: the evaluation failed (``value`` is ignored).
            reason: why it failed.

        Returns:
            The updated trial.

        Raises:
            OptimizerError: unknown or already-told trial; a value that is not a real number;
                multi-fidelity (hyperband): a value after reports that stopped below
                ``trial.resource`` (a trial told without any report is taken as evaluated at
                its resource; ``failed=True`` is always accepted).
        """
        t = self._lookup(trial, "tell")
        if t.status == "stopped":
            raise OptimizerError(f"tell: trial {t.id} was stopped (its value is its last "
                                 "report); a stopped trial needs no tell")
        if t.status == "paused":
            raise OptimizerError(f"tell: trial {t.id} is paused at resource {t.resource}; it "
                                 "resumes when ask() returns it again and needs no tell now")
        if t.status != "pending":
            raise OptimizerError(f"tell: trial {t.id} was already told (status {t.status!r}); "
                                 "each trial is told once")
        if not failed:
            value = _real(value, f"tell: trial {t.id}: value (or failed=True)")
            if not math.isfinite(value):
                failed, reason = True, f"objective value {value!r} is not finite"
        if reason is not None and not isinstance(reason, str):
            raise OptimizerError(f"tell: reason must be a string, got {type(reason).__name__}")
        if not failed:
            _check_reached_resource(t)
        t.finished_at = time.time()
        if failed:
            t.status, t.value, t.reason = "failed", None, reason or "failed"
            if self._stopper is not None:
                self._events.append(("f", t.id))
                self._stopper.retire(t.id)
        else:
            t.status, t.value = "completed", float(value)  # type: ignore[arg-type]
        return t

    def report(self, trial: Trial | int, step: int, value: float) -> str:
        """Record an intermediate result; returns ``"continue"``, ``"stop"`` or ``"pause"``.

        A step is one unit of resource (an epoch), 1, 2, ...; steps must increase. With
        ``early_stopping="auto"`` or the hyperband strategy, ``"stop"`` finishes the trial: its
        status becomes ``"stopped"``, its value its last report, and it needs no tell. In
        promotion mode a report at ``trial.resource`` (below max_resource) returns ``"pause"``:
        the trial waits (status ``"paused"``, no tell) until a later ``ask`` resumes it.
        A NaN or infinite value fails the trial (``"stop"``).

        Raises:
            OptimizerError: unknown trial, a trial that is not running (stopped, paused, told),
                a step that is not an int > the last step, a step above max_resource or (in
                promotion mode) above ``trial.resource``, a value that is not a real number.
        """
        with self._lock:  # inline rather than @_locked: this is the per-step hot path
            t = self._lookup(trial, "report")
            if t.status != "pending":
                why = ("after a stop decision" if t.status == "stopped" else
                       f"on a {t.status} trial")
                raise OptimizerError(f"report: trial {t.id} is {t.status}: report() {why} is "
                                     "an error")
            if type(step) is not int:
                if isinstance(step, np.integer):
                    step = int(step)
                if isinstance(step, bool) or not isinstance(step, int):
                    raise OptimizerError(f"report: trial {t.id}: step must be an int >= 1, got "
                                         f"{step!r}")
            reports = t.reports
            last = int(reports[-1][0]) if reports else 0
            if step < 1:
                raise OptimizerError(f"report: trial {t.id}: step must be an int >= 1, got "
                                     f"{step!r}")
            if step <= last:
                raise OptimizerError(f"report: trial {t.id}: steps must increase; got step "
                                     f"{step} after step {last}")
            limit = self._max_resource
            if limit is not None and step > limit:
                raise OptimizerError(f"report: trial {t.id}: step {step} is above max_resource "
                                     f"{limit}")
            if t.resource is not None and step > t.resource:
                raise OptimizerError(f"report: trial {t.id}: step {step} is above the resource "
                                     f"it was given ({t.resource}); stop at trial.resource")
            value = _real(value, f"report: trial {t.id}: value")
            if not math.isfinite(value):
                self.tell(t, failed=True, reason=f"reported value {value!r} at step {step} is "
                                                 "not finite")
                return "stop"
            decision = "continue"
            if self._stopper is not None:
                try:
                    decision = self._stopper.observe(t.id, step, self._loss(value), last)
                except ValueError as e:  # the kernels' ReportError: a state the checks missed
                    raise OptimizerError(f"report: trial {t.id}: {e}") from e
            reports.append([step, value])
            self._events.append(("r", t.id, step, value))
            if decision == "stop":
                t.status, t.value, t.finished_at = "stopped", value, time.time()
            elif decision == "pause":
                t.status = "paused"
            return decision

    def _loss(self, value: float) -> float:
        return value if self._objective == "minimize" else -value

    # ------------------------------------------------------------------ convenience loop
    #: None outside :meth:`optimize`; inside it, whether :meth:`stop` was called.
    _stop_requested: bool | None = None

    def optimize(self, fn: Callable[[dict[str, Any]], float], n_trials: int = 50,
                 timeout: float | None = None,
                 catch: Iterable[type[BaseException]] = (),
                 callbacks: Iterable[Callable[[Optimizer, Trial], None]] | None = None,
                 show_progress_bar: bool = False) -> Trial | None:
        """Run ``fn(params) -> value`` for up to ``n_trials`` trials or ``timeout`` seconds.

        An exception raised by ``fn`` records the trial as failed with the exception as the
        reason; it is re-raised unless its type is in ``catch``. The loop ends early when the
        strategy has no unused point left, or after :meth:`stop`. Returns :attr:`best`.

        Args:
            fn: the objective, called with a copy of the trial's params.
            n_trials: the most trials this call runs (an int >= 0).
            timeout: seconds after which no new trial starts (the running one finishes).
            catch: exception types of ``fn`` that fail the trial and let the loop go on.
            callbacks: called in order after every finished trial (completed, or failed with
                an exception in ``catch``) as ``callback(optimizer, trial)``, Optuna's
                convention; a callback may call ``optimizer.stop()`` to end the loop.
            show_progress_bar: on stderr, trials done / ``n_trials``, best so far, elapsed
                and time left: a live bar on a terminal (rich with the ``progress`` extra,
                else a plain redrawn line), else a plain line every tenth of ``n_trials``.
        """
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise OptimizerError(f"optimize: n_trials must be an int >= 0, got {n_trials!r}")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(
                timeout, int | float) or not timeout > 0):
            raise OptimizerError(f"optimize: timeout must be a number > 0 or None, got {timeout!r}")
        catch = tuple(catch)
        hooks = _callbacks(callbacks)
        if not isinstance(show_progress_bar, bool):
            raise OptimizerError(f"optimize: show_progress_bar must be True or False, got "
                                 f"{show_progress_bar!r} ({type(show_progress_bar).__name__})")
        bar = CountProgress(n_trials, label="optimize") if show_progress_bar else None
        deadline = None if timeout is None else time.monotonic() + timeout
        self._stop_requested = False
        try:
            for done in range(1, n_trials + 1):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                trial = self._optimize_one(fn, catch)
                if trial is None:
                    break
                for hook in hooks:
                    hook(self, trial)
                if bar is not None:
                    best = self.best
                    bar.update(done, {"best": "-" if best is None else f"{best.value:.6g}"})
                if self._stop_requested:
                    break
        finally:
            self._stop_requested = None
            if bar is not None:
                bar.close()
        return self.best

    def _optimize_one(self, fn: Callable[[dict[str, Any]], float],
                      catch: tuple[type[BaseException], ...]) -> Trial | None:
        """One trial of :meth:`optimize`; None when the space is used up."""
        if self.capacity is not None and len(self._used) >= self.capacity:
            return None
        try:
            trial = self.ask()
        except OptimizerError:
            if self.capacity is not None:
                return None
            raise
        try:
            value = fn(dict(trial.params))
        except BaseException as e:
            self.tell(trial, failed=True, reason=f"{type(e).__name__}: {e}")
            if isinstance(e, catch) and not isinstance(e, KeyboardInterrupt):
                return trial
            raise
        return self.tell(trial, value)

    def stop(self) -> None:
        """End the running :meth:`optimize` loop after the current trial (from ``fn`` or a
        callback), as Optuna's ``study.stop()``; the next ``optimize`` call runs normally.

        Raises:
            OptimizerError: no ``optimize`` loop is running.
        """
        if self._stop_requested is None:
            raise OptimizerError("stop: no optimize() loop is running; call it from the "
                                 "objective or from a callback")
        self._stop_requested = True

    def analytics(self) -> Any:
        """One row per trial as a pandas DataFrame (needs the ``report`` extra); the columns
        are listed in :mod:`hpo_core.analytics`."""
        return frame(from_optimizer(self))

    # ------------------------------------------------------------------ persistence
    @_locked
    def state_dict(self) -> dict[str, Any]:
        """Everything the next suggestion depends on, JSON-ready: a snapshot (copies, so later
        asks and tells from other threads do not change it)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "space": self._space.to_dict(),
            "strategy": self._strategy.name,
            "options": self._strategy.options(),
            "objective": self._objective,
            "seed": self._seed,
            "early_stopping": self._early_stopping,
            "trials": [t.to_dict() for t in self._trials],
            "queue": list(self._queue),  # copies of the lists that grow and shrink: a
            "events": [list(e) for e in self._events],  # snapshot other threads cannot change
        }

    @_locked
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to a JSON file (atomically: a crash leaves the old file intact)."""
        write_atomic(path, self.state_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Optimizer:
        """Read a file written by :meth:`save`."""
        return cls.from_state_dict(read_versioned(path, FORMAT, FORMAT_VERSION), str(path))

    @classmethod
    def from_state_dict(cls, state: Any, source: str = "state") -> Optimizer:
        """Rebuild an Optimizer from :meth:`state_dict`, checking every field first.

        Raises:
            OptimizerError: one message naming ``source``, the field (``trials[3].value``),
                the value received and what was expected.
        """
        check_versioned(state, FORMAT, FORMAT_VERSION, source)
        try:
            return cls._from_checked(state)
        except HPOError as e:
            raise OptimizerError(f"load: {source} is corrupt: {e}") from None
        except RecursionError:
            raise OptimizerError(f"load: {source} is corrupt: nested too deeply") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            raise OptimizerError(f"load: {source} is corrupt: {type(e).__name__}: {e}") from e

    @classmethod
    def _from_checked(cls, state: dict[str, Any]) -> Optimizer:
        for key in ("space", "strategy", "objective", "seed", "options", "trials", "queue"):
            if key not in state:
                raise OptimizerError(f"{key}: required field is missing")
        for key, kind in (("space", dict), ("strategy", str), ("objective", str),
                          ("options", dict), ("trials", list), ("queue", list),
                          ("events", list)):
            if key in state and not isinstance(state[key], kind):
                what = "an object" if kind is dict else f"a {kind.__name__}"
                raise OptimizerError(f"{key}: expected {what}, got {describe(state[key])}")
        space = SearchSpace.from_dict(state["space"])
        options = state["options"]
        if not all(isinstance(k, str) for k in options):
            raise OptimizerError(f"options: expected string keys, got {describe(list(options))}")
        opt = cls(space, state["strategy"], state["objective"], state["seed"],
                  state.get("early_stopping", "off"), **options)
        for i, raw in enumerate(state["trials"]):
            t = Trial.from_dict(raw, f"trials[{i}]")
            if t.id != i:
                raise OptimizerError(f"trials[{i}].id: expected {i} (ids are 0, 1, 2, ... in "
                                     f"order), got {t.id}")
            t.params = _point(space, t.params, f"trials[{i}].params")
            opt._trials.append(t)
        opt._queue = [_point(space, p, f"queue[{i}]") for i, p in enumerate(state["queue"])]
        opt._replay(_checked_events(state.get("events", []), len(opt._trials)))
        opt._used = {space.point_key(t.params) for t in opt._trials}
        return opt

    def _replay(self, events: list[list[Any]]) -> None:
        """Feed the saved reports, promotions and retirements to a fresh stopper, in order
        (runs of reports in one compiled call)."""
        self._events = [tuple(e) for e in events]
        stopper = self._stopper
        if stopper is None:
            return
        run: tuple[list[int], list[int], list[float]] = ([], [], [])

        def flush() -> None:
            if run[0]:
                stopper.observe_many(*run)
                for column in run:
                    column.clear()

        for kind, tid, *rest in self._events:
            if kind == "r":
                run[0].append(int(tid))
                run[1].append(int(rest[0]))
                run[2].append(self._loss(float(rest[1])))
                continue
            flush()
            if kind == "p":
                stopper.mark_promoted(int(tid), int(rest[0]))
            elif kind == "f":
                stopper.retire(int(tid))
            else:
                raise ValueError(f"unknown event {kind!r}")
        flush()

    @_locked
    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for t in self._trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        return (f"Optimizer(strategy={self.strategy!r}, objective={self._objective!r}, "
                f"seed={self._seed}, trials={counts})")
