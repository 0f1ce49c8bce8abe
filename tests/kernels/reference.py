"""Slow, obvious reference implementations of the kernels (sorted Python lists, rescans).

Notation as in ``hpo_core.kernels.asha`` and ``hpo_core.kernels.median``. These follow the
documented rules literally; the property tests check that the compiled kernels agree exactly.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from hpo_core.kernels import bracket_for, rung_levels


class RefReportError(Exception):
    """A forbidden report; ``reason`` matches ``ReportError.reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Trial:
    bracket: int
    next_rung: int
    allowed: int
    last: int = 0
    status: str = "running"  # running | paused | stopped
    last_entry: int = -1


@dataclass
class RefRungTable:
    """ASHA by the book: each rung is a sorted list of (key, entry id)."""

    min_resource: int
    max_resource: int
    eta: int
    n_brackets: int | None = None
    mode: str = "stopping"
    maximize: bool = False
    seed: int = 0
    quota: bool = True
    trials: dict[int, _Trial] = field(default_factory=dict)
    rungs: dict[tuple[int, int], list[tuple[float, int]]] = field(default_factory=dict)
    entry_trial: list[int] = field(default_factory=list)
    promoted: set[int] = field(default_factory=set)
    retired: set[int] = field(default_factory=set)
    total_resource: int = 0

    def __post_init__(self) -> None:
        self.levels = [int(x) for x in rung_levels(self.min_resource, self.max_resource,
                                                   self.eta)]
        if self.n_brackets is None:
            self.n_brackets = len(self.levels) + 1

    def start_trial(self, t: int, bracket: int | None = None) -> int:
        if bracket is None:
            bracket = bracket_for(self.seed, t, self.n_brackets, self.eta, len(self.levels))
        promo = self.mode == "promotion" and bracket < len(self.levels)
        allowed = self.levels[bracket] if promo else self.max_resource
        self.trials[t] = _Trial(bracket, bracket, allowed)
        return allowed

    def report(self, t: int, step: int, value: float) -> str:
        if t not in self.trials:
            self.start_trial(t)
        tr = self.trials[t]
        if tr.status == "stopped":
            raise RefReportError("stopped")
        if tr.status == "paused":
            raise RefReportError("paused")
        if step <= tr.last:
            raise RefReportError("step_order")
        if step > tr.allowed:
            raise RefReportError("above_resource")
        key = -value if self.maximize else value
        self.total_resource += step - tr.last
        tr.last = step
        while tr.next_rung < len(self.levels) and self.levels[tr.next_rung] <= step:
            k = tr.next_rung
            rung = self.rungs.setdefault((tr.bracket, k), [])
            e = len(self.entry_trial)
            self.entry_trial.append(t)
            bisect.insort(rung, (key, e))
            tr.last_entry = e
            tr.next_rung = k + 1
            if self.mode == "promotion":
                tr.status = "paused"
                return "pause"
            q = max(1, len(rung) // self.eta)
            if key > rung[q - 1][0]:
                tr.status = "stopped"
                return "stop"
        return "continue"

    def next_promotion(self, bracket: int | None = None, consume: bool = True
                       ) -> tuple[int, int, int] | None:
        for k in range(len(self.levels) - 1, -1, -1):
            for b in range(self.n_brackets or 0):
                if b > k or (bracket is not None and b != bracket):
                    continue
                rung = self.rungs.get((b, k), [])
                n_promoted = sum(e in self.promoted for _, e in rung)
                if self.quota and n_promoted >= len(rung) // self.eta:
                    continue
                for _, e in rung[:len(rung) // self.eta]:
                    if e in self.promoted or e in self.retired:
                        continue
                    t = self.entry_trial[e]
                    nxt = self.levels[k + 1] if k + 1 < len(self.levels) else self.max_resource
                    if consume:
                        self.promoted.add(e)
                        self.trials[t].status = "running"
                        self.trials[t].allowed = nxt
                    return t, k, nxt
        return None

    def retire(self, t: int) -> None:
        if t not in self.trials:
            self.start_trial(t)
        tr = self.trials[t]
        if tr.last_entry >= 0:
            self.retired.add(tr.last_entry)
        tr.status = "stopped"


@dataclass
class RefMedianRule:
    """Median stopping rule by brute force: keep every running average, sort on each query."""

    maximize: bool = False
    min_trials: int = 3
    sums: dict[int, float] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)
    stopped: set[int] = field(default_factory=set)
    averages: dict[int, list[float]] = field(default_factory=dict)

    def median_at(self, step: int) -> float | None:
        vals = sorted(self.averages.get(step, []))
        n = len(vals)
        if n == 0:
            return None
        if n % 2:
            return vals[n // 2]
        return (vals[n // 2 - 1] + vals[n // 2]) / 2.0

    def report(self, t: int, step: int, value: float) -> str:
        if t in self.stopped:
            raise RefReportError("stopped")
        if step <= self.last.get(t, 0):
            raise RefReportError("step_order")
        self.last[t] = step
        self.sums[t] = self.sums.get(t, 0.0) + value
        self.counts[t] = self.counts.get(t, 0) + 1
        earlier = self.averages.setdefault(step, [])
        decision = "continue"
        if len(earlier) >= self.min_trials:
            med = self.median_at(step)
            assert med is not None
            worse = value < med if self.maximize else value > med
            if worse:
                decision = "stop"
                self.stopped.add(t)
        earlier.append(self.sums[t] / self.counts[t])
        return decision
