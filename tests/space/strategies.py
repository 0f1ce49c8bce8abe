"""Hypothesis strategies for valid search spaces and their points."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static

finite = st.floats(allow_nan=False, allow_infinity=False)
#: Text a space accepts in names and values: anything but NUL and lone surrogates.
text_chars = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
json_scalars = st.one_of(
    st.text(text_chars, max_size=8),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@st.composite
def continuous(draw: Any) -> Continuous:
    kind = draw(st.sampled_from(["linear", "log", "reverse_log", "auto", "Linear",
                                 "Logarithmic", "ReverseLogarithmic", "Auto"]))
    if kind in ("log", "Logarithmic"):
        lo = draw(st.floats(min_value=1e-300, max_value=1e300))
        hi = draw(st.floats(min_value=lo, max_value=1e300))
    elif kind in ("reverse_log", "ReverseLogarithmic"):
        lo = draw(st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
        hi = draw(st.floats(min_value=lo, max_value=1.0, exclude_max=True))
    else:
        lo = draw(st.floats(min_value=-1e300, max_value=1e300))
        hi = draw(st.floats(min_value=lo, max_value=1e300))
        if not math.isfinite(hi - lo):
            hi = lo + 1.0 if math.isfinite(lo + 1.0) else lo
    if draw(st.booleans()):  # a singleton now and then
        hi = lo if draw(st.integers(0, 9)) == 0 else hi
    return Continuous(lo, hi, kind)


@st.composite
def integer(draw: Any) -> Integer:
    kind = draw(st.sampled_from(["linear", "log", "auto", "Logarithmic"]))
    bound = draw(st.sampled_from([10, 1000, 2**20, 2**40]))
    lo = draw(st.integers(min_value=1 if "og" in kind else -bound, max_value=bound))
    hi = draw(st.integers(min_value=lo, max_value=max(lo, bound)))
    return Integer(lo, hi, kind)


categorical = st.lists(json_scalars, min_size=1, max_size=6,
                       unique_by=lambda v: (type(v).__name__, v)).filter(
    lambda vs: len({(type(v).__name__, v) for v in vs}) == len(vs)).map(Categorical)
static = json_scalars.map(Static)
param = st.one_of(continuous(), integer(), categorical, static)
names = st.text(text_chars, min_size=1, max_size=6)


@st.composite
def spaces(draw: Any, params: Any = param, max_size: int = 5) -> SearchSpace:
    pairs = draw(st.dictionaries(names, params, min_size=1, max_size=max_size))
    return SearchSpace(pairs)


@st.composite
def unit_points(draw: Any, space: SearchSpace) -> list[float]:
    """Cube points including 0, 1 and the cell boundaries of discrete coordinates."""
    out = []
    for c in space.coordinates:
        if c.n_values is not None and draw(st.booleans()):
            j = draw(st.integers(0, min(c.n_values, 2**40)))
            out.append(min(j / c.n_values, 1.0))
        else:
            out.append(draw(st.one_of(st.just(0.0), st.just(1.0),
                                      st.floats(min_value=0.0, max_value=1.0))))
    return out


@st.composite
def arbitrary_values(draw: Any, space: SearchSpace) -> dict[str, Any]:
    """Any valid point: floats anywhere in their range, not only decodable ones."""
    out: dict[str, Any] = {}
    for n, p in space.params.items():
        if isinstance(p, Continuous):
            out[n] = draw(st.floats(min_value=p.min_value, max_value=p.max_value))
        elif isinstance(p, Integer):
            out[n] = draw(st.integers(p.min_value, p.max_value))
        elif isinstance(p, Categorical):
            out[n] = draw(st.sampled_from(p.values))
        else:
            out[n] = p.value
    return out
