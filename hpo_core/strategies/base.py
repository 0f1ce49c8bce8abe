"""What every strategy sees and provides.

A strategy is a small object built from ``(space, seed, options)`` that turns the history of
trials into the next point. It keeps no state that a suggestion depends on beyond what it can
rebuild from the history, so a saved and reloaded Optimizer suggests exactly what the original
would have. Every random draw comes from :func:`rng_for` keyed by (seed, trial id, purpose).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from hpo_core.space import SearchSpace
from hpo_core.trial import Trial

__all__ = ["History", "Strategy", "rng_for", "uniforms"]

_MASK = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64's finalizer: a bijection of 64-bit integers that scrambles every bit."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


@functools.lru_cache(maxsize=64)
def _purpose_tag(purpose: str) -> int:
    return zlib.crc32(purpose.encode())


def uniform_list(seed: int, trial_id: int, purpose: str, n: int, attempt: int = 0
                 ) -> list[float]:
    """:func:`uniforms` as a list of Python floats (the random strategy's fast path)."""
    key = _mix64(seed & _MASK)
    for part in (trial_id, _purpose_tag(purpose), attempt):
        key = _mix64((key + 0x9E3779B97F4A7C15 + part) & _MASK)
    return [(_mix64((key + i * 0x9E3779B97F4A7C15) & _MASK) >> 11) * 2.0**-53
            for i in range(1, n + 1)]


def uniforms(seed: int, trial_id: int, purpose: str, n: int, attempt: int = 0) -> np.ndarray:
    """``n`` floats in [0, 1) keyed by (seed, trial id, purpose, attempt): a counter-based
    generator (SplitMix64 of the key and the index), cheap for the few numbers a random
    suggestion needs. Shape ``(n,)``."""
    return np.array(uniform_list(seed, trial_id, purpose, n, attempt), dtype=np.float64)


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
    used_keys: frozenset[tuple[Any, ...]] | set[tuple[Any, ...]]


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
