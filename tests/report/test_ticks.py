"""Value ticks of the unit-cube axes (parallel coordinates, interaction maps)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from hpo_core.report.ticks import nice_ticks, param_ticks, range_ticks, tick_label
from hpo_core.space import Categorical, Continuous, Integer


def test_ticks_follow_the_scaling() -> None:
    assert param_ticks("lr", Continuous(1e-4, 1e-1, "log")) == [
        (0.0, "0.0001"), (0.333333, "0.001"), (0.666667, "0.01"), (1.0, "0.1")]
    assert [t for _, t in param_ticks("depth", Integer(1, 12))] == ["2", "4", "6", "8", "10",
                                                                    "12"]
    assert param_ticks("act", Categorical(["relu", "tanh", "gelu"])) == [
        (0.166667, "relu"), (0.5, "tanh"), (0.833333, "gelu")]
    assert [t for _, t in param_ticks("m", Continuous(0.9, 0.9999, "reverse_log"))] == [
        "0.9", "0.99", "0.999", "0.9999"]
    assert [t for _, t in param_ticks("x", Continuous(-5.0, 10.0))] == ["-5", "0", "5", "10"]
    # inside one decade: 1-2-5 steps
    assert [t for _, t in param_ticks("lr", Continuous(1e-3, 5e-3, "log"))] == [
        "0.001", "0.002", "0.005"]


def test_many_categories_are_thinned() -> None:
    ticks = param_ticks("c", Categorical([f"v{i}" for i in range(40)]))
    assert 5 <= len(ticks) <= 12 and ticks[0][1] == "v0"


def test_labels_and_objective_range() -> None:
    assert tick_label(1e-5) == "1e-5" and tick_label(0.30000000000000004) == "0.3"
    assert tick_label(12.0) == "12"
    assert range_ticks(0.52, 4.3) == [(0.126984, "1"), (0.391534, "2"), (0.656085, "3"),
                                      (0.920635, "4")]
    assert range_ticks(2.0, 2.0) == [(0.0, "2")]


@given(st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), st.integers(2, 8))
def test_nice_ticks_are_round_and_inside(lo: float, width: float, count: int) -> None:
    hi = lo + width
    ticks = nice_ticks(lo, hi, count)
    assert ticks == sorted(ticks) and len(ticks) >= 1
    span = hi - lo
    assert all(lo - 1e-6 * span <= t <= hi + 1e-6 * span for t in ticks)
    if len(ticks) > 1:
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-3  # float rounding


@given(st.floats(1e-8, 1e3), st.floats(1.5, 1e6))
def test_log_ticks_are_inside_and_ordered(lo: float, ratio: float) -> None:
    spec = Continuous(lo, lo * ratio, "log")
    ticks = param_ticks("p", spec)
    assert len(ticks) >= 2
    positions = [u for u, _ in ticks]
    values = [float(t) for _, t in ticks]
    assert all(0.0 <= u <= 1.0 for u in positions)
    assert positions == sorted(positions) and values == sorted(values)
    assert all(spec.min_value * (1 - 1e-6) <= v <= spec.max_value * (1 + 1e-6) for v in values)


@given(st.integers(-1000, 1000), st.integers(1, 5000))
def test_integer_ticks_are_integers_inside(lo: int, width: int) -> None:
    ticks = param_ticks("k", Integer(lo, lo + width))
    values = [int(t) for _, t in ticks]
    assert values and all(lo <= v <= lo + width for v in values)
    assert [u for u, _ in ticks] == sorted(u for u, _ in ticks)
