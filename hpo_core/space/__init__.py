"""Search spaces: parameter definitions, the space and its unit-cube encoding, AMT's ranges.

Modules, lowest first: :mod:`.parameters` (``Continuous``, ``Integer``, ``Categorical``,
``Static`` and their scalings), :mod:`.amt_ranges` (AMT's ``ParameterRanges`` entries <->
definitions), :mod:`.search_space` (:class:`SearchSpace`: validation, encode/decode, grids).
"""

from __future__ import annotations

from hpo_core.space.parameters import (
    _AMT_SCALING,
    INTEGER_LIMIT,
    Categorical,
    Continuous,
    Integer,
    Param,
    Static,
    hp_string,
    resolve_auto_scaling,
)
from hpo_core.space.search_space import Coordinate, Grid, SearchSpace

__all__ = [
    "INTEGER_LIMIT",
    "_AMT_SCALING",
    "Categorical",
    "Continuous",
    "Coordinate",
    "Grid",
    "Integer",
    "Param",
    "SearchSpace",
    "Static",
    "hp_string",
    "resolve_auto_scaling",
]
