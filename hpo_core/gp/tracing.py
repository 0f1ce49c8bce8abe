"""Compile counter for the jitted entry points of :mod:`hpo_core.gp`.

Every jitted entry point calls :func:`count_trace` inside its traced body, so the counter
grows once per trace (a compilation or a persistent-cache hit), never on a cached call. Tests
and benchmarks read it to check that observations padded to one size bucket do not recompile.
The counter is diagnostics only: no result depends on it.
"""

from __future__ import annotations

__all__ = ["compile_counts", "count_trace", "reset_compile_counts"]

_COUNTS: dict[str, int] = {}


def count_trace(name: str) -> None:
    """Record one trace of entry point ``name`` (call it inside the traced function)."""
    _COUNTS[name] = _COUNTS.get(name, 0) + 1


def compile_counts() -> dict[str, int]:
    """Traces so far per entry point, e.g. ``{"fit": 3, "posterior": 1}``."""
    return dict(_COUNTS)


def reset_compile_counts() -> None:
    """Zero every counter (tests)."""
    _COUNTS.clear()
