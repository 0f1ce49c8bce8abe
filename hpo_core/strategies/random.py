"""Random search: points drawn uniformly in the unit cube (so by each parameter's scaling).

In a finite space it never repeats a point that is observed or pending: it redraws a few
times, then picks uniformly among the unused points.
"""

from __future__ import annotations

from typing import Any

from hpo_core.space import SearchSpace
from hpo_core.strategies.base import History, rng_for, uniform_list, uniforms

#: Redraws before falling back to enumerating the unused points of a finite space.
REDRAWS = 32
#: Largest finite space whose unused points are enumerated.
ENUMERATION_LIMIT = 2_000_000


class RandomStrategy:
    name = "random"

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self._space = space
        self._seed = seed

    @property
    def size(self) -> int | None:
        return self._space.size

    def options(self) -> dict[str, Any]:
        return {}

    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        space = self._space
        size = space.size
        if size is None:
            return space.decode(uniform_list(self._seed, trial_id, "random", space.dims))
        if len(history.used_keys) >= size:
            return None
        for attempt in range(REDRAWS):
            point = space.decode(uniforms(self._seed, trial_id, "random", space.dims, attempt))
            if space.point_key(point) not in history.used_keys:
                return point
        if size > ENUMERATION_LIMIT:  # nearly full and huge: keep drawing
            for attempt in range(REDRAWS, 100 * REDRAWS):
                u = uniforms(self._seed, trial_id, "random", space.dims, attempt)
                point = space.decode(u)
                if space.point_key(point) not in history.used_keys:
                    return point
            return None
        grid = space.grid()
        unused = [i for i in range(len(grid)) if space.point_key(grid[i]) not in history.used_keys]
        if not unused:
            return None
        pick = rng_for(self._seed, trial_id, "random-unused").integers(len(unused))
        return grid[unused[int(pick)]]
