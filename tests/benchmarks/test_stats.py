"""The Mann-Whitney U wrapper and average ranks agree with references built from the definitions."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.benchmarks.stats import EXACT_MAX, average_ranks, mann_whitney_less


def _u(x: np.ndarray, y: np.ndarray) -> float:
    """Pairs with x_i > y_j, ties counting one half."""
    diff = x[:, None] - y[None, :]
    return float((diff > 0).sum() + 0.5 * (diff == 0).sum())


@functools.cache
def _arrangements(m: int, n: int, u: int) -> int:
    """Orderings of m x's and n y's (no ties) in which the x's beat u pairs: the largest value
    is an x (it beats all n y's) or a y (it beats nothing)."""
    if u < 0:
        return 0
    if m == 0 or n == 0:
        return int(u == 0)
    return _arrangements(m - 1, n, u - n) + _arrangements(m, n - 1, u)


def _exact_p(u: float, m: int, n: int) -> float:
    return sum(_arrangements(m, n, k) for k in range(int(u) + 1)) / math.comb(m + n, m)


def _asymptotic_p(x: np.ndarray, y: np.ndarray) -> float:
    m, n = x.size, y.size
    total = m + n
    _, t = np.unique(np.r_[x, y], return_counts=True)
    var = m * n / 12.0 * ((total + 1) - float((t**3 - t).sum()) / (total * (total - 1)))
    z = (m * n / 2.0 - _u(x, y) - 0.5) / math.sqrt(var)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def test_exact_distribution_counts_every_split() -> None:
    values = np.arange(9.0)
    for x_idx in itertools.combinations(range(9), 4):
        x = values[list(x_idx)]
        y = np.delete(values, list(x_idx))
        below = sum(_u(values[list(c)], np.delete(values, list(c))) <= _u(x, y)
                    for c in itertools.combinations(range(9), 4))
        assert _exact_p(_u(x, y), 4, 5) == below / math.comb(9, 4)
        ours = mann_whitney_less(x, y)
        assert ours.method == "exact" and ours.u == _u(x, y)
        assert ours.p == pytest.approx(below / math.comb(9, 4), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("m, n", [(1, 1), (2, 7), (5, 5), (10, 10), (8, 13), (30, 25)])
def test_exact_matches_the_permutation_distribution(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shift in (-1.0, 0.0, 0.7):
        x, y = rng.normal(shift, size=m), rng.normal(size=n)
        ours = mann_whitney_less(x, y)
        assert ours.method == "exact"
        assert ours.u == _u(x, y)
        assert ours.p == pytest.approx(_exact_p(ours.u, m, n), rel=1e-9, abs=1e-15)
        assert (ours.n_x, ours.n_y) == (m, n)


@given(x=st.lists(st.integers(0, 6), min_size=1, max_size=15),
       y=st.lists(st.integers(0, 6), min_size=1, max_size=15))
def test_asymptotic_matches_the_normal_approximation_with_ties(x: list[int],
                                                               y: list[int]) -> None:
    xa, ya = np.array(x, dtype=float), np.array(y, dtype=float)
    ours = mann_whitney_less(xa, ya, method="asymptotic")
    assert ours.u == _u(xa, ya) and ours.method == "asymptotic"
    if np.unique(np.r_[xa, ya]).size == 1:  # every value tied: U is always m n / 2
        assert ours.p == 1.0
    else:
        assert ours.p == pytest.approx(_asymptotic_p(xa, ya), rel=1e-9, abs=1e-15)


def test_auto_picks_asymptotic_for_ties_and_large_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 3.0, 4.0])
    tied = mann_whitney_less(x, y)
    assert tied.method == "asymptotic" and tied.p == pytest.approx(_asymptotic_p(x, y))
    x, y = rng.normal(size=EXACT_MAX + 1), rng.normal(size=5)
    big = mann_whitney_less(x, y)
    assert big.method == "asymptotic" and big.p == pytest.approx(_asymptotic_p(x, y))
    edge = mann_whitney_less(rng.normal(size=EXACT_MAX), rng.normal(size=EXACT_MAX))
    assert edge.method == "exact"


def test_direction_small_p_favours_x() -> None:
    better, worse = np.arange(10.0), np.arange(10.0) + 100.0
    assert mann_whitney_less(better, worse).p < 1e-5
    assert mann_whitney_less(worse, better).p == pytest.approx(1.0)
    assert mann_whitney_less(better, worse).u == 0.0
    assert mann_whitney_less(worse, better).u == 100.0


def test_all_tied_gives_p_one() -> None:
    res = mann_whitney_less([0.0, 0.0], [0.0, 0.0, 0.0])
    assert (res.u, res.p, res.method) == (3.0, 1.0, "asymptotic")
    assert res.to_dict() == {"u": 3.0, "p": 1.0, "n_x": 2, "n_y": 3, "method": "asymptotic"}


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
def test_average_ranks_are_the_mean_position_of_each_tie_group(values: list[int]) -> None:
    # rank of v: the values below it, plus the mean position 1..t within its t-strong group
    expected = [sum(w < v for w in values) + (sum(w == v for w in values) + 1) / 2
                for v in values]
    ranks = average_ranks(values)
    assert ranks.dtype == np.float64
    np.testing.assert_array_equal(ranks, expected)
