"""Search spaces and their encoding to the unit cube.

This module is the ONLY place that converts hyperparameter dicts to arrays and back.

Notation:
    u       a point of the unit cube, shape ``(dims,)``, one coordinate per *free* parameter
    x       a numeric parameter value
    lo, hi  the bounds ``min_value``, ``max_value`` of a range (inclusive)

Parameters:
    ``Continuous(min_value, max_value, scaling)``  one coordinate after the scaling transform
    ``Integer(min_value, max_value, scaling)``     one coordinate; integer k owns the cell
                                                    ``[k - 1/2, k + 1/2]`` mapped through the
                                                    scaling
    ``Categorical(values)``                         one index coordinate: value i owns
                                                    ``[i/k, (i+1)/k)``
    ``Static(value)``                               no coordinate

A range with ``min_value == max_value`` and a one-value categorical are *fixed*: like ``Static``
they take no coordinate, and ``decode`` fills in their value.

Scalings (AMT spellings accepted: ``Auto``, ``Linear``, ``Logarithmic``, ``ReverseLogarithmic``):
    linear       u = (x - lo) / (hi - lo)
    log          u = (ln x - ln lo) / (ln hi - ln lo); needs lo > 0 (lo >= 1 for Integer)
    reverse_log  u = (t(x) - t(lo)) / (t(hi) - t(lo)) with t(x) = -ln(1 - x): 1 - x is
                 log-uniform; Continuous only, needs 0 <= lo <= hi < 1
    auto         a deterministic rule (:func:`resolve_auto_scaling`):
                 Continuous: log if lo > 0 and hi / lo >= 100, else reverse_log if
                 0 <= lo and hi < 1 and (1 - lo) / (1 - hi) >= 100, else linear.
                 Integer: log if lo >= 1 and hi / lo >= 100, else linear.

Exactness: ``decode`` maps every point of the closed cube to a valid point. For continuous
parameters ``encode(x)`` is the *smallest* cube coordinate whose decode is >= x, so encoding is
monotone and ``decode(encode(p)) == p`` holds exactly for every integer, categorical and static
value, for the bounds, and for every float the cube can represent (in particular every value
``decode`` ever produced). A float64 coordinate cannot represent every float of every range (a
range such as [-1, 1] holds more floats than [0, 1] does), so an arbitrary float comes back as
the nearest representable value above it, within a few ulps of the range width.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpo_core.errors import SearchSpaceError
from hpo_core.space.amt_ranges import params_from_sagemaker, params_to_sagemaker, string_ranges
from hpo_core.space.parameters import (
    _PARAM_TYPES,
    Categorical,
    Continuous,
    Integer,
    Param,
    Scalar,
    Static,
    _describe,
    _fixed_value,
    _scalar_key,
    hp_string,
)
from hpo_core.space.text import text_problem

__all__ = ["Coordinate", "Grid", "SearchSpace"]


@dataclass(frozen=True)
class Coordinate:
    """One dimension of the unit cube: which parameter, of which kind, how many values."""

    name: str
    kind: str  # "continuous" | "integer" | "categorical"
    n_values: int | None  # None for continuous


class Grid(Sequence[dict[str, Any]]):
    """Every combination of per-parameter grid values, indexable without materializing.

    The first parameter varies slowest.
    """

    def __init__(self, names: list[str], values: list[list[Any]]) -> None:
        self._names = names
        self._values = values
        self._size = math.prod(len(v) for v in values)

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise TypeError(f"grid index must be an int, got {type(index).__name__}")
        i = int(index) + (self._size if index < 0 else 0)
        if not 0 <= i < self._size:
            raise IndexError(f"grid index {index} out of range for a grid of {self._size}")
        point: dict[str, Any] = {}
        for name, vals in zip(reversed(self._names), reversed(self._values), strict=True):
            i, r = divmod(i, len(vals))
            point[name] = vals[r]
        return {name: point[name] for name in self._names}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(self._size))


# ------------------------------------------------------------------------------ search space

class SearchSpace:
    """An ordered mapping of parameter names to parameter definitions.

    Args:
        params: ``{name: Continuous | Integer | Categorical | Static}``; names are non-empty
            strings (no NUL, encodable as UTF-8) and keep their order.
    """

    def __init__(self, params: Mapping[str, Param]) -> None:
        if not isinstance(params, Mapping):
            raise SearchSpaceError(
                f"SearchSpace: expected a mapping of name -> parameter, got "
                f"{type(params).__name__}")
        if not params:
            raise SearchSpaceError("SearchSpace: expected at least one parameter, got none")
        for name, p in params.items():
            if not isinstance(name, str) or not name:
                raise SearchSpaceError(
                    f"SearchSpace: parameter names must be non-empty strings, got {name!r}")
            problem = text_problem(name)
            if problem is not None:
                raise SearchSpaceError(f"SearchSpace: parameter name {name!r} {problem}; "
                                       "expected a name usable in files and environment "
                                       "variables")
            if not isinstance(p, _PARAM_TYPES):
                raise SearchSpaceError(
                    f"SearchSpace: parameter {name!r} must be Continuous, Integer, Categorical "
                    f"or Static, got {_describe(p)}")
        self._params: dict[str, Param] = dict(params)
        self._free = [n for n, p in self._params.items() if not p.is_fixed]
        self._fixed = {n: _fixed_value(p) for n, p in self._params.items() if p.is_fixed}
        self._amt_source: dict[str, Any] | None = None

    # ---- description
    @property
    def params(self) -> dict[str, Param]:
        return dict(self._params)

    @property
    def names(self) -> list[str]:
        """Every parameter name, in order (fixed ones included)."""
        return list(self._params)

    @property
    def dims(self) -> int:
        """Number of unit-cube coordinates (one per free parameter)."""
        return len(self._free)

    @property
    def coordinates(self) -> list[Coordinate]:
        """What each cube coordinate is, in order."""
        out = []
        for n in self._free:
            p = self._params[n]
            if isinstance(p, Continuous):
                out.append(Coordinate(n, "continuous", None))
            elif isinstance(p, Integer | Categorical):
                kind = "integer" if isinstance(p, Integer) else "categorical"
                out.append(Coordinate(n, kind, p.n_values))
        return out

    @property
    def fixed_values(self) -> dict[str, Scalar]:
        """Values of the fixed parameters (Static, singleton ranges, one-value categoricals)."""
        return dict(self._fixed)

    @property
    def size(self) -> int | None:
        """Number of distinct points, or None when a free Continuous makes the space infinite."""
        total = 1
        for n in self._free:
            p = self._params[n]
            if isinstance(p, Continuous):
                return None
            total *= p.n_values  # type: ignore[union-attr]
        return total

    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and list(self._params.items()) == list(
            other._params.items())

    def __hash__(self) -> int:
        return hash(tuple(self._params.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {p!r}" for n, p in self._params.items())
        return f"SearchSpace({{{inner}}})"

    # ---- points
    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a point and return it normalized (plain Python types, space order).

        Raises:
            SearchSpaceError: a parameter is missing or unknown, or a value has the wrong type or
                lies outside its range.
        """
        if not isinstance(params, Mapping):
            raise SearchSpaceError(
                f"point: expected a dict of name -> value, got {_describe(params)}")
        missing = [n for n in self._params if n not in params]
        extra = [n for n in params if n not in self._params]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing!r}")
            if extra:
                parts.append(f"not in the space {extra!r}")
            raise SearchSpaceError(
                f"point: {'; '.join(parts)}; expected exactly the parameters {self.names!r}")
        return {n: p.check_value(params[n], f"parameter {n!r}") for n, p in self._params.items()}

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """A point as a unit-cube array of shape ``(dims,)``."""
        point = self.validate(params)
        return np.array([self._params[n].to_unit(point[n]) for n in self._free],  # type: ignore[union-attr]
                        dtype=np.float64).reshape(self.dims)

    def decode(self, u: Any) -> dict[str, Any]:
        """The point of a unit-cube array of shape ``(dims,)`` (closed cube, boundaries too)."""
        values = self._check_unit(u)
        params = self._params
        if not self._fixed:  # then self._free lists every parameter, in order
            return {n: params[n].from_unit(ui)  # type: ignore[union-attr]
                    for n, ui in zip(self._free, values, strict=True)}
        out = dict(self._fixed)
        for n, ui in zip(self._free, values, strict=True):
            out[n] = params[n].from_unit(ui)  # type: ignore[union-attr]
        return {n: out[n] for n in params}

    def decode_batch(self, u: Any) -> list[dict[str, Any]]:
        """Points of an array of shape ``(n, dims)``."""
        arr = np.asarray(u, dtype=np.float64) if not isinstance(u, np.ndarray) else u
        if arr.ndim != 2 or arr.shape[1] != self.dims:
            raise SearchSpaceError(
                f"decode_batch: expected shape (n, {self.dims}), got {arr.shape}")
        return [self.decode(row) for row in arr]

    def _check_unit(self, u: Any) -> list[float]:
        if type(u) is list and len(u) == self.dims and all(
                type(v) is float and 0.0 <= v <= 1.0 for v in u):
            return u  # the random strategy's fast path
        try:
            arr = np.asarray(u, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise SearchSpaceError(f"decode: expected a float array of shape ({self.dims},), "
                                   f"got {_describe(u)}") from e
        if arr.shape != (self.dims,):
            raise SearchSpaceError(f"decode: expected shape ({self.dims},), got {arr.shape}")
        values: list[float] = arr.tolist()
        if not all(0.0 <= v <= 1.0 for v in values):  # False for NaN too
            if not all(math.isfinite(v) for v in values):
                raise SearchSpaceError(f"decode: expected finite values, got {values!r}")
            raise SearchSpaceError(f"decode: expected values in [0, 1], got {values!r}")
        return values

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> list[dict[str, Any]]:
        """``n`` points drawn uniformly in the unit cube, decoded."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise SearchSpaceError(f"sample: n must be an int >= 0, got {n!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return [self.decode(row) for row in rng.random((int(n), self.dims))]

    def grid(self, grid_points: int | None = None) -> Grid:
        """Every combination of grid values: all values of Categorical, Integer and Static
        parameters, and ``grid_points`` values (evenly spaced in the scaled unit coordinate,
        both bounds included) of each free Continuous one."""
        if grid_points is not None and (isinstance(grid_points, bool)
                                        or not isinstance(grid_points, int) or grid_points < 1):
            raise SearchSpaceError(f"grid: grid_points must be an int >= 1, got {grid_points!r}")
        values = [p.grid_values(grid_points, f"parameter {n!r}") for n, p in self._params.items()]
        return Grid(self.names, values)

    def point_key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """A hashable key identifying a (validated) point: equal points, equal keys (1, 1.0
        and True are different values)."""
        return tuple(_scalar_key(params[n]) for n in self._params)

    def to_strings(self, params: Mapping[str, Any]) -> dict[str, str]:
        """A point as AMT hyperparameter strings (see :func:`hp_string`)."""
        return {n: hp_string(params[n]) for n in self._params}

    # ---- serialization
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description that :meth:`from_dict` reads back exactly."""
        out: dict[str, Any] = {}
        for n, p in self._params.items():
            if isinstance(p, Continuous | Integer):
                out[n] = {"type": type(p).__name__, "min_value": p.min_value,
                          "max_value": p.max_value, "scaling": p.scaling}
            elif isinstance(p, Categorical):
                out[n] = {"type": "Categorical", "values": list(p.values)}
            else:
                out[n] = {"type": "Static", "value": p.value}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping):
            raise SearchSpaceError(f"space: expected a mapping, got {_describe(data)}")
        params: dict[str, Param] = {}
        for n, spec in data.items():
            if not isinstance(spec, Mapping) or "type" not in spec:
                raise SearchSpaceError(f"space[{n!r}]: expected an object with a 'type'")
            kind = spec["type"]
            body = {k: v for k, v in spec.items() if k != "type"}
            ctor = {"Continuous": Continuous, "Integer": Integer,
                    "Categorical": Categorical, "Static": Static}.get(kind)
            if ctor is None:
                raise SearchSpaceError(f"space[{n!r}].type: unknown parameter type {kind!r}")
            try:
                params[n] = ctor(**body)
            except TypeError as e:
                raise SearchSpaceError(f"space[{n!r}]: {e}") from e
        return cls(params)

    @classmethod
    def from_sagemaker(cls, parameter_ranges: Mapping[str, Any],
                       static_hyperparameters: Mapping[str, str] | None = None) -> SearchSpace:
        """Read AMT's ``ParameterRanges`` (and optional ``StaticHyperParameters``); the space
        remembers the entries, so :meth:`to_sagemaker` gives them back unchanged."""
        space = cls(params_from_sagemaker(parameter_ranges, static_hyperparameters))
        space._amt_source = copy.deepcopy(dict(string_ranges(parameter_ranges)))
        return space

    def to_sagemaker(self) -> dict[str, Any]:
        """AMT's ``ParameterRanges`` for this space (Static parameters are not ranges: see
        :meth:`static_hyperparameters`)."""
        if self._amt_source is not None:
            return copy.deepcopy(self._amt_source)
        return params_to_sagemaker(self._params)

    def static_hyperparameters(self) -> dict[str, str]:
        """The Static parameters as AMT ``StaticHyperParameters`` strings."""
        return {n: hp_string(p.value) for n, p in self._params.items() if isinstance(p, Static)}
