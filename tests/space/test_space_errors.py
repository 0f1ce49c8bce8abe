"""Bad input always raises SearchSpaceError naming the parameter, the value and the expectation;
never any other exception."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core import HPOError, SearchSpaceError
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static

from .strategies import arbitrary_values, json_scalars, spaces

not_numbers = st.one_of(st.text(max_size=3), st.none(), st.booleans(), st.lists(st.integers(),
                                                                                max_size=2),
                        st.just(float("nan")), st.just(math.inf), st.just(-math.inf),
                        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
valid_scalings = {"auto", "linear", "log", "reverse_log", "Auto", "Linear", "Logarithmic",
                  "ReverseLogarithmic"}


@st.composite
def invalid_specs(draw: Any):
    """Callables that must raise SearchSpaceError."""
    choice = draw(st.integers(0, 16))
    f = st.floats(min_value=-1e6, max_value=1e6)
    if choice == 0:  # min > max
        a, b = sorted([draw(f), draw(f)])
        if a == b:
            b = a + 1.0
        return lambda: Continuous(b, a)
    if choice == 1:  # non-numeric / non-finite bound
        bad, first = draw(not_numbers), draw(st.booleans())
        return lambda: Continuous(bad, 1.0) if first else Continuous(0.0, bad)
    if choice == 2:  # log with min <= 0
        lo = draw(st.floats(max_value=0.0, min_value=-1e6))
        return lambda: Continuous(lo, lo + 10.0, "log")
    if choice == 3:  # reverse_log outside [0, 1)
        lo = draw(st.one_of(st.floats(max_value=-1e-9, min_value=-5.0),
                            st.floats(min_value=1.0, max_value=5.0)))
        return lambda: Continuous(min(lo, 0.5), max(lo, 0.5), "reverse_log")
    if choice == 4:  # reverse_log on an Integer
        return lambda: Integer(0, 5, "reverse_log")
    if choice == 5:  # non-integral Integer bounds
        x = draw(st.floats(min_value=-100.0, max_value=100.0).filter(lambda v: not v.is_integer()))
        return lambda: Integer(x, 200)
    if choice == 6:  # Integer log with min < 1
        lo = draw(st.integers(-100, 0))
        return lambda: Integer(lo, 10, "log")
    if choice == 7:  # unknown scaling
        s = draw(st.one_of(st.text(max_size=12).filter(lambda t: t not in valid_scalings),
                           st.integers(), st.none()))
        cont = draw(st.booleans())
        return lambda: (Continuous(0.0, 1.0, s) if cont else Integer(0, 3, s))
    if choice == 8:  # empty / duplicate / non-scalar categorical values
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return lambda: Categorical([])
        if kind == 1:
            v = draw(json_scalars)
            return lambda: Categorical([v, v])
        if kind == 2:
            bad = draw(st.one_of(st.lists(st.integers(), max_size=2), st.just(float("nan")),
                                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
                                 st.just(object())))
            return lambda: Categorical(["a", bad])
        bad_values = draw(st.one_of(st.text(max_size=3), st.integers(), st.none()))
        return lambda: Categorical(bad_values)
    if choice == 9:  # bad names / bad parameter objects / empty space
        kind = draw(st.integers(0, 2))
        if kind == 0:
            name = draw(st.one_of(st.just(""), st.integers(), st.none()))
            return lambda: SearchSpace({name: Continuous(0, 1)})
        if kind == 1:
            return lambda: SearchSpace({"x": draw(st.one_of(st.integers(), st.text()))})
        return lambda: SearchSpace({})
    if choice == 10:  # encode: missing / extra parameters
        space = draw(spaces())
        point = draw(arbitrary_values(space))
        if draw(st.booleans()):
            point.pop(next(iter(point)))
        else:
            point[draw(st.text(min_size=1).filter(lambda n: n not in space))] = 1
        return lambda: space.encode(point)
    if choice == 11:  # encode: out of range
        lo = draw(f)
        space = SearchSpace({"x": Continuous(lo, lo + 1.0), "k": Integer(0, 3)})
        point = draw(st.sampled_from([{"x": lo - 1.0, "k": 0}, {"x": lo, "k": 4},
                                      {"x": lo + 2.0, "k": 1}]))
        return lambda: space.encode(point)
    if choice == 12:  # encode: wrong types
        space = SearchSpace({"x": Continuous(0, 1), "k": Integer(0, 3),
                             "c": Categorical(["a", 1]), "s": Static("z")})
        good = {"x": 0.5, "k": 1, "c": "a", "s": "z"}
        key = draw(st.sampled_from(list(good)))
        bad = draw(st.one_of(not_numbers, st.just(True), st.just(1.5), st.just("b"),
                             st.just(True)).filter(lambda v: not (key == "c" and v == "a")))
        return lambda: space.encode({**good, key: bad})
    if choice == 13:  # decode: wrong shape
        space = draw(spaces())
        n = draw(st.integers(0, 6).filter(lambda k: k != space.dims))
        return lambda: space.decode(np.full(n, 0.5))
    if choice == 14:  # decode: out of range / non-finite
        space = SearchSpace({"x": Continuous(0, 1), "k": Integer(0, 3)})
        bad = draw(st.sampled_from([-0.1, 1.0000001, math.nan, math.inf, -math.inf]))
        return lambda: space.decode([0.5, bad])
    if choice == 15:  # Static with a non-scalar value
        bad = draw(st.one_of(st.lists(st.integers(), max_size=2), st.just(float("nan")),
                             st.just(object())))
        return lambda: Static(bad)
    # integer bounds beyond the supported magnitude
    big, negative = draw(st.integers(min_value=2**40 + 1, max_value=2**70)), draw(st.booleans())
    return lambda: Integer(-big, 0) if negative else Integer(0, big)


@given(invalid_specs())
def test_invalid_specs_raise_search_space_error_only(builder):
    with pytest.raises(SearchSpaceError):
        builder()


def test_error_is_hpo_error_and_value_error():
    assert issubclass(SearchSpaceError, HPOError) and issubclass(SearchSpaceError, ValueError)


@pytest.mark.parametrize("builder, fragments", [
    (lambda: Continuous(0.0, 1.0, "log"), ["scaling='log'", "min_value > 0", "0.0"]),
    (lambda: Continuous(2.0, 1.0), ["min_value must be <= max_value", "2.0 > 1.0"]),
    (lambda: Integer(0, 10, "log"), ["min_value >= 1", "got 0"]),
    (lambda: Integer(1.5, 3), ["integral", "1.5"]),
    (lambda: Continuous(0.1, 1.5, "reverse_log"), ["reverse_log", "max_value < 1", "1.5"]),
    (lambda: Continuous(0, 1, "exp"), ["unknown scaling 'exp'", "linear"]),
    (lambda: Categorical(["a", "a"]), ["duplicate value 'a'"]),
    (lambda: Categorical("abc"), ["expected a list"]),
])
def test_messages_name_value_and_expectation(builder, fragments):
    with pytest.raises(SearchSpaceError) as e:
        builder()
    for frag in fragments:
        assert frag in str(e.value)


def test_encode_messages_name_the_parameter():
    space = SearchSpace({"lr": Continuous(1e-4, 1.0, "log"), "depth": Integer(1, 8)})
    with pytest.raises(SearchSpaceError, match=r"parameter 'lr'.*2\.0 outside"):
        space.encode({"lr": 2.0, "depth": 3})
    with pytest.raises(SearchSpaceError, match=r"parameter 'depth'.*expected an integer.*'3'"):
        space.encode({"lr": 0.1, "depth": "3"})
    with pytest.raises(SearchSpaceError, match=r"missing \['depth'\]"):
        space.encode({"lr": 0.1})
    with pytest.raises(SearchSpaceError, match=r"not in the space \['epochs'\]"):
        space.encode({"lr": 0.1, "depth": 3, "epochs": 2})
    with pytest.raises(SearchSpaceError, match=r"expected shape \(2,\), got \(3,\)"):
        space.decode([0.1, 0.2, 0.3])


@pytest.mark.parametrize("build", [
    lambda: SearchSpace({"a\x00": Static(1)}),
    lambda: SearchSpace({"\ud800": Static(1)}),
    lambda: SearchSpace({"c": Categorical(["ok", "b\x00"])}),
    lambda: SearchSpace({"c": Categorical(["\udcff"])}),
    lambda: Static("v\x00"),
    lambda: SearchSpace.from_sagemaker({}, {"epochs": "\ud83d"}),
], ids=["name-nul", "name-surrogate", "categorical-nul", "categorical-surrogate", "static-nul",
        "amt-static-surrogate"])
def test_text_that_cannot_reach_files_or_the_environment(build: Any) -> None:
    """Names and string values end up in JSON files, SQLite and environment variables: a NUL
    or a lone surrogate is refused up front, shown as its repr."""
    with pytest.raises(SearchSpaceError) as info:
        build()
    message = str(info.value)
    assert "NUL" in message or "surrogate" in message
    assert "\x00" not in message
    message.encode("utf-8")
