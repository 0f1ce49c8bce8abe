"""Grid search: every combination of Categorical, Integer and Static values, and ``grid_points``
values of each Continuous parameter, in order (first parameter slowest), skipping points that
are already observed or pending (enqueued ones, for example)."""

from __future__ import annotations

from typing import Any

from hpo_core.errors import OptimizerError
from hpo_core.space import SearchSpace
from hpo_core.strategies.base import History


class GridStrategy:
    name = "grid"

    def __init__(self, space: SearchSpace, seed: int, grid_points: int | None = None) -> None:
        self._space = space
        self._grid_points = grid_points
        self._grid = space.grid(grid_points)
        # Derived cache: every grid index below the cursor is used. Rebuilt from the history.
        self._cursor = 0
        self._seen = 0

    @property
    def size(self) -> int:
        return len(self._grid)

    def options(self) -> dict[str, Any]:
        return {"grid_points": self._grid_points}

    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        if len(history.trials) < self._seen:  # history shrank (a rolled-back batch)
            self._cursor = 0
        self._seen = len(history.trials)
        key = self._space.point_key
        while self._cursor < len(self._grid):
            point = self._grid[self._cursor]
            if key(point) not in history.used_keys:
                return point
            self._cursor += 1
        return None


def check_grid_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - {"grid_points"})
    if unknown:
        raise OptimizerError(f"strategy 'grid': unknown option(s) {unknown!r}; "
                             "expected grid_points")
