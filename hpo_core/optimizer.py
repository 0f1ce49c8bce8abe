"""The ask/tell Optimizer: the one mutable object of the core.

    opt = Optimizer(space, strategy="random", objective="minimize", seed=0)
    trial = opt.ask()              # Trial: .id, .params, .status, .value
    opt.tell(trial, 0.25)          # or opt.tell(trial.id, 0.25) / failed=True, reason="..."
    opt.best                       # best completed Trial or None

The same seed and the same sequence of asks and tells give the same suggestions, also across
``save`` / ``load``: strategies key every draw by (seed, trial id, purpose) and rebuild what they
need from the trial history, which the saved file holds in full.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from hpo_core.errors import HPOError, OptimizerError
from hpo_core.space import SearchSpace
from hpo_core.strategies import History, make_strategy
from hpo_core.trial import Trial

__all__ = ["FORMAT", "FORMAT_VERSION", "Optimizer"]

FORMAT = "hpo_core.optimizer"
#: Version of the file written by :meth:`Optimizer.save`; :meth:`Optimizer.load` reads <= this.
FORMAT_VERSION = 1
_OBJECTIVES = ("minimize", "maximize")


def _objective(value: Any) -> str:
    if isinstance(value, str) and value.lower() in _OBJECTIVES:
        return value.lower()
    raise OptimizerError(f"objective: expected 'minimize' or 'maximize' (any case), got {value!r}")


def _seed(value: Any) -> int:
    if value is None:
        return secrets.randbits(63)
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OptimizerError(f"seed: expected an int >= 0 or None, got {value!r}")
    return value


class Optimizer:
    """Suggests points of a search space and learns from the results.

    Args:
        space: the :class:`~hpo_core.space.SearchSpace`.
        strategy: ``"random"`` or ``"grid"`` (``"bayesian"``, ``"hyperband"`` arrive later).
        objective: ``"minimize"`` or ``"maximize"``, any case.
        seed: int >= 0; None draws one (kept, and saved).
        **options: strategy options, e.g. ``grid_points=5`` for grid.
    """

    def __init__(self, space: SearchSpace, strategy: str = "random",
                 objective: str = "minimize", seed: int | None = None, **options: Any) -> None:
        if not isinstance(space, SearchSpace):
            raise OptimizerError(f"space: expected a SearchSpace, got {type(space).__name__}")
        self._space = space
        self._objective = _objective(objective)
        self._seed = _seed(seed)
        self._strategy = make_strategy(strategy, space, self._seed, dict(options))
        self._trials: list[Trial] = []
        self._used: set[str] = set()
        self._queue: list[dict[str, Any]] = []

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
    def seed(self) -> int:
        return self._seed

    @property
    def trials(self) -> list[Trial]:
        """Every trial in id order."""
        return list(self._trials)

    @property
    def capacity(self) -> int | None:
        """How many distinct points the strategy can suggest: the grid's size for grid, the
        space's size for a finite space, None when unbounded."""
        return self._strategy.size

    @property
    def best(self) -> Trial | None:
        """The best completed trial (lowest id among ties), or None before any."""
        done = [t for t in self._trials if t.status == "completed"]
        if not done:
            return None
        sign = 1.0 if self._objective == "minimize" else -1.0
        return min(done, key=lambda t: (sign * t.value, t.id))  # type: ignore[operator]

    # ------------------------------------------------------------------ ask / tell
    def enqueue(self, params: Mapping[str, Any]) -> None:
        """Queue a known point (e.g. the current defaults) for the next ``ask``.

        Fixed parameters (Static, singleton ranges) may be left out.
        """
        if not isinstance(params, Mapping):
            raise OptimizerError(f"enqueue: expected a dict of name -> value, got "
                                 f"{type(params).__name__}")
        full = {**self._space.fixed_values, **params}
        self._queue.append(self._space.validate(full))

    def ask(self) -> Trial:
        """A new pending trial: the next enqueued point, else the strategy's suggestion.

        Raises:
            OptimizerError: every point the strategy can suggest is observed or pending.
        """
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
                      started_at=time.time())
        if enqueued:
            self._queue.pop(0)
        self._trials.append(trial)
        self._used.add(self._space.point_key(trial.params))
        return trial

    def _exhausted_message(self) -> str:
        size = self._strategy.size
        what = "grid" if self._strategy.name == "grid" else "search space"
        return (f"ask: the {what} is exhausted: all {size} points are observed or pending "
                f"({len(self._trials)} trials so far)")

    def ask_batch(self, n: int) -> list[Trial]:
        """``n`` pending trials at once (for parallel workers). All or nothing: if the space
        runs out part-way, no trial is created and the error is raised."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise OptimizerError(f"ask_batch: n must be an int >= 1, got {n!r}")
        start, queue = len(self._trials), list(self._queue)
        batch: list[Trial] = []
        try:
            for _ in range(int(n)):
                batch.append(self.ask())
        except HPOError:
            del self._trials[start:]
            self._queue = queue
            self._used = {self._space.point_key(t.params) for t in self._trials}
            raise
        return batch

    def _lookup(self, trial: Trial | int, action: str) -> Trial:
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
            OptimizerError: unknown or already-told trial; a value that is not a real number.
        """
        t = self._lookup(trial, "tell")
        if t.status not in ("pending", "paused"):
            raise OptimizerError(f"tell: trial {t.id} was already told (status {t.status!r}); "
                                 "each trial is told once")
        if not failed:
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptimizerError(
                    f"tell: trial {t.id}: expected a real number as value (or failed=True), "
                    f"got {value!r} ({type(value).__name__})")
            if not math.isfinite(value):
                failed, reason = True, f"objective value {value!r} is not finite"
        if reason is not None and not isinstance(reason, str):
            raise OptimizerError(f"tell: reason must be a string, got {type(reason).__name__}")
        t.finished_at = time.time()
        if failed:
            t.status, t.value, t.reason = "failed", None, reason or "failed"
        else:
            t.status, t.value = "completed", float(value)  # type: ignore[arg-type]
        return t

    # ------------------------------------------------------------------ convenience loop
    def optimize(self, fn: Callable[[dict[str, Any]], float], n_trials: int = 50,
                 timeout: float | None = None,
                 catch: Iterable[type[BaseException]] = ()) -> Trial | None:
        """Run ``fn(params) -> value`` for up to ``n_trials`` trials or ``timeout`` seconds.

        An exception raised by ``fn`` records the trial as failed with the exception as the
        reason; it is re-raised unless its type is in ``catch``. The loop ends early when the
        strategy has no unused point left. Returns :attr:`best`.
        """
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise OptimizerError(f"optimize: n_trials must be an int >= 0, got {n_trials!r}")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(
                timeout, int | float) or not timeout > 0):
            raise OptimizerError(f"optimize: timeout must be a number > 0 or None, got {timeout!r}")
        catch = tuple(catch)
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in range(n_trials):
            if deadline is not None and time.monotonic() >= deadline:
                break
            if self.capacity is not None and len(self._used) >= self.capacity:
                break
            try:
                trial = self.ask()
            except OptimizerError:
                if self.capacity is not None:
                    break
                raise
            try:
                value = fn(dict(trial.params))
            except BaseException as e:
                self.tell(trial, failed=True, reason=f"{type(e).__name__}: {e}")
                if isinstance(e, catch) and not isinstance(e, KeyboardInterrupt):
                    continue
                raise
            self.tell(trial, value)
        return self.best

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Everything the next suggestion depends on, JSON-ready."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "space": self._space.to_dict(),
            "strategy": self._strategy.name,
            "options": self._strategy.options(),
            "objective": self._objective,
            "seed": self._seed,
            "trials": [t.to_dict() for t in self._trials],
            "queue": self._queue,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to a JSON file (atomically: a crash leaves the old file intact)."""
        text = json.dumps(self.state_dict(), indent=1, allow_nan=False)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".opt-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Optimizer:
        """Read a file written by :meth:`save`."""
        try:
            with open(path) as f:
                state = json.load(f)
        except json.JSONDecodeError as e:
            raise OptimizerError(f"load: {path} is not a valid optimizer file (corrupt JSON: "
                                 f"{e})") from e
        return cls.from_state_dict(state, source=str(path))

    @classmethod
    def from_state_dict(cls, state: Any, source: str = "state") -> Optimizer:
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise OptimizerError(f"load: {source} is not an hpo_core optimizer file "
                                 f"(expected format {FORMAT!r})")
        version = state.get("version")
        if not isinstance(version, int) or version < 1:
            raise OptimizerError(f"load: {source}: corrupt format version {version!r}")
        if version > FORMAT_VERSION:
            raise OptimizerError(
                f"load: {source} was written by format version {version}; this hpo_core reads "
                f"versions up to {FORMAT_VERSION}: upgrade hpo_core")
        try:
            space = SearchSpace.from_dict(state["space"])
            opt = cls(space, state["strategy"], state["objective"], state["seed"],
                      **state["options"])
            opt._trials = [Trial.from_dict(t) for t in state["trials"]]
            if [t.id for t in opt._trials] != list(range(len(opt._trials))):
                raise ValueError("trial ids are not 0, 1, 2, ...")
            for t in opt._trials:
                t.params = space.validate(t.params)
            opt._queue = [space.validate(p) for p in state["queue"]]
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise OptimizerError(f"load: {source} is corrupt: {type(e).__name__}: {e}") from e
        opt._used = {space.point_key(t.params) for t in opt._trials}
        return opt

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for t in self._trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        return (f"Optimizer(strategy={self.strategy!r}, objective={self._objective!r}, "
                f"seed={self._seed}, trials={counts})")
