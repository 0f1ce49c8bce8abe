"""Parameter types of a search space and their one-coordinate unit maps.

This is the per-parameter half of the encoding in :mod:`hpo_core.space` (read its docstring for
the semantics: scalings, integer cells, the ``auto`` rule, exactness). Import the types from
``hpo_core`` or ``hpo_core.space``; nothing outside the space calls ``to_unit``/``from_unit``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_core.errors import SearchSpaceError, did_you_mean
from hpo_core.space.text import text_problem

__all__ = [
    "INTEGER_LIMIT",
    "Categorical",
    "Continuous",
    "Integer",
    "Param",
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


def _defined_scalar(value: Any, what: str) -> Scalar:
    """A value a parameter is defined with: a JSON scalar, and a string must be writable to
    files and environment variables (see :func:`~hpo_core.space.text.text_problem`)."""
    v = _normalize_scalar(value, what)
    problem = text_problem(v) if isinstance(v, str) else None
    if problem is not None:
        raise SearchSpaceError(f"{what}: expected text usable in files and environment "
                               f"variables, got {v!r}: it {problem}")
    return v


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
            f"{what}: unknown scaling {value!r}{did_you_mean(value, _SCALINGS)}; expected one "
            "of auto, linear, log, reverse_log (or Auto, Linear, Logarithmic, "
            "ReverseLogarithmic)")
    return _SCALINGS[value]


def resolve_auto_scaling(kind: str, lo: float, hi: float) -> str:
    """The scaling ``auto`` stands for (see the module docstring for the rule)."""
    # 1e-9 of slack so that decimal bounds such as [0.9, 0.999] count as two decades.
    ratio = 100.0 * (1.0 - 1e-9)
    if lo > 0 and hi / lo >= ratio and (kind == "continuous" or lo >= 1):
        return "log"
    if kind == "continuous" and lo >= 0 and hi < 1 and (1 - lo) / (1 - hi) >= ratio:
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

class _Range:
    """What Continuous and Integer share: normalized bounds, scaling and its resolution."""

    min_value: Any
    max_value: Any
    scaling: str
    _effective: str

    def _store(self, kind: str, lo: float | int, hi: float | int, scaling: str) -> None:
        object.__setattr__(self, "min_value", lo)
        object.__setattr__(self, "max_value", hi)
        object.__setattr__(self, "scaling", scaling)
        eff = resolve_auto_scaling(kind, lo, hi) if scaling == "auto" else scaling
        object.__setattr__(self, "_effective", eff)

    @property
    def effective_scaling(self) -> str:
        """``scaling`` with ``auto`` resolved."""
        return self._effective

    @property
    def is_fixed(self) -> bool:
        return bool(self.min_value == self.max_value)


@dataclass(frozen=True)
class Continuous(_Range):
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
        if scaling == "reverse_log" and not (lo >= 0 and hi < 1):
            raise SearchSpaceError(
                f"{what}: scaling='reverse_log' needs 0 <= min_value and max_value < 1, "
                f"got [{lo!r}, {hi!r}]")
        self._store("continuous", lo, hi, scaling)

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
        # A scaled range may collapse to one float (adjacent bounds): the search still works.
        u0 = (self._transform(x) - a) / (b - a) if b > a else 0.5
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
class Integer(_Range):
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
        self._store("integer", lo, hi, scaling)

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

    values: Sequence[Scalar]  # stored as a tuple
    _index: dict[tuple[str, Any], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw = self.values
        if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
            raise SearchSpaceError(
                f"Categorical(values={raw!r}): expected a list of values, got "
                f"{type(raw).__name__}")
        values = tuple(_defined_scalar(v, f"Categorical values[{i}]")
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
        object.__setattr__(self, "value", _defined_scalar(self.value, "Static(value)"))

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
