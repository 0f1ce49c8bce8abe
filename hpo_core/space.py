"""Search spaces and their encoding to the unit cube.

This module is the ONLY place that converts hyperparameter dicts to arrays and back.

Notation:
    u       a point of the unit cube, shape ``(dims,)``, one coordinate per *free* parameter
    x       a numeric parameter value
    lo, hi  the bounds ``min_value``, ``max_value`` of a range (inclusive)

Parameters:
    ``Continuous(min_value, max_value, scaling)``  one coordinate after the scaling transform
    ``Integer(min_value, max_value, scaling)``     one coordinate; integer k owns the cell
                                                    ``[k - 1/2, k + 1/2]`` mapped through the scaling
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

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_core.errors import SearchSpaceError

__all__ = [
    "INTEGER_LIMIT",
    "Categorical",
    "Continuous",
    "Grid",
    "Integer",
    "Param",
    "SearchSpace",
    "Static",
    "hp_string",
    "resolve_auto_scaling",
]

#: Integer bounds must lie in [-INTEGER_LIMIT, INTEGER_LIMIT] so that every integer owns a
#: non-empty set of float64 cube coordinates.
INTEGER_LIMIT = 2**40

_SCALINGS = {
    "auto": "auto",
    "linear": "linear",
    "log": "log",
    "reverse_log": "reverse_log",
    "Auto": "auto",
    "Linear": "linear",
    "Logarithmic": "log",
    "ReverseLogarithmic": "reverse_log",
}
_AMT_SCALING = {"auto": "Auto", "linear": "Linear", "log": "Logarithmic",
                "reverse_log": "ReverseLogarithmic"}

Scalar = str | int | float | bool | None


def hp_string(value: Any) -> str:
    """A hyperparameter value as AMT passes it: strings as they are, else ``json.dumps``.

    ``0.1 -> "0.1"``, ``True -> "true"``, ``3 -> "3"``, ``None -> "null"``.
    """
    return value if isinstance(value, str) else json.dumps(value)


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _scalar_key(value: Any) -> tuple[str, Any]:
    """Identity of a JSON scalar: 1, 1.0 and True are three different values."""
    if value is None:
        return ("n", None)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("i", value)
    if isinstance(value, float):
        return ("f", value)
    return ("s", value)


def _normalize_scalar(value: Any, what: str) -> Scalar:
    """Return ``value`` as a plain JSON scalar (numpy scalars unwrapped) or raise."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SearchSpaceError(f"{what}: expected a finite value, got {value!r}")
        return value
    raise SearchSpaceError(
        f"{what}: expected a JSON scalar (str, int, float, bool or None), got {_describe(value)}")


def _number(value: Any, what: str) -> float:
    """A finite real bound or value; bools and strings are rejected."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SearchSpaceError(f"{what}: expected a real number, got {_describe(value)}")
    if isinstance(value, int) and abs(value) > 2**1023:
        raise SearchSpaceError(f"{what}: expected a finite real number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise SearchSpaceError(f"{what}: expected a finite real number, got {value!r}")
    return f


def _integral(value: Any, what: str) -> int:
    """An integer bound or value: an int, or a float with an integral value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SearchSpaceError(f"{what}: expected an integer, got {_describe(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise SearchSpaceError(f"{what}: expected an integral value, got {value!r}")
    k = int(value)
    if abs(k) > INTEGER_LIMIT:
        raise SearchSpaceError(f"{what}: expected an integer within +/-2**40, got {value!r}")
    return k


def _scaling(value: Any, what: str) -> str:
    if not isinstance(value, str) or value not in _SCALINGS:
        raise SearchSpaceError(
            f"{what}: unknown scaling {value!r}; expected one of auto, linear, log, reverse_log "
            "(or Auto, Linear, Logarithmic, ReverseLogarithmic)")
    return _SCALINGS[value]


def resolve_auto_scaling(kind: str, lo: float, hi: float) -> str:
    """The scaling ``auto`` stands for (see the module docstring for the rule)."""
    # 1e-9 of slack so that decimal bounds such as [0.9, 0.999] count as two decades.
    ratio = 100.0 * (1.0 - 1e-9)
    if lo > 0 and hi / lo >= ratio and (kind == "continuous" or lo >= 1):
        return "log"
    if kind == "continuous" and 0 <= lo and hi < 1 and (1 - lo) / (1 - hi) >= ratio:
        return "reverse_log"
    return "linear"


def _smallest_u_at_least(decode: Any, target: float, u0: float) -> float:
    """The smallest float u in [0, 1] with ``decode(u) >= target`` (decode non-decreasing).

    Starts from an analytic guess ``u0`` and walks a few ulps; falls back to bisection over the
    bit patterns of non-negative floats (which are ordered like the floats).
    """
    u = min(max(u0, 0.0), 1.0)
    for _ in range(6):
        if decode(u) >= target:
            if u == 0.0:
                return u
            below = math.nextafter(u, -math.inf)
            if decode(below) < target:
                return u
            u = below
        else:
            if u == 1.0:
                return u
            u = math.nextafter(u, math.inf)
    if decode(0.0) >= target:
        return 0.0
    lo_bits = 0
    hi_bits = int(np.float64(1.0).view(np.int64))
    while hi_bits - lo_bits > 1:
        mid = (lo_bits + hi_bits) // 2
        if decode(float(np.int64(mid).view(np.float64))) >= target:
            hi_bits = mid
        else:
            lo_bits = mid
    return float(np.int64(hi_bits).view(np.float64))


# --------------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Continuous:
    """A real range ``[min_value, max_value]`` with a scaling."""

    min_value: float
    max_value: float
    scaling: str = "auto"
    _effective: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        what = f"Continuous(min_value={self.min_value!r}, max_value={self.max_value!r})"
        lo = _number(self.min_value, f"{what}: min_value")
        hi = _number(self.max_value, f"{what}: max_value")
        scaling = _scaling(self.scaling, f"{what}: scaling")
        if lo > hi:
            raise SearchSpaceError(f"{what}: min_value must be <= max_value, got {lo!r} > {hi!r}")
        if not math.isfinite(hi - lo):
            raise SearchSpaceError(f"{what}: the range width max_value - min_value overflows")
        if scaling == "log" and lo <= 0:
            raise SearchSpaceError(f"{what}: scaling='log' needs min_value > 0, got {lo!r}")
        if scaling == "reverse_log" and not (0 <= lo and hi < 1):
            raise SearchSpaceError(
                f"{what}: scaling='reverse_log' needs 0 <= min_value and max_value < 1, "
                f"got [{lo!r}, {hi!r}]")
        object.__setattr__(self, "min_value", lo)
        object.__setattr__(self, "max_value", hi)
        object.__setattr__(self, "scaling", scaling)
        eff = resolve_auto_scaling("continuous", lo, hi) if scaling == "auto" else scaling
        object.__setattr__(self, "_effective", eff)

    @property
    def effective_scaling(self) -> str:
        """``scaling`` with ``auto`` resolved."""
        return self._effective

    @property
    def is_fixed(self) -> bool:
        return self.min_value == self.max_value

    def _transform(self, x: float) -> float:
        if self._effective == "log":
            return math.log(x)
        if self._effective == "reverse_log":
            return -math.log1p(-x)
        return x

    def from_unit(self, u: float) -> float:
        lo, hi = self.min_value, self.max_value
        if u <= 0.0 or lo == hi:
            return lo
        if u >= 1.0:
            return hi
        if self._effective == "linear":
            x = lo + u * (hi - lo)
        else:
            a, b = self._transform(lo), self._transform(hi)
            t = a + u * (b - a)
            x = math.exp(t) if self._effective == "log" else -math.expm1(-t)
        return min(max(x, lo), hi)

    def to_unit(self, x: float) -> float:
        a, b = self._transform(self.min_value), self._transform(self.max_value)
        u0 = (self._transform(x) - a) / (b - a)
        return _smallest_u_at_least(self.from_unit, x, u0)

    def check_value(self, value: Any, what: str) -> float:
        x = _number(value, what)
        if not self.min_value <= x <= self.max_value:
            raise SearchSpaceError(
                f"{what}: value {x!r} outside [{self.min_value!r}, {self.max_value!r}]")
        return x

    def grid_values(self, grid_points: int | None, what: str) -> list[Any]:
        if self.is_fixed:
            return [self.min_value]
        if grid_points is None:
            raise SearchSpaceError(
                f"{what} is Continuous: a grid needs grid_points=k (k values per continuous "
                "parameter), got grid_points=None")
        if grid_points == 1:
            return [self.from_unit(0.5)]
        return list(dict.fromkeys(self.from_unit(i / (grid_points - 1))
                                  for i in range(grid_points)))


@dataclass(frozen=True)
class Integer:
    """An integer range ``[min_value, max_value]`` (inclusive) with a scaling."""

    min_value: int
    max_value: int
    scaling: str = "auto"
    _effective: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        what = f"Integer(min_value={self.min_value!r}, max_value={self.max_value!r})"
        lo = _integral(self.min_value, f"{what}: min_value")
        hi = _integral(self.max_value, f"{what}: max_value")
        scaling = _scaling(self.scaling, f"{what}: scaling")
        if lo > hi:
            raise SearchSpaceError(f"{what}: min_value must be <= max_value, got {lo} > {hi}")
        if scaling == "log" and lo < 1:
            raise SearchSpaceError(f"{what}: scaling='log' needs min_value >= 1, got {lo}")
        if scaling == "reverse_log":
            raise SearchSpaceError(
                f"{what}: scaling='reverse_log' is for Continuous ranges only; "
                "expected auto, linear or log")
        object.__setattr__(self, "min_value", lo)
        object.__setattr__(self, "max_value", hi)
        object.__setattr__(self, "scaling", scaling)
        eff = resolve_auto_scaling("integer", lo, hi) if scaling == "auto" else scaling
        object.__setattr__(self, "_effective", eff)

    @property
    def effective_scaling(self) -> str:
        return self._effective

    @property
    def is_fixed(self) -> bool:
        return self.min_value == self.max_value

    @property
    def n_values(self) -> int:
        return self.max_value - self.min_value + 1

    def from_unit(self, u: float) -> int:
        lo, hi = self.min_value, self.max_value
        u = min(max(u, 0.0), 1.0)
        if self._effective == "log":
            a = math.log(lo - 0.5)
            v = math.exp(a + u * (math.log(hi + 0.5) - a))
            k = math.floor(v + 0.5)
        else:
            k = lo + math.floor(u * self.n_values)
        return int(min(max(k, lo), hi))

    def to_unit(self, k: int) -> float:
        lo, hi = self.min_value, self.max_value
        if self._effective == "log":
            a = math.log(lo - 0.5)
            mid = 0.5 * (math.log(k - 0.5) + math.log(k + 0.5))
            u = (mid - a) / (math.log(hi + 0.5) - a)
        else:
            u = (k - lo + 0.5) / self.n_values
        if self.from_unit(u) == k:
            return u
        return _smallest_u_at_least(self.from_unit, k, u)

    def check_value(self, value: Any, what: str) -> int:
        k = _integral(value, what)
        if not self.min_value <= k <= self.max_value:
            raise SearchSpaceError(
                f"{what}: value {k!r} outside [{self.min_value}, {self.max_value}]")
        return k

    def grid_values(self, grid_points: int | None, what: str) -> list[Any]:
        return list(range(self.min_value, self.max_value + 1))


@dataclass(frozen=True)
class Categorical:
    """A choice among JSON scalars (str, int, float, bool, None); 1, 1.0 and True differ."""

    values: tuple[Scalar, ...]
    _index: dict[tuple[str, Any], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw = self.values
        if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
            raise SearchSpaceError(
                f"Categorical(values={raw!r}): expected a list of values, got "
                f"{type(raw).__name__}")
        values = tuple(_normalize_scalar(v, f"Categorical values[{i}]")
                       for i, v in enumerate(raw))
        if not values:
            raise SearchSpaceError("Categorical(values=[]): expected at least one value")
        index: dict[tuple[str, Any], int] = {}
        for i, v in enumerate(values):
            key = _scalar_key(v)
            if key in index:
                raise SearchSpaceError(
                    f"Categorical(values={list(values)!r}): duplicate value {v!r} at positions "
                    f"{index[key]} and {i}")
            index[key] = i
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_index", index)

    @property
    def is_fixed(self) -> bool:
        return len(self.values) == 1

    @property
    def n_values(self) -> int:
        return len(self.values)

    def from_unit(self, u: float) -> Scalar:
        k = len(self.values)
        return self.values[min(max(math.floor(u * k), 0), k - 1)]

    def to_unit(self, value: Scalar) -> float:
        return (self._index[_scalar_key(value)] + 0.5) / len(self.values)

    def check_value(self, value: Any, what: str) -> Scalar:
        v = _normalize_scalar(value, what)
        i = self._index.get(_scalar_key(v))
        if i is None:
            shown = list(self.values[:10]) + (["..."] if len(self.values) > 10 else [])
            raise SearchSpaceError(f"{what}: value {_describe(value)} is not one of {shown!r}")
        return self.values[i]

    def grid_values(self, grid_points: int | None, what: str) -> list[Any]:
        return list(self.values)


@dataclass(frozen=True)
class Static:
    """A fixed value passed to every trial (AMT's StaticHyperParameters)."""

    value: Scalar

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _normalize_scalar(self.value, "Static(value)"))

    @property
    def is_fixed(self) -> bool:
        return True

    def check_value(self, value: Any, what: str) -> Scalar:
        v = _normalize_scalar(value, what)
        if _scalar_key(v) != _scalar_key(self.value):
            raise SearchSpaceError(f"{what}: static value is {self.value!r}, got {_describe(v)}")
        return self.value

    def grid_values(self, grid_points: int | None, what: str) -> list[Any]:
        return [self.value]


Param = Continuous | Integer | Categorical | Static
_PARAM_TYPES = (Continuous, Integer, Categorical, Static)


def _fixed_value(p: Param) -> Scalar:
    if isinstance(p, Static):
        return p.value
    if isinstance(p, Categorical):
        return p.values[0]
    return p.min_value


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
            strings and keep their order.
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
            kind = {Continuous: "continuous", Integer: "integer", Categorical: "categorical"}
            out.append(Coordinate(n, kind[type(p)],
                                  None if isinstance(p, Continuous) else p.n_values))
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
            raise SearchSpaceError(f"point: expected a dict of name -> value, got {_describe(params)}")
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
        arr = self._check_unit(u)
        out = dict(self._fixed)
        for n, ui in zip(self._free, arr.tolist(), strict=True):
            out[n] = self._params[n].from_unit(ui)  # type: ignore[union-attr]
        return {n: out[n] for n in self._params}

    def decode_batch(self, u: Any) -> list[dict[str, Any]]:
        """Points of an array of shape ``(n, dims)``."""
        arr = np.asarray(u, dtype=np.float64) if not isinstance(u, np.ndarray) else u
        if arr.ndim != 2 or arr.shape[1] != self.dims:
            raise SearchSpaceError(f"decode_batch: expected shape (n, {self.dims}), got {arr.shape}")
        return [self.decode(row) for row in arr]

    def _check_unit(self, u: Any) -> np.ndarray:
        try:
            arr = np.asarray(u, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise SearchSpaceError(f"decode: expected a float array of shape ({self.dims},), "
                                   f"got {_describe(u)}") from e
        if arr.shape != (self.dims,):
            raise SearchSpaceError(f"decode: expected shape ({self.dims},), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise SearchSpaceError(f"decode: expected finite values, got {arr.tolist()!r}")
        if np.any(arr < 0.0) or np.any(arr > 1.0):
            raise SearchSpaceError(f"decode: expected values in [0, 1], got {arr.tolist()!r}")
        return arr

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

    def point_key(self, params: Mapping[str, Any]) -> str:
        """A canonical string identifying a (validated) point: equal points, equal keys."""
        return json.dumps([_scalar_key(params[n]) for n in self._params])

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
        """Read AMT's ``ParameterRanges`` (and optional ``StaticHyperParameters``)."""
        from hpo_core.sagemaker_ranges import space_from_sagemaker

        return space_from_sagemaker(cls, parameter_ranges, static_hyperparameters)

    def to_sagemaker(self) -> dict[str, Any]:
        """AMT's ``ParameterRanges`` for this space (Static parameters are not ranges: see
        :meth:`static_hyperparameters`)."""
        from hpo_core.sagemaker_ranges import space_to_sagemaker

        return space_to_sagemaker(self)

    def static_hyperparameters(self) -> dict[str, str]:
        """The Static parameters as AMT ``StaticHyperParameters`` strings."""
        return {n: hp_string(p.value) for n, p in self._params.items() if isinstance(p, Static)}
