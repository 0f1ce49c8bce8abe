"""Property tests of the unit-cube encoding (exactness: see hpo_core/space/search_space.py)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.space import Categorical, Continuous, SearchSpace, Static

from .strategies import arbitrary_values, continuous, integer, spaces, text_chars, unit_points


def same(a: dict, b: dict) -> bool:
    """Equal values of equal types (1, 1.0 and True differ)."""
    return list(a) == list(b) and all(
        type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


@given(st.data(), spaces())
def test_decode_encode_decode_is_exact(data, space):
    """Every point the cube produces comes back exactly: discrete values, fixed values, floats."""
    p = space.decode(data.draw(unit_points(space)))
    assert same(space.decode(space.encode(p)), p)


@given(st.data(), spaces(params=st.one_of(integer(), st.lists(
    st.one_of(st.text(text_chars, max_size=4), st.integers(-5, 5), st.floats(allow_nan=False,
                                                               allow_infinity=False),
              st.booleans(), st.none()),
    min_size=1, max_size=5, unique_by=lambda v: (type(v).__name__, v)).map(Categorical),
    st.integers().map(Static))))
def test_discrete_round_trip_is_exact_for_every_value(data, space):
    """Integer, categorical (mixed str/int/float/bool/None) and static values: exact, typed."""
    p = data.draw(arbitrary_values(space))
    assert same(space.decode(space.encode(p)), p)


@given(st.data(), spaces())
def test_arbitrary_floats_come_back_as_nearest_representable_value(data, space):
    """decode(encode(x)) is the smallest decodable value >= x: x itself when representable."""
    p = data.draw(arbitrary_values(space))
    u = space.encode(p)
    q = space.decode(u)
    for i, name in enumerate(n for n in space.names if n in {c.name for c in space.coordinates}):
        param = space[name]
        if not isinstance(param, Continuous):
            assert q[name] == p[name]
            continue
        x, x2 = p[name], q[name]
        assert x2 >= x
        if u[i] > 0.0:
            assert param.from_unit(math.nextafter(u[i], -1.0)) < x
        tol = 1e-12 * max(abs(x), param.max_value - param.min_value)
        assert x2 - x <= tol


@given(st.data(), spaces())
def test_encode_lands_in_closed_cube(data, space):
    u = space.encode(data.draw(arbitrary_values(space)))
    assert u.shape == (space.dims,) and u.dtype == np.float64
    assert np.all((u >= 0.0) & (u <= 1.0))


@given(st.data(), spaces())
def test_decode_of_any_cube_point_is_valid(data, space):
    """Including 0, 1 and cell boundaries: validate() accepts it unchanged."""
    p = space.decode(data.draw(unit_points(space)))
    assert same(space.validate(p), p)


@given(st.data(), st.one_of(continuous(), integer()))
def test_encoding_is_monotone(data, param):
    space = SearchSpace({"x": param})
    lo, hi = param.min_value, param.max_value
    draw = (st.floats(min_value=lo, max_value=hi) if isinstance(param, Continuous)
            else st.integers(lo, hi))
    a, b = sorted([data.draw(draw), data.draw(draw)])
    if space.dims == 0:
        return
    assert space.encode({"x": a})[0] <= space.encode({"x": b})[0]
    ua, ub = sorted(data.draw(st.floats(0.0, 1.0)) for _ in range(2))
    assert space.decode([ua])["x"] <= space.decode([ub])["x"]


@given(st.data(), st.one_of(continuous(), integer()))
def test_bounds_round_trip_exactly(data, param):
    space = SearchSpace({"x": param})
    for v in (param.min_value, param.max_value):
        assert space.decode(space.encode({"x": v}))["x"] == v


@given(spaces())
def test_fixed_parameters_take_no_coordinate(space):
    fixed = [n for n, p in space.params.items() if p.is_fixed]
    assert space.dims == len(space) - len(fixed)
    assert set(space.fixed_values) == set(fixed)


@given(spaces(), st.integers(0, 2**32 - 1))
def test_sample_is_valid_and_reproducible(space, seed):
    a = space.sample(5, seed)
    assert a == space.sample(5, seed)
    for p in a:
        assert same(space.validate(p), p)


@given(spaces(max_size=3))
def test_to_dict_round_trip(space):
    again = SearchSpace.from_dict(space.to_dict())
    assert again == space
    assert [type(p) for p in again.params.values()] == [type(p) for p in space.params.values()]
