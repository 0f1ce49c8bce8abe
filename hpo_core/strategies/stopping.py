"""Early-stopping decisions behind ``Optimizer.report``.

A *stopper* sees every intermediate result as a loss (lower is better) and decides
``"continue"``, ``"stop"`` or (promotion mode) ``"pause"``. Its state is rebuilt on load by
replaying the Optimizer's event log (reports, promotions, retirements in order), so it must be a
deterministic function of that sequence.

``early_stopping="auto"`` is AMT's median stopping rule (:class:`MedianStopping`, on the numba
kernel); the Hyperband strategy is its own stopper (it also decides promotions).
"""

from __future__ import annotations

from typing import Any, Protocol

from hpo_core.errors import OptimizerError
from hpo_core.kernels import MIN_TRIALS
from hpo_core.kernels import MedianStoppingRule as _MedianKernel

__all__ = ["MIN_TRIALS", "MedianStopping", "Stopper", "make_stopper"]


class Stopper(Protocol):
    def observe(self, trial_id: int, step: int, loss: float, last_step: int = -1) -> str:
        """Record a report (``last_step``: the trial's previous step, 0 before any);
        ``"continue"``, ``"stop"`` or ``"pause"``."""

    def observe_many(self, trial_ids: list[int], steps: list[int], losses: list[float]) -> None:
        """Replay a run of reports (decisions are not needed)."""

    def promote(self) -> tuple[int, int] | None:
        """Promotion mode: take the next promotion (paused trial id, new resource), or None."""

    def mark_promoted(self, trial_id: int, resource: int) -> None:
        """Replay a promotion taken by :meth:`promote` (the same one must come out)."""

    def retire(self, trial_id: int) -> None:
        """A trial failed: it reports no more and is never promoted."""


class MedianStopping:
    """AMT's ``Auto`` early stopping.

    When a trial reports loss v at step k, take every *earlier* trial that reported at step k,
    each with the running average of its reports over steps 1..k; stop the trial if v is worse
    than the median of those averages. Acts only once ``MIN_TRIALS`` (3) earlier trials
    reached step k. O(log n) per report (:class:`hpo_core.kernels.MedianStoppingRule`).
    """

    def __init__(self, min_trials: int = MIN_TRIALS) -> None:
        self._rule = _MedianKernel(min_trials=min_trials)

    def observe(self, trial_id: int, step: int, loss: float, last_step: int = -1) -> str:
        return self._rule.report(trial_id, step, loss)

    def observe_many(self, trial_ids: list[int], steps: list[int], losses: list[float]) -> None:
        self._rule.report_many(trial_ids, steps, losses)

    def promote(self) -> tuple[int, int] | None:
        return None

    def mark_promoted(self, trial_id: int, resource: int) -> None:
        raise ValueError("the median stopping rule has no promotions")

    def retire(self, trial_id: int) -> None:
        self._rule.retire(trial_id)


def make_stopper(early_stopping: Any, strategy: Any) -> tuple[str, Stopper | None]:
    """The normalized ``early_stopping`` setting and the stopper that implements it."""
    mode = early_stopping.lower() if isinstance(early_stopping, str) else early_stopping
    if mode not in ("off", "auto"):
        raise OptimizerError(f"early_stopping: expected 'off' or 'auto', got {early_stopping!r}")
    if getattr(strategy, "multi_fidelity", False):
        if mode == "auto":
            raise OptimizerError(
                f"early_stopping: 'auto' does not combine with strategy {strategy.name!r}, which "
                "stops trials itself; use early_stopping='off'")
        return mode, strategy
    return mode, (MedianStopping() if mode == "auto" else None)
