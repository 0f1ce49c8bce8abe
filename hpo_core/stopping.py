"""Early-stopping decisions behind ``Optimizer.report``.

A *stopper* sees every intermediate result as a loss (lower is better) and answers whether the
trial should stop. Its state is rebuilt on load by replaying the Optimizer's event log, so it
must be a deterministic function of the reports it has seen, in order.

``early_stopping="auto"`` is AMT's median stopping rule (:class:`MedianStoppingRule`); the
Hyperband strategy is its own stopper (it also decides promotions).
"""

from __future__ import annotations

from typing import Any, Protocol

from hpo_core.errors import OptimizerError

__all__ = ["MIN_EARLIER_TRIALS", "MedianStoppingRule", "Stopper", "make_stopper"]

#: The median rule acts at a step only once at least this many earlier trials reached it.
MIN_EARLIER_TRIALS = 3


class Stopper(Protocol):
    def observe(self, trial_id: int, step: int, loss: float) -> bool:
        """Record a report; True when the trial should stop."""

    def promote(self) -> tuple[int, int] | None:
        """Promotion mode: (paused trial id, its new resource), or None."""

    def mark_promoted(self, trial_id: int, resource: int) -> None:
        """Record that a paused trial was resumed with ``resource``."""


class MedianStoppingRule:
    """AMT's ``Auto`` early stopping.

    When a trial reports loss v at step k, take every *earlier* trial that reported at step k,
    each with the running average of its reports over steps 1..k; stop the trial if v is worse
    than the median of those averages. Acts only once :data:`MIN_EARLIER_TRIALS` earlier
    trials reached step k.
    """

    def __init__(self, min_trials: int = MIN_EARLIER_TRIALS) -> None:
        from hpo_core.kernels.median import MedianRule

        self._rule = MedianRule(min_trials=min_trials)

    def observe(self, trial_id: int, step: int, loss: float) -> bool:
        return bool(self._rule.report(trial_id, step, loss))

    def promote(self) -> tuple[int, int] | None:
        return None

    def mark_promoted(self, trial_id: int, resource: int) -> None:  # pragma: no cover
        raise OptimizerError("the median stopping rule has no promotions")


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
    return mode, (MedianStoppingRule() if mode == "auto" else None)
