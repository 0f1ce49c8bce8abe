"""One exception hierarchy for hpo_core.

Every error the library raises on purpose derives from :class:`HPOError`. Each subclass also
derives from the builtin a caller would naturally catch (``ValueError`` for bad input), so
``except ValueError`` keeps working for code that does not know about hpo_core.

Execution errors (added by the adapters) say what the caller should do next: retry, mark the
trial failed, or abort the job.
"""

from __future__ import annotations

__all__ = [
    "HPOError",
    "OptimizerError",
    "SearchSpaceError",
]


class HPOError(Exception):
    """Root of every error raised by hpo_core."""


class SearchSpaceError(HPOError, ValueError):
    """An invalid search-space definition, or a point that does not belong to the space."""


class OptimizerError(HPOError, ValueError):
    """A misuse of the ask/tell API: unknown or already-told trial, bad value, exhausted space,
    unreadable saved state."""
