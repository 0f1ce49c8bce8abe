"""The trial record shared by the Optimizer and the strategies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FINISHED", "STATUSES", "Trial"]

#: ``pending``: asked, not told; ``completed`` / ``failed``: told. The multi-fidelity strategy
#: adds ``stopped`` and ``paused``.
STATUSES = ("pending", "completed", "failed", "stopped", "paused")
FINISHED = ("completed", "failed", "stopped")


@dataclass(eq=False)
class Trial:
    """One evaluation of one point.

    The Optimizer returns the very object it keeps, so ``trial.status`` and ``trial.value``
    follow ``tell``; treat it as read-only.

    Attributes:
        id: 0, 1, 2, ... in ask order.
        params: the point, ``{name: value}`` in the space's order (fixed values included).
        status: one of :data:`STATUSES`.
        value: the objective as told (None until completed, and for failed trials).
        reason: why a trial failed (None otherwise).
        enqueued: True when the point came from ``Optimizer.enqueue``.
        started_at, finished_at: wall-clock seconds (``time.time()``) of ask and tell.
        resource: multi-fidelity only: train up to this resource (max_resource in stopping
            mode, the rung to pause at in promotion mode); None otherwise.
        is_resume: promotion mode: this ask resumes a paused trial from its last step.
        reports: intermediate results ``[step, value]`` in report order.
    """

    id: int
    params: dict[str, Any]
    status: str = "pending"
    value: float | None = None
    reason: str | None = None
    enqueued: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    resource: int | None = None
    is_resume: bool = False
    reports: list[list[float]] = field(default_factory=list)

    @property
    def last_step(self) -> int:
        """The last step reported (0 before any report)."""
        return int(self.reports[-1][0]) if self.reports else 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "params": self.params, "status": self.status,
                "value": self.value, "reason": self.reason, "enqueued": self.enqueued,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "resource": self.resource, "is_resume": self.is_resume, "reports": self.reports}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        return cls(**data)

    def __repr__(self) -> str:
        tail = f", value={self.value!r}" if self.value is not None else ""
        tail += f", reason={self.reason!r}" if self.reason else ""
        return f"Trial(id={self.id}, status={self.status!r}, params={self.params!r}{tail})"
