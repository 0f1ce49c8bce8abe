"""Axis ticks in parameter values for charts drawn in unit-cube coordinates.

The parallel coordinates and the interaction view place each parameter at its unit-cube
coordinate (:meth:`~hpo_core.space.SearchSpace.encode`, so log-scaled parameters are spaced as
the optimizer sees them). Their axes are labelled here with values, not positions: round
numbers for a linear range, powers of ten (or 1-2-5 steps inside one decade) for a log range,
``0.9, 0.99, ...`` for a reverse-log one, every category name (thinned past
:data:`MAX_CATEGORIES`) for a categorical.

Every tick is ``(u, label)``: ``u`` the position in ``[0, 1]`` rounded to :data:`DIGITS`
decimals (the charts match axis values by equality, so the same rounded number is used
everywhere), ``label`` the value as text.
"""

from __future__ import annotations

import math
from typing import Any

from hpo_core.errors import SearchSpaceError
from hpo_core.space import SearchSpace
from hpo_core.space.parameters import Categorical, Continuous, Integer

__all__ = ["DIGITS", "MAX_CATEGORIES", "nice_ticks", "param_ticks", "range_ticks",
           "tick_label", "unit_position"]

#: Decimals of tick positions.
DIGITS = 6
#: At most this many category names on one axis (every k-th past it).
MAX_CATEGORIES = 12
_SLACK = 1e-9


def unit_position(name: str, spec: Any, value: Any) -> float | None:
    """``value``'s unit-cube coordinate under ``spec`` (None when it has none: a missing
    value, a value outside the space, a column of mixed types)."""
    if value is None or not isinstance(spec, Continuous | Integer | Categorical):
        return None
    try:
        return float(SearchSpace({name: spec}).encode({name: value})[0])
    except (SearchSpaceError, ValueError, TypeError, IndexError):
        return None


def tick_label(v: float) -> str:
    """A tick value as short text: ``0.001``, ``2.5``, ``12``, ``1e-05`` -> ``1e-5``."""
    text = f"{v:.6g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{int(exp)}"
    return text


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round values inside ``[lo, hi]``, about ``count`` of them, at a step of 1, 2 or 5 times a
    power of ten (at least 1 when ``integer``)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    mag = 10.0 ** math.floor(math.log10((hi - lo) / max(count, 1)))
    steps = [m * mag for m in (1, 2, 5, 10)]
    if integer:
        steps = sorted({max(1.0, float(round(st))) for st in steps})

    def n_ticks(step: float) -> int:
        return math.floor(hi / step + _SLACK) - math.ceil(lo / step - _SLACK) + 1

    # the step whose tick count is nearest ``count`` (the coarser one on a tie)
    step = min(steps, key=lambda st: (abs(n_ticks(st) - count), -st))
    first = math.ceil(lo / step - _SLACK) * step
    ticks = []
    k = 0
    while first + k * step <= hi + abs(hi - lo) * _SLACK:
        v = first + k * step
        ticks.append(round(v, 12) if not integer else float(round(v)))
        k += 1
    return ticks


def _log_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Powers of ten inside ``[lo, hi]`` (every k-th when there are many); 1-2-5 steps when
    fewer than two fit; round linear values inside a narrower range."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    def within(v: float) -> bool:
        return lo * (1 - _SLACK) <= v <= hi * (1 + _SLACK)

    decades = [10.0 ** k for k in range(k0, k1 + 1) if within(10.0 ** k)]
    if len(decades) >= 2:
        every = math.ceil(len(decades) / count)
        return decades[::every]
    steps = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in (1, 2, 5) if within(m * 10.0 ** k)]
    if len(steps) >= 3:
        return steps
    return nice_ticks(lo, hi, 4)


def _values(spec: Any) -> tuple[list[Any], Any]:
    """Tick values in parameter units, and their labels' function."""
    if isinstance(spec, Categorical):
        values = list(spec.values)
        every = math.ceil(len(values) / MAX_CATEGORIES)
        return values[::every], str
    scaling = spec.effective_scaling
    lo, hi = float(spec.min_value), float(spec.max_value)
    if isinstance(spec, Integer):
        raw = _log_ticks(lo, hi) if scaling == "log" else nice_ticks(lo, hi, 5, integer=True)
        ints = sorted({round(v) for v in raw if lo <= round(v) <= hi})
        return ints, str
    if scaling == "log":
        return _log_ticks(lo, hi), tick_label
    if scaling == "reverse_log":  # 1 - x on a log scale: 0.9, 0.99, 0.999
        gaps = _log_ticks(1.0 - hi, 1.0 - lo)
        return sorted(round(1.0 - g, 12) for g in gaps), tick_label
    return nice_ticks(lo, hi, 5), tick_label


def param_ticks(name: str, spec: Any) -> list[tuple[float, str]]:
    """Ticks of a parameter's axis: ``[(u, label), ...]`` by position (module docstring);
    empty for a parameter without a unit-cube coordinate."""
    if not isinstance(spec, Continuous | Integer | Categorical):
        return []
    values, label = _values(spec)
    out = []
    for v in values:
        u = unit_position(name, spec, v)
        if u is not None:
            out.append((round(u, DIGITS), label(v)))
    return sorted(dict(out).items())


def range_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks of a value axis drawn from ``lo`` (0) to ``hi`` (1), such as the objective's."""
    span = hi - lo
    if not span > 0:
        return [(0.0, tick_label(lo))]  # every value at the bottom (parallel_rows)
    return [(round((v - lo) / span, DIGITS), tick_label(v)) for v in nice_ticks(lo, hi, 5)]
