"""MedianStoppingRule against the brute-force reference, batch equivalence and state export."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.kernels import MIN_TRIALS, MedianStoppingRule, ReportError

from .reference import RefMedianRule, RefReportError

N_TRIALS = 10
values = st.one_of(st.integers(0, 4).map(float), st.floats(-1e3, 1e3, allow_nan=False))
reports = st.lists(st.tuples(st.integers(0, N_TRIALS - 1), st.integers(1, 3), values,
                             st.booleans()), max_size=150)


def _outcome(fn: Callable[..., object], *args: object) -> tuple[str, object]:
    try:
        return ("ok", fn(*args))
    except (ReportError, RefReportError) as e:
        return ("error", e.reason)


@given(maximize=st.booleans(), min_trials=st.integers(1, 4), program=reports,
       cut=st.integers(0, 150))
def test_median_rule_matches_brute_force(maximize: bool, min_trials: int, program: list,
                                         cut: int) -> None:
    """Decisions and medians agree exactly; an export/import at ``cut`` changes nothing."""
    rule = MedianStoppingRule(maximize=maximize, min_trials=min_trials, capacity=1)
    ref = RefMedianRule(maximize=maximize, min_trials=min_trials)
    for i, (t, inc, value, repeat) in enumerate(program):
        if i == cut:
            rule = MedianStoppingRule.from_state(rule.to_state())
        step = max(ref.last.get(t, 0) + (0 if repeat and i % 7 == 0 else inc), 1)
        assert _outcome(rule.report, t, step, value) == _outcome(ref.report, t, step, value)
        n, med = rule.median_at(step)
        want = ref.median_at(step)
        assert n == len(ref.averages.get(step, []))
        assert (np.isnan(med) and want is None) or med == want


@given(maximize=st.booleans(), program=reports)
def test_median_one_by_one_equals_batch(maximize: bool, program: list) -> None:
    ids = np.array([p[0] for p in program], dtype=np.int64)
    steps = np.array([p[1] * (1 + p[0] % 3) for p in program], dtype=np.int64)
    vals = np.array([p[2] for p in program], dtype=np.float64)
    single = MedianStoppingRule(maximize=maximize, capacity=1)
    decisions, err = [], None
    for i, (t, s, v) in enumerate(zip(ids, steps, vals, strict=True)):
        try:
            decisions.append(("continue", "stop").index(single.report(t, s, v)))
        except ReportError as e:
            err = (i, e.reason)
            break
    batch = MedianStoppingRule(maximize=maximize, capacity=1)
    try:
        got, err_batch = batch.report_many(ids, steps, vals).tolist(), None
    except ReportError as e:
        got, err_batch = decisions, (e.index, e.reason)
    assert (got, err_batch) == (decisions, err)
    a, b = single.to_state(), batch.to_state()
    np.testing.assert_array_equal(a["trials"], b["trials"])
    np.testing.assert_array_equal(a["sums"], b["sums"])
    np.testing.assert_array_equal(a["step_counts"], b["step_counts"])
    np.testing.assert_array_equal(np.sort(a["averages"]), np.sort(b["averages"]))


def test_worked_example() -> None:
    rule = MedianStoppingRule()
    got = [rule.report(i, 1, v) for i, v in enumerate([1.0, 2.0, 3.0, 2.5, 2.0, 1.9, 2.01])]
    assert MIN_TRIALS == 3
    assert got == ["continue"] * 3 + ["stop", "continue", "continue", "stop"]
    assert rule.median_at(1) == (7, 2.0)
    # running averages: trial 0 averages (1 + 5) / 2 = 3 at step 2
    assert rule.report(0, 2, 5.0) == "continue"
    assert rule.median_at(2) == (1, 3.0)


def test_errors() -> None:
    rule = MedianStoppingRule()
    with pytest.raises(ValueError, match="min_trials must be >= 1, got 0"):
        MedianStoppingRule(min_trials=0)
    rule.report(0, 2, 1.0)
    with pytest.raises(ReportError, match="steps must increase"):
        rule.report(0, 2, 1.0)
    rule.retire(0)
    with pytest.raises(ReportError, match="stopped"):
        rule.report(0, 3, 1.0)


def test_rejects_infinite_values() -> None:
    rule = MedianStoppingRule()
    with pytest.raises(ValueError, match="value must be finite, got inf"):
        rule.report(0, 1, float("inf"))
    with pytest.raises(ValueError, match=r"values must be finite, got -inf at index 1"):
        rule.report_many([0, 1], [1, 1], [0.0, float("-inf")])
