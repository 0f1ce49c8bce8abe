"""Collecting every problem of a job document in one pass.

:func:`~hpo_core.jobs.document.parse_document` reads the document inside :func:`collecting`:
each independent part is read in a :class:`Section`, which records a
:class:`~hpo_core.errors.JobConfigError` and lets reading go on with the next part; field
readers call :func:`report` for problems that do not stop their own part (an unknown field
name). At the end :func:`raise_collected` raises the one error, or a
:class:`~hpo_core.errors.JobConfigErrors` holding them all. Outside :func:`collecting`,
:func:`report` raises at once, so the readers work alone as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType

from hpo_core.errors import JobConfigError, JobConfigErrors

__all__ = ["Recorded", "Section", "collecting", "raise_collected", "report"]

_ACTIVE: ContextVar[list[JobConfigError] | None] = ContextVar("hpo_core_job_problems",
                                                               default=None)


@contextmanager
def collecting() -> Iterator[list[JobConfigError]]:
    """Problems reported inside are gathered in the yielded list (nested: the outer list)."""
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    found: list[JobConfigError] = []
    token = _ACTIVE.set(found)
    try:
        yield found
    finally:
        _ACTIVE.reset(token)


def report(error: JobConfigError) -> None:
    """Record ``error`` when collecting; raise it otherwise."""
    found = _ACTIVE.get()
    if found is None:
        raise error
    found.append(error)


class Recorded(JobConfigError):
    """Raised by a reader whose problems were all recorded already, to end its part; a
    :class:`Section` swallows it without recording anything more."""

    def __init__(self) -> None:
        super().__init__("", "problems recorded")


class Section:
    """``with Section() as s:`` a part of the document whose first error is recorded (when
    collecting) instead of raised; ``s.failed`` says whether it, or a :func:`report` inside
    it, found a problem."""

    def __init__(self) -> None:
        self.failed = False
        self._start = 0

    def __enter__(self) -> Section:
        found = _ACTIVE.get()
        self._start = 0 if found is None else len(found)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> bool:
        found = _ACTIVE.get()
        if found is not None and len(found) > self._start:
            self.failed = True
        if not isinstance(error, JobConfigError) or found is None:
            return False
        self.failed = True
        if not isinstance(error, Recorded):
            found.append(error)
        return True


def raise_collected(found: list[JobConfigError]) -> None:
    """Raise the problems found, if any: one as itself, several as JobConfigErrors."""
    unique: list[JobConfigError] = []
    seen: set[str] = set()
    for e in found:
        for one in e.errors if isinstance(e, JobConfigErrors) else (e,):
            if str(one) not in seen:
                seen.add(str(one))
                unique.append(one)
    if len(unique) == 1:
        raise unique[0]
    if unique:
        raise JobConfigErrors(unique)
