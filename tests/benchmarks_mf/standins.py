"""Tiny stand-ins for the multi-fidelity Optimizer protocol (ask / report / tell).

They implement just enough of the contract for the simulator tests and log every call, so
tests can check the simulator's accounting against what the optimizer saw.

* :class:`NeverStop`: random search that trains every trial to ``max_resource``.
* :class:`RungStopper`: stopping mode; at each rung ``min_resource * eta^k`` it stops a trial
  whose value is not in the top ``1/eta`` of the values reported at that rung so far.
* :class:`Promoter`: promotion mode; new trials get ``resource = min_resource``; ``ask`` first
  resumes the best paused trial of the highest rung that has one in its top ``1/eta`` not yet
  promoted.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_core.space import SearchSpace

__all__ = ["NeverStop", "Promoter", "RungStopper", "StandInTrial"]


@dataclass(eq=False)
class StandInTrial:
    """The fields the simulator reads."""

    id: int
    params: dict[str, Any]
    resource: int
    is_resume: bool = False


@dataclass
class _Log:
    reports: list[tuple[int, int, float]] = field(default_factory=list)  # (id, step, value)
    tells: list[tuple[int, float]] = field(default_factory=list)
    asks: list[tuple[int, int, bool]] = field(default_factory=list)  # (id, resource, resume)


class NeverStop:
    """Random search without early stopping (every trial trains to ``max_resource``).

    Args:
        space: the space to sample from.
        max_resource: the resource of every trial.
        seed: the sampling seed.
        maximize: the objective direction (unused by this stand-in, kept for symmetry).
    """

    def __init__(self, space: SearchSpace, max_resource: int, seed: int,
                 maximize: bool = True) -> None:
        self.space, self.max_resource, self.maximize = space, max_resource, maximize
        self.rng = np.random.default_rng(seed)
        self.trials: list[StandInTrial] = []
        self.last_step: dict[int, int] = {}
        self.log = _Log()

    def _new(self, resource: int) -> StandInTrial:
        params = self.space.decode(self.rng.random(self.space.dims))
        trial = StandInTrial(len(self.trials), params, resource)
        self.trials.append(trial)
        return trial

    def ask(self) -> StandInTrial:
        trial = self._new(self.max_resource)
        self.log.asks.append((trial.id, trial.resource, False))
        return trial

    def report(self, trial: StandInTrial, step: int, value: float) -> str:
        last = self.last_step.get(trial.id, 0)
        if step <= last or step > trial.resource:
            raise AssertionError(f"trial {trial.id}: step {step} after {last}, resource "
                                 f"{trial.resource}")
        self.last_step[trial.id] = step
        self.log.reports.append((trial.id, step, value))
        return self._decide(trial, step, value)

    def _decide(self, trial: StandInTrial, step: int, value: float) -> str:
        return "continue"

    def tell(self, trial: StandInTrial, value: float | None = None) -> None:
        if self.last_step.get(trial.id) != self.max_resource:
            raise AssertionError(f"tell of trial {trial.id} before max_resource")
        self.log.tells.append((trial.id, value))  # type: ignore[arg-type]


def _rungs(min_resource: int, max_resource: int, eta: int) -> list[int]:
    rungs, r = [], min_resource
    while r < max_resource:
        rungs.append(r)
        r *= eta
    return rungs


class RungStopper(NeverStop):
    """Stopping-mode successive halving at fixed rungs (see the module docstring)."""

    def __init__(self, space: SearchSpace, max_resource: int, seed: int, maximize: bool = True,
                 min_resource: int = 1, eta: int = 3) -> None:
        super().__init__(space, max_resource, seed, maximize)
        self.eta = eta
        self.rung_values: dict[int, list[float]] = {
            r: [] for r in _rungs(min_resource, max_resource, eta)}

    def _decide(self, trial: StandInTrial, step: int, value: float) -> str:
        seen = self.rung_values.get(step)
        if seen is None:
            return "continue"
        key = -value if self.maximize else value  # ascending = better first
        bisect.insort(seen, key)
        rank = bisect.bisect_left(seen, key)  # 0 = best so far
        return "continue" if rank < max(1, len(seen) // self.eta) or len(seen) < self.eta \
            else "stop"


class Promoter(NeverStop):
    """Promotion-mode asynchronous successive halving (see the module docstring)."""

    def __init__(self, space: SearchSpace, max_resource: int, seed: int, maximize: bool = True,
                 min_resource: int = 1, eta: int = 3) -> None:
        super().__init__(space, max_resource, seed, maximize)
        self.eta = eta
        self.levels = [*_rungs(min_resource, max_resource, eta), max_resource]
        self.at_rung: dict[int, list[tuple[float, int]]] = {r: [] for r in self.levels[:-1]}
        self.promoted: set[tuple[int, int]] = set()  # (level, trial id)

    def ask(self) -> StandInTrial:
        for level in reversed(self.levels[:-1]):
            ranked = sorted(self.at_rung[level])
            for _key, tid in ranked[: len(ranked) // self.eta]:
                if (level, tid) not in self.promoted:
                    self.promoted.add((level, tid))
                    old = self.trials[tid]
                    nxt = self.levels[self.levels.index(level) + 1]
                    trial = StandInTrial(tid, old.params, nxt, is_resume=True)
                    self.trials[tid] = trial
                    self.log.asks.append((tid, nxt, True))
                    return trial
        trial = self._new(self.levels[0])
        self.log.asks.append((trial.id, trial.resource, False))
        return trial

    def _decide(self, trial: StandInTrial, step: int, value: float) -> str:
        if step == trial.resource and step in self.at_rung:
            self.at_rung[step].append((-value if self.maximize else value, trial.id))
        return "continue"
