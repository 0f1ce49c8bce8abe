"""Asynchronous successive halving across Hyperband brackets: the public `RungTable`.

Notation (see ``brackets.py``): r_min, R, eta, rung levels L_k (k < K), brackets b; n_r the
number of values recorded at a rung; q = floor(n_r / eta).

Two modes, as in ASHA (Li et al. 2020) and AMT's Hyperband:

* ``"stopping"``: a trial trains to R and reports as it goes; when a report first reaches a rung
  level L_k of its bracket (k >= b), its value is recorded at that rung and the trial goes on
  only if the value is at least as good as the max(1, q)-th best value recorded there (itself
  included; ties go on). A report that jumps over several levels is recorded at each in turn and
  stops at the first it fails. This is exactly Optuna's ``SuccessiveHalvingPruner`` rule
  (``bootstrap_count=0``) per bracket.
* ``"promotion"``: a trial trains to the level of its bracket's first rung and pauses there
  (decision ``"pause"``); `next_promotion` picks the best not-yet-promoted trial among the q
  best of a rung (highest rung first), which then resumes up to the next level (or R). By
  default (``quota=True``) a rung promotes at most q trials in all, so the promotion budget of
  synchronous successive halving holds at every moment; ``quota=False`` is the ASHA paper's
  rule, where a trial that enters the top q after earlier promotions dropped out of it is
  promoted too.

Ties: values are ranked by (value, arrival order), so among equal values the earlier report ranks
higher for promotion; a stop decision compares values only, so a report equal to the max(1, q)-th
best value goes on.

Every report costs O(log n) per rung it crosses; `report_many` runs a whole stream in one
compiled call. Trial ids are dense non-negative integers (trial numbers): per-trial rows are
indexed by id.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from . import _asha as K
from ._arrays import MAX_TRIAL_ID, check_batch, check_int, check_value, grown_rows
from ._heap import grown_pool, heaps_from_sorted
from .brackets import bracket_probabilities, check_weights, cumulative, rung_levels
from .errors import ReportError

Decision = Literal["continue", "stop", "pause"]
DECISIONS: tuple[Decision, ...] = ("continue", "stop", "pause")
CONTINUE, STOP, PAUSE = K.CONTINUE, K.STOP, K.PAUSE
_EMPTY_TRIAL = np.array([-1, 0, 0, K.UNSEEN, 0, -1], dtype=np.int64)


class Promotion(NamedTuple):
    """A trial promoted out of a rung: resume it and train up to ``resource``."""

    trial_id: int
    rung: int
    resource: int


class RungTable:
    """ASHA rung tables for every (bracket, rung), with O(log n) decisions.

    Args:
        min_resource: r_min >= 1 (first rung level).
        max_resource: R >= r_min (a trial reaching it is finished).
        eta: reduction factor >= 2.
        n_brackets: brackets in use, 1..K+1 (default K+1, as Hyperband); 1 is plain ASHA.
        mode: ``"stopping"`` or ``"promotion"``.
        maximize: True when larger values are better.
        seed: study seed for the bracket of a trial first seen in a report.
        quota: promotion mode: a rung of n_r trials promotes at most floor(n_r / eta) in all
            (the budget of synchronous successive halving). False is the ASHA paper's rule,
            which promotes any unpromoted trial in the top floor(n_r / eta) even when earlier
            promotions have since dropped out of it, so a rung may promote more.
        capacity: initial number of trials / entries to allocate for (grows by doubling).
        bracket_weights: the share of new trials for each bracket in use (``n_brackets``
            non-negative numbers, not all 0; normalized here); default Hyperband's
            (:func:`bracket_probabilities`).
    """

    def __init__(self, min_resource: int, max_resource: int, eta: int = 3, *,
                 n_brackets: int | None = None, mode: str = "stopping",
                 maximize: bool = False, seed: int = 0, quota: bool = True,
                 capacity: int = 1024, bracket_weights: Any = None) -> None:
        levels = rung_levels(min_resource, max_resource, eta)
        n_rungs = len(levels)
        nb = n_rungs + 1 if n_brackets is None else check_int(
            "n_brackets", n_brackets, 1, n_rungs + 1)
        if bracket_weights is None:
            prob = bracket_probabilities(nb, eta, n_rungs)
            self.bracket_weights: list[float] | None = None
        else:
            prob = check_weights(bracket_weights, nb)
            self.bracket_weights = [float(w) for w in bracket_weights]
        if mode not in ("stopping", "promotion"):
            raise ValueError(f"mode must be 'stopping' or 'promotion', got {mode!r}")
        check_int("seed", seed, -(2**63), 2**64 - 1)
        capacity = check_int("capacity", capacity, 1)
        self.min_resource, self.max_resource, self.eta = min_resource, max_resource, eta
        self.n_brackets, self.mode, self.maximize, self.seed = nb, mode, bool(maximize), seed
        self.quota = bool(quota)
        toff = np.concatenate([[0], np.cumsum(n_rungs - np.arange(nb))]).astype(np.int64)
        cfg = np.array([K.PROMOTION if mode == "promotion" else K.STOPPING, eta, n_rungs, nb,
                        max_resource, int(self.quota)], dtype=np.int64)
        heaps, pool_key, pool_id, top = heaps_from_sorted(
            [(np.empty(0), np.empty(0, np.int64))] * (3 * int(toff[-1])))
        self._a = K.RungArrays(
            cfg=cfg, seed=np.array([seed % 2**64], dtype=np.uint64), levels=levels,
            cum=cumulative(prob), toff=toff[:-1].copy(),
            trials=np.tile(_EMPTY_TRIAL, (capacity, 1)),
            ent_key=np.empty(capacity, dtype=np.float64),
            ent_info=np.empty((capacity, 3), dtype=np.int64), heaps=heaps,
            n_promoted=np.zeros(int(toff[-1]), dtype=np.int64), pool_key=pool_key, pool_id=pool_id,
            ctr=np.array([top, 0, 0, 0], dtype=np.int64))

    # ----------------------------------------------------------------- properties
    @property
    def levels(self) -> np.ndarray:
        """int64 (K,): the decision rung levels."""
        return self._a.levels.copy()

    @property
    def n_rungs(self) -> int:
        """K, the number of decision rungs."""
        return len(self._a.levels)

    @property
    def total_resource(self) -> int:
        """Sum over trials of the last step each reported (resource spent, in steps)."""
        return int(self._a.ctr[K.TOTAL_RESOURCE])

    @property
    def n_reports(self) -> int:
        """Number of reports applied."""
        return int(self._a.ctr[K.N_REPORTS])

    # ----------------------------------------------------------------- trials
    def start_trial(self, trial_id: int, bracket: int | None = None) -> int:
        """Register a trial and return the resource it may train to now.

        Args:
            trial_id: the trial number (not seen before).
            bracket: its bracket; default the deterministic hash of (seed, trial_id).

        Returns:
            R in stopping mode; in promotion mode the first rung level of its bracket (R for
            the bracket without rungs).
        """
        t = self._row(trial_id)
        if self._a.trials[t, K.STATUS] != K.UNSEEN:
            raise ValueError(f"trial_id {trial_id} was already started")
        b = -1 if bracket is None else check_int("bracket", bracket, 0, self.n_brackets - 1)
        return int(K._start_trial(self._a, t, b))

    def bracket_of(self, trial_id: int) -> int:
        """Bracket of a trial (registering it with the hashed bracket if unseen)."""
        t = self._row(trial_id)
        if self._a.trials[t, K.STATUS] == K.UNSEEN:
            K._start_trial(self._a, t, -1)
        return int(self._a.trials[t, K.BRACKET])

    def resource_of(self, trial_id: int) -> int:
        """The largest step the (started) trial may report now."""
        t = self._row(trial_id)
        if self._a.trials[t, K.STATUS] == K.UNSEEN:
            raise ValueError(f"trial_id {trial_id} has not been started")
        return int(self._a.trials[t, K.ALLOWED])

    def retire(self, trial_id: int) -> None:
        """Finish a trial (failed, or stopped by the caller): it may not report again, and if it
        is paused it will never be promoted. Its recorded values still count in the ranks."""
        t = self._row(trial_id)
        if self._a.trials[t, K.STATUS] == K.UNSEEN:
            K._start_trial(self._a, t, -1)
        K._retire(self._a, t)

    # ----------------------------------------------------------------- reports
    def report(self, trial_id: int, step: int, value: float) -> Decision:
        """Record one report and decide.

        Args:
            trial_id: trial number (>= 0); an unseen trial is started in its hashed bracket.
            step: resource used so far, 1 <= step <= R, larger than the trial's last step.
            value: the objective at that step (not NaN).

        Returns:
            ``"continue"``, ``"stop"`` (stopping mode; the trial is finished) or ``"pause"``
            (promotion mode; wait for `next_promotion`). A report at R returns
            ``"continue"``: the trial is complete and takes no further step.

        Raises:
            ValueError: bad argument; `ReportError` when the trial's state forbids the report.
        """
        t = self._row(trial_id)
        step = check_int("step", step, 1, self.max_resource)
        key = check_value("value", value)
        key = -key if self.maximize else key
        while True:
            code = K._report_one(self._a, t, step, key)
            if code >= 0:
                return DECISIONS[code]
            self._handle(code, t, step, 0)

    def report_many(self, trial_ids: Any, steps: Any, values: Any) -> np.ndarray:
        """Record a stream of reports in order, in one compiled call.

        Equivalent to calling `report` on each in turn. If report i is invalid, reports before
        it are applied and `ReportError` (with ``index == i``) is raised.

        Args:
            trial_ids: int (n,); steps: int (n,); values: float (n,).

        Returns:
            int8 (n,): decisions, CONTINUE (0), STOP (1) or PAUSE (2).
        """
        ids, stp, val = check_batch(trial_ids, steps, values, self.max_resource)
        key = -val if self.maximize else val
        out = np.empty(ids.shape[0], dtype=np.int8)
        if ids.size:
            self._grow_trials(int(ids.max()) + 1)
        i = 0
        while True:
            i, code = K._report_batch(self._a, ids, stp, key, out, i)
            if code == 0:
                return out
            self._handle(code, int(ids[i]), int(stp[i]), i)

    # ----------------------------------------------------------------- promotions
    def next_promotion(self, bracket: int | None = None) -> Promotion | None:
        """Promote the best promotable trial (highest rung first, then lowest bracket).

        A paused trial is promotable if it is among the floor(n_r / eta) best of its rung and
        was not promoted or retired (and, with ``quota``, its rung has promoted fewer than
        floor(n_r / eta) trials so far). The promoted trial resumes: it reports up to
        ``Promotion.resource`` and pauses again there (or finishes at R).

        Args:
            bracket: look only in this bracket (default: all).

        Returns:
            The promotion, or None when no trial is promotable (start a new trial instead).
        """
        return self._promotion(bracket, consume=True)

    def peek_promotion(self, bracket: int | None = None) -> Promotion | None:
        """What `next_promotion` would return, without promoting."""
        return self._promotion(bracket, consume=False)

    def _promotion(self, bracket: int | None, consume: bool) -> Promotion | None:
        if self.mode != "promotion":
            raise ValueError(f"promotions need mode='promotion', this table has mode="
                             f"{self.mode!r}")
        b = -1 if bracket is None else check_int("bracket", bracket, 0, self.n_brackets - 1)
        t, k, res = K._next_promotion(self._a, b, consume)
        return None if t < 0 else Promotion(int(t), int(k), int(res))

    # ----------------------------------------------------------------- state
    def to_state(self) -> dict[str, Any]:
        """Export the state as plain values and contiguous NumPy arrays (for saving).

        Returns:
            dict with ``config`` (dict of the constructor arguments), ``trials`` int64
            (n_trials, 6), ``entry_key`` float64 (n_entries,), ``entry_info`` int64
            (n_entries, 3) (table, trial, flags), ``counters`` int64 (2,) (total resource,
            number of reports). `from_state` rebuilds an equivalent table.
        """
        a = self._a
        n_ent = int(a.ctr[K.N_ENTRIES])
        seen = np.flatnonzero(a.trials[:, K.STATUS] != K.UNSEEN)
        n_trials = int(seen[-1]) + 1 if seen.size else 0
        return {
            "config": {"min_resource": self.min_resource, "max_resource": self.max_resource,
                       "eta": self.eta, "n_brackets": self.n_brackets, "mode": self.mode,
                       "maximize": self.maximize, "seed": self.seed, "quota": self.quota,
                       "bracket_weights": self.bracket_weights},
            "trials": a.trials[:n_trials].copy(),
            "entry_key": a.ent_key[:n_ent].copy(),
            "entry_info": a.ent_info[:n_ent].copy(),
            "counters": a.ctr[[K.TOTAL_RESOURCE, K.N_REPORTS]].copy(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RungTable:
        """Rebuild a table from `to_state` output (heaps rebuilt by sorting, O(n log n))."""
        table = cls(**state["config"])
        trials = np.asarray(state["trials"], dtype=np.int64)
        keys = np.asarray(state["entry_key"], dtype=np.float64)
        info = np.asarray(state["entry_info"], dtype=np.int64).copy()
        if trials.ndim != 2 or trials.shape[1] != K.N_TRIAL_FIELDS or keys.shape[0] != len(info):
            raise ValueError("state arrays have inconsistent shapes: trials "
                             f"{trials.shape}, entry_key {keys.shape}, entry_info {info.shape}")
        a = table._a
        n_tables = a.heaps.shape[0] // 3
        ids = np.arange(len(keys), dtype=np.int64)
        order = np.lexsort((ids, keys, info[:, K.E_TABLE]))
        bounds = np.searchsorted(info[order, K.E_TABLE], np.arange(n_tables + 1))
        info[:, K.E_FLAGS] &= K.PROMOTED | K.RETIRED
        groups = []
        for tbl in range(n_tables):
            members = order[bounds[tbl]:bounds[tbl + 1]]
            top = members[:len(members) // table.eta]
            info[top, K.E_FLAGS] |= K.IN_TOP
            unp = top[(info[top, K.E_FLAGS] & (K.PROMOTED | K.RETIRED)) == 0]
            if table.mode == "promotion":
                info[unp, K.E_FLAGS] |= K.IN_U
            else:
                unp = unp[:0]
            rest = members[len(top):]
            groups += [(keys[top[::-1]], top[::-1]), (keys[rest], rest), (keys[unp], unp)]
        heaps, pool_key, pool_id, pool_top = heaps_from_sorted(groups)
        cap = max(len(keys), len(trials), 16)
        ent_key = np.empty(cap, dtype=np.float64)
        ent_key[:len(keys)] = keys
        ent_info = np.empty((cap, 3), dtype=np.int64)
        ent_info[:len(keys)] = info
        rows = np.tile(_EMPTY_TRIAL, (cap, 1))
        rows[:len(trials)] = trials
        total, n_reports = (int(x) for x in state["counters"])
        n_promoted = np.bincount(info[:, K.E_TABLE], minlength=n_tables,
                                 weights=(info[:, K.E_FLAGS] & K.PROMOTED) > 0)
        table._a = a._replace(trials=rows, ent_key=ent_key, ent_info=ent_info, heaps=heaps,
                              n_promoted=n_promoted.astype(np.int64), pool_key=pool_key,
                              pool_id=pool_id,
                              ctr=np.array([pool_top, len(keys), total, n_reports], np.int64))
        return table

    # ----------------------------------------------------------------- internals
    def _row(self, trial_id: int) -> int:
        t = check_int("trial_id", trial_id, 0, MAX_TRIAL_ID)
        self._grow_trials(t + 1)
        return t

    def _grow_trials(self, n: int) -> None:
        if n > self._a.trials.shape[0]:
            self._a = self._a._replace(trials=grown_rows(self._a.trials, n, _EMPTY_TRIAL))

    def _handle(self, code: int, t: int, step: int, index: int) -> None:
        """Grow for NEED_* codes; raise ReportError for the others."""
        a = self._a
        if code == K.NEED_ENTRIES:
            n = int(a.ctr[K.N_ENTRIES]) + self.n_rungs + 1
            self._a = a._replace(ent_key=grown_rows(a.ent_key, n, 0.0),
                                 ent_info=grown_rows(a.ent_info, n, 0))
            return
        if code == K.NEED_POOL:
            pool_key, pool_id = grown_pool(a.heaps, a.pool_key, a.pool_id, a.ctr)
            self._a = a._replace(pool_key=pool_key, pool_id=pool_id)
            return
        row = a.trials[t]
        reasons = {
            K.ERR_STOPPED: ("stopped", f"trial {t} was stopped; it takes no more reports "
                                       f"(got step {step})"),
            K.ERR_PAUSED: ("paused", f"trial {t} is paused at step {row[K.LAST]}; it must be "
                                     f"promoted (next_promotion) before it reports step {step}"),
            K.ERR_STEP_ORDER: ("step_order", f"trial {t}: steps must increase, got step {step} "
                                             f"after step {row[K.LAST]}"),
            K.ERR_ABOVE: ("above_resource", f"trial {t}: step {step} is above the resource it "
                                            f"may train to now ({row[K.ALLOWED]})"),
        }
        reason, msg = reasons[code]
        where = f" (report {index} of the batch; earlier reports were applied)" if index else ""
        raise ReportError(msg + where, trial_id=t, step=step, index=index, reason=reason)
