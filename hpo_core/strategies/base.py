"""What every strategy sees and provides.

A strategy is a small object built from ``(space, seed, options)`` that turns the history of
trials into the next point. It keeps no state that a suggestion depends on beyond what it can
rebuild from the history, so a saved and reloaded Optimizer suggests exactly what the original
would have. Every random draw comes from :func:`rng_for` keyed by (seed, trial id, purpose).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from hpo_core.space import SearchSpace
from hpo_core.trial import Trial

__all__ = ["History", "Strategy", "rng_for"]


def rng_for(seed: int, trial_id: int, purpose: str, attempt: int = 0) -> np.random.Generator:
    """A generator keyed by (seed, trial id, purpose, attempt): same key, same draws."""
    tag = zlib.crc32(purpose.encode())
    return np.random.default_rng(np.random.SeedSequence([seed, trial_id, tag, attempt]))


@dataclass(frozen=True)
class History:
    """The read-only view a strategy gets.

    Attributes:
        space: the search space.
        seed: the Optimizer's seed.
        minimize: True when lower objective values are better.
        trials: every trial so far, in id order (pending ones included).
        used_keys: ``space.point_key`` of every trial's point (observed or pending).
    """

    space: SearchSpace
    seed: int
    minimize: bool
    trials: Sequence[Trial]
    used_keys: frozenset[str] | set[str]


class Strategy(Protocol):
    """The interface of ``hpo_core.strategies``."""

    name: str

    @property
    def size(self) -> int | None:
        """How many distinct points this strategy can suggest (None: unbounded)."""

    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        """The point for trial ``trial_id``, or None when every point it can suggest is used."""

    def options(self) -> dict[str, Any]:
        """The constructor options, JSON-ready (saved with the Optimizer)."""
