"""Errors raised by the kernel wrappers (kernels may not import ``hpo_core.errors``).

Both subclass ``ValueError`` so callers can catch them as bad input; the Optimizer translates
`ReportError` into its own ``OptimizerError``.
"""

from __future__ import annotations


class ReportError(ValueError):
    """A report that the trial's state forbids (after a stop, while paused, out of order, ...).

    Attributes:
        trial_id: the trial that reported.
        step: the step it reported.
        index: position in the batch (0 for a single report); reports before it were applied.
        reason: one of "stopped", "paused", "step_order", "above_resource".
    """

    def __init__(self, message: str, *, trial_id: int, step: int, index: int,
                 reason: str) -> None:
        super().__init__(message)
        self.trial_id = trial_id
        self.step = step
        self.index = index
        self.reason = reason
