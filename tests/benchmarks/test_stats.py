"""The NumPy Mann-Whitney U test and average ranks agree with scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.benchmarks.stats import EXACT_MAX, average_ranks, mann_whitney_less

scipy_stats = pytest.importorskip("scipy.stats")


def _scipy(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float]:
    res = scipy_stats.mannwhitneyu(x, y, alternative="less", method=method)
    return float(res.statistic), float(res.pvalue)


@pytest.mark.parametrize("m, n", [(1, 1), (2, 7), (5, 5), (10, 10), (8, 13), (30, 25)])
def test_exact_matches_scipy_without_ties(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shift in (-1.0, 0.0, 0.7):
        x, y = rng.normal(shift, size=m), rng.normal(size=n)
        ours = mann_whitney_less(x, y)
        assert ours.method == "exact"
        u, p = _scipy(x, y, "exact")
        assert ours.u == u and ours.p == pytest.approx(p, rel=1e-9, abs=1e-15)
        assert (ours.n_x, ours.n_y) == (m, n)


@given(x=st.lists(st.integers(0, 6), min_size=1, max_size=15),
       y=st.lists(st.integers(0, 6), min_size=1, max_size=15))
def test_asymptotic_matches_scipy_with_ties(x: list[int], y: list[int]) -> None:
    xa, ya = np.array(x, dtype=float), np.array(y, dtype=float)
    ours = mann_whitney_less(xa, ya, method="asymptotic")
    u, p = _scipy(xa, ya, "asymptotic")
    assert ours.u == u
    if np.isnan(p):  # every value tied: scipy gives NaN, we give 1 (U is always m n / 2)
        assert ours.p == 1.0 and np.unique(np.r_[xa, ya]).size == 1
    else:
        assert ours.p == pytest.approx(p, rel=1e-9, abs=1e-15)


def test_auto_picks_asymptotic_for_ties_and_large_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tied = mann_whitney_less([0.0, 0.0, 1.0, 2.0], [0.0, 3.0, 4.0])
    assert tied.method == "asymptotic"
    assert tied.p == pytest.approx(_scipy(np.array([0.0, 0, 1, 2]), np.array([0.0, 3, 4]),
                                          "asymptotic")[1])
    big = mann_whitney_less(rng.normal(size=EXACT_MAX + 1), rng.normal(size=5))
    assert big.method == "asymptotic"


def test_direction_small_p_favours_x() -> None:
    better, worse = np.arange(10.0), np.arange(10.0) + 100.0
    assert mann_whitney_less(better, worse).p < 1e-5
    assert mann_whitney_less(worse, better).p == pytest.approx(1.0)
    assert mann_whitney_less(better, worse).u == 0.0
    assert mann_whitney_less(worse, better).u == 100.0


def test_all_tied_gives_p_one() -> None:
    res = mann_whitney_less([0.0, 0.0], [0.0, 0.0, 0.0])
    assert (res.u, res.p, res.method) == (3.0, 1.0, "asymptotic")


@pytest.mark.parametrize("x, y, method, match", [
    ([], [1.0], "auto", "both samples need a value, got sizes 0 and 1"),
    ([1.0], [2.0, float("nan")], "auto", r"y must hold finite values, got nan at index 1"),
    ([float("inf")], [1.0], "auto", r"x must hold finite values, got inf at index 0"),
    ([1.0], [2.0], "fast", "method must be 'auto', 'exact' or 'asymptotic', got 'fast'"),
    ([1.0, 2.0], [2.0], "exact", "without ties"),
])
def test_bad_input_is_rejected(x: list[float], y: list[float], method: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mann_whitney_less(x, y, method=method)


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=20))
def test_average_ranks_match_rankdata(values: list[int]) -> None:
    np.testing.assert_array_equal(average_ranks(values), scipy_stats.rankdata(values))
