"""Tables of trials: every source read into one :class:`RunTable`, and its pandas frames.

Below the Optimizer and the tuning job (both hand their trials over as a RunTable); above only
the search space. :mod:`hpo_core.analytics` is the public entry point that reads any source.
"""

from __future__ import annotations

from hpo_core.tables.frames import (
    COLUMNS,
    CURVE_COLUMNS,
    best_so_far,
    curve_frame,
    frame,
    require,
)
from hpo_core.tables.run_table import RunTable, from_optimizer, from_state, read_json

__all__ = [
    "COLUMNS",
    "CURVE_COLUMNS",
    "RunTable",
    "best_so_far",
    "curve_frame",
    "frame",
    "from_optimizer",
    "from_state",
    "read_json",
    "require",
]
