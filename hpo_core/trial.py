"""The trial record shared by the Optimizer and the strategies."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from hpo_core.errors import OptimizerError, describe

__all__ = ["FINISHED", "STATUSES", "Trial"]

#: ``pending``: asked, not told; ``completed`` / ``failed``: told. The multi-fidelity strategy
#: adds ``stopped`` and ``paused``.
STATUSES = ("pending", "completed", "failed", "stopped", "paused")
FINISHED = ("completed", "failed", "stopped")
#: The statuses whose trial has a value (completed: as told; stopped: its last report).
_WITH_VALUE = ("completed", "stopped")


@dataclass(eq=False, slots=True, weakref_slot=True)
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
        # A snapshot: the reports of a running trial grow (report() appends), so they are
        # copied; a finished trial's, its params and every [step, value] never change.
        reports = self.reports if self.status in FINISHED else list(self.reports)
        return {"id": self.id, "params": self.params, "status": self.status,
                "value": self.value, "reason": self.reason, "enqueued": self.enqueued,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "resource": self.resource, "is_resume": self.is_resume, "reports": reports}

    @classmethod
    def from_dict(cls, data: Any, where: str = "trial") -> Trial:
        """Read back :meth:`to_dict`, checking every field (``params`` only for being an
        object: its values are the space's to check).

        Raises:
            OptimizerError: naming the field (``<where>.value``), the value and what was
                expected.
        """
        if not isinstance(data, dict):
            raise OptimizerError(f"{where}: expected an object, got {describe(data)}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise OptimizerError(f"{where}: unknown field(s) {unknown}; expected "
                                 f"{sorted(known)}")
        for key in ("id", "params", "status"):
            if key not in data:
                raise OptimizerError(f"{where}.{key}: required field is missing")
        tid = _int(data["id"], f"{where}.id", 0)
        if not isinstance(data["params"], dict):
            raise OptimizerError(f"{where}.params: expected an object of name -> value, got "
                                 f"{describe(data['params'])}")
        status = data["status"]
        if not isinstance(status, str) or status not in STATUSES:
            raise OptimizerError(f"{where}.status: expected one of {list(STATUSES)}, got "
                                 f"{describe(status)}")
        value = data.get("value")
        if status in _WITH_VALUE:
            value = _finite(value, f"{where}.value", f"the value of a {status} trial")
        elif value is not None:
            raise OptimizerError(f"{where}.value: expected null (a {status} trial has no "
                                 f"value), got {describe(value)}")
        reason = data.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise OptimizerError(f"{where}.reason: expected a string or null, got "
                                 f"{describe(reason)}")
        times = [None if data.get(k) is None else _finite(data[k], f"{where}.{k}",
                                                          "seconds since the epoch")
                 for k in ("started_at", "finished_at")]
        resource = data.get("resource")
        if resource is not None:
            resource = _int(resource, f"{where}.resource", 1)
        flags = [data.get(k, False) for k in ("enqueued", "is_resume")]
        for k, v in zip(("enqueued", "is_resume"), flags, strict=True):
            if not isinstance(v, bool):
                raise OptimizerError(f"{where}.{k}: expected true or false, got {describe(v)}")
        return cls(id=tid, params=dict(data["params"]), status=status, value=value,
                   reason=reason, enqueued=flags[0], started_at=times[0], finished_at=times[1],
                   resource=resource, is_resume=flags[1],
                   reports=_reports(data.get("reports", []), f"{where}.reports"))

    def __repr__(self) -> str:
        tail = f", value={self.value!r}" if self.value is not None else ""
        tail += f", reason={self.reason!r}" if self.reason else ""
        return f"Trial(id={self.id}, status={self.status!r}, params={self.params!r}{tail})"


def _int(value: Any, what: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise OptimizerError(f"{what}: expected an integer >= {lo}, got {describe(value)}")
    return value


def _finite(value: Any, what: str, expected: str) -> float:
    """A finite float from an int or a float (bools, strings, lists, 10**400, NaN refused)."""
    if not isinstance(value, bool) and isinstance(value, int | float):
        try:
            f = float(value)
        except OverflowError:
            f = math.inf
        if math.isfinite(f):
            return f
    raise OptimizerError(f"{what}: expected a finite number ({expected}), got {describe(value)}")


def _reports(value: Any, what: str) -> list[list[float]]:
    """``[[step, value], ...]``: int steps >= 1, increasing; finite values."""
    if not isinstance(value, list):
        raise OptimizerError(f"{what}: expected a list of [step, value], got {describe(value)}")
    out: list[list[float]] = []
    last = 0
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != 2:
            raise OptimizerError(f"{what}[{i}]: expected [step, value], got {describe(item)}")
        step = _int(item[0], f"{what}[{i}][0]", last + 1)
        out.append([step, _finite(item[1], f"{what}[{i}][1]", "the reported value")])
        last = step
    return out
