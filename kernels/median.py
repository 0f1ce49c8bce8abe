"""Median stopping rule (AMT ``Auto`` early stopping): the public `MedianStoppingRule`.

Notation: v the value a trial reports at step k (k >= 1, one unit of resource); a_j(k) the
running average of trial j's reports at steps 1..k; M_k the median of a_j(k) over the trials that
reported at step k *earlier*; m = ``min_trials`` (default `MIN_TRIALS` = 3).

Rule: when a trial reports v at step k, it is stopped if at least m earlier trials reported at
step k and v is strictly worse than M_k (greater when minimizing, smaller when maximizing).
Its own running average then joins step k whatever the decision, so a stopped trial still counts
for the trials after it. With an even number of earlier averages M_k is the mean of the two
middle ones. Each report costs O(log n) in the number of trials that reached step k.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from . import _median as M
from ._arrays import MAX_TRIAL_ID, check_batch, check_int, check_value, grown_rows
from ._heap import SIZE, START, grown_pool, heaps_from_sorted
from .errors import ReportError

MIN_TRIALS = M.MIN_TRIALS
#: Largest step accepted (steps are epochs; per-step arrays are indexed by step).
MAX_STEP = 10**7
MedianDecision = Literal["continue", "stop"]
_DECISIONS: tuple[MedianDecision, ...] = ("continue", "stop")
_EMPTY_TRIAL = np.array([0, M.UNSEEN, 0], dtype=np.int64)


class MedianStoppingRule:
    """Running averages per trial and a running median per step.

    Args:
        maximize: True when larger values are better.
        min_trials: m, the number of earlier trials at a step before the rule acts (>= 1).
        capacity: initial number of trials and steps to allocate for (grows by doubling).
    """

    def __init__(self, *, maximize: bool = False, min_trials: int = MIN_TRIALS,
                 capacity: int = 1024) -> None:
        self.maximize = bool(maximize)
        self.min_trials = check_int("min_trials", min_trials, 1)
        capacity = check_int("capacity", capacity, 1)
        self._a = M.MedianArrays(
            cfg=np.array([self.min_trials], dtype=np.int64),
            trials=np.tile(_EMPTY_TRIAL, (capacity, 1)),
            tsum=np.zeros(capacity, dtype=np.float64),
            heaps=np.zeros((2 * 16, 3), dtype=np.int64),
            pool_key=np.empty(4 * capacity, dtype=np.float64),
            pool_id=np.empty(4 * capacity, dtype=np.int64),
            ctr=np.zeros(3, dtype=np.int64))

    @property
    def n_reports(self) -> int:
        """Number of reports applied."""
        return int(self._a.ctr[M.N_REPORTS])

    def report(self, trial_id: int, step: int, value: float) -> MedianDecision:
        """Record one report and decide.

        Args:
            trial_id: trial number (>= 0).
            step: step k, 1 <= k <= MAX_STEP, larger than the trial's last step.
            value: objective at step k, finite (an infinite value would make running averages
                NaN; retire a failed trial instead).

        Returns:
            ``"continue"`` or ``"stop"`` (the trial is then finished).

        Raises:
            ValueError: bad argument; `ReportError` after a stop or for a non-increasing step.
        """
        t = check_int("trial_id", trial_id, 0, MAX_TRIAL_ID)
        step = check_int("step", step, 1, MAX_STEP)
        key = check_value("value", value, finite=True)
        self._grow(t + 1, step)
        while True:
            code = M._report_one(self._a, t, step, -key if self.maximize else key)
            if code >= 0:
                return _DECISIONS[code]
            self._handle(code, t, step, 0)

    def report_many(self, trial_ids: Any, steps: Any, values: Any) -> np.ndarray:
        """Record a stream of reports in order, in one compiled call.

        Equivalent to `report` on each in turn; on an invalid report i, the reports before it
        are applied and `ReportError` (``index == i``) is raised.

        Args:
            trial_ids: int (n,); steps: int (n,); values: float (n,), finite.

        Returns:
            int8 (n,): 0 continue, 1 stop.
        """
        ids, stp, val = check_batch(trial_ids, steps, values, MAX_STEP, finite=True)
        out = np.empty(ids.shape[0], dtype=np.int8)
        if ids.size:
            self._grow(int(ids.max()) + 1, int(stp.max()))
        key = -val if self.maximize else val
        i = 0
        while True:
            i, code = M._report_batch(self._a, ids, stp, key, out, i)
            if code == 0:
                return out
            self._handle(code, int(ids[i]), int(stp[i]), i)

    def retire(self, trial_id: int) -> None:
        """Finish a trial: further reports are rejected; its past averages still count."""
        t = check_int("trial_id", trial_id, 0, MAX_TRIAL_ID)
        self._grow(t + 1, 1)
        self._a.trials[t, M.STATUS] = M.STOPPED

    def median_at(self, step: int) -> tuple[int, float]:
        """(number of running averages recorded at step, their median; NaN when none)."""
        step = check_int("step", step, 1, MAX_TRIAL_ID)
        if 2 * step > self._a.heaps.shape[0]:
            return 0, float("nan")
        n, med = M._median(self._a, step)
        if n == 0:
            return 0, float("nan")
        return int(n), float(-med if self.maximize else med)

    # ----------------------------------------------------------------- state
    def to_state(self) -> dict[str, Any]:
        """Export as plain values and arrays.

        Returns:
            dict with ``config``; ``trials`` int64 (n_trials, 3) (last step, status, count);
            ``sums`` float64 (n_trials,); ``step_counts`` int64 (n_steps,); ``averages``
            float64 (sum(step_counts),): the running averages recorded at each step, step 1
            first (in key orientation: negated when maximizing); ``n_reports``.
        """
        a = self._a
        seen = np.flatnonzero(a.trials[:, M.STATUS] != M.UNSEEN)
        n_trials = int(seen[-1]) + 1 if seen.size else 0
        counts, parts = [], []
        for h in range(0, a.heaps.shape[0], 2):
            part = [a.pool_key[a.heaps[j, START]:a.heaps[j, START] + a.heaps[j, SIZE]]
                    for j in (h, h + 1)]
            counts.append(len(part[0]) + len(part[1]))
            parts += part
        while counts and counts[-1] == 0:
            counts.pop()
        return {
            "config": {"maximize": self.maximize, "min_trials": self.min_trials},
            "trials": a.trials[:n_trials].copy(), "sums": a.tsum[:n_trials].copy(),
            "step_counts": np.asarray(counts, dtype=np.int64),
            "averages": np.concatenate(parts) if parts else np.empty(0),
            "n_reports": int(a.ctr[M.N_REPORTS]),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MedianStoppingRule:
        """Rebuild a rule from `to_state` output."""
        rule = cls(**state["config"])
        trials = np.asarray(state["trials"], dtype=np.int64)
        sums = np.asarray(state["sums"], dtype=np.float64)
        counts = np.asarray(state["step_counts"], dtype=np.int64)
        avgs = np.asarray(state["averages"], dtype=np.float64)
        if trials.shape != (len(sums), 3) or counts.sum() != len(avgs):
            raise ValueError(f"state arrays have inconsistent shapes: trials {trials.shape}, "
                             f"sums {sums.shape}, step_counts sum {counts.sum()}, averages "
                             f"{avgs.shape}")
        groups = []
        start = 0
        n_steps = max(len(counts), 16)
        for k in range(n_steps):
            n = int(counts[k]) if k < len(counts) else 0
            vals = np.sort(avgs[start:start + n])
            start += n
            n_lo = (n + 1) // 2
            ids = np.arange(start - n, start, dtype=np.int64)
            groups += [(vals[:n_lo][::-1], ids[:n_lo]), (vals[n_lo:], ids[n_lo:])]
        heaps, pool_key, pool_id, top = heaps_from_sorted(groups)
        rows = grown_rows(np.tile(_EMPTY_TRIAL, (16, 1)), len(trials), _EMPTY_TRIAL)
        rows[:len(trials)] = trials
        tsum = np.zeros(rows.shape[0])
        tsum[:len(sums)] = sums
        rule._a = rule._a._replace(
            trials=rows, tsum=tsum, heaps=heaps, pool_key=pool_key, pool_id=pool_id,
            ctr=np.array([top, len(avgs), int(state["n_reports"])], dtype=np.int64))
        return rule

    # ----------------------------------------------------------------- internals
    def _grow(self, n_trials: int, max_step: int) -> None:
        a = self._a
        if n_trials > a.trials.shape[0]:
            a = a._replace(trials=grown_rows(a.trials, n_trials, _EMPTY_TRIAL),
                           tsum=grown_rows(a.tsum, n_trials, 0.0))
        if 2 * max_step > a.heaps.shape[0]:
            a = a._replace(heaps=grown_rows(a.heaps, 2 * max_step, 0))
        self._a = a

    def _handle(self, code: int, t: int, step: int, index: int) -> None:
        a = self._a
        if code == M.NEED_POOL:
            pool_key, pool_id = grown_pool(a.heaps, a.pool_key, a.pool_id, a.ctr)
            self._a = a._replace(pool_key=pool_key, pool_id=pool_id)
            return
        where = f" (report {index} of the batch; earlier reports were applied)" if index else ""
        if code == M.ERR_STOPPED:
            raise ReportError(f"trial {t} was stopped; it takes no more reports (got step "
                              f"{step}){where}", trial_id=t, step=step, index=index,
                              reason="stopped")
        raise ReportError(f"trial {t}: steps must increase, got step {step} after step "
                          f"{a.trials[t, M.LAST]}{where}", trial_id=t, step=step, index=index,
                          reason="step_order")
