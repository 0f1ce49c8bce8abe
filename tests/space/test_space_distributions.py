"""Uniform cube points give the documented laws (goodness of fit, fixed seed, generous
thresholds: p > 1e-4)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from hpo_core.space import Continuous, Integer, SearchSpace

N = 20_000


def _values(param, seed):
    space = SearchSpace({"x": param})
    return np.array([p["x"] for p in space.sample(N, seed)], dtype=float)


def test_log_scaling_is_log_uniform(seed):
    lo, hi = 1e-5, 10.0
    x = _values(Continuous(lo, hi, "log"), seed)
    z = (np.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
    assert stats.kstest(z, "uniform").pvalue > 1e-4
    # and it is NOT uniform on the linear scale
    assert stats.kstest((x - lo) / (hi - lo), "uniform").pvalue < 1e-10


def test_reverse_log_scaling_makes_one_minus_x_log_uniform(seed):
    lo, hi = 0.5, 0.9999
    x = _values(Continuous(lo, hi, "reverse_log"), seed)
    z = (np.log1p(-x) - math.log1p(-lo)) / (math.log1p(-hi) - math.log1p(-lo))
    assert stats.kstest(z, "uniform").pvalue > 1e-4
    assert stats.kstest((x - lo) / (hi - lo), "uniform").pvalue < 1e-10


def test_linear_integers_are_equally_likely(seed):
    x = _values(Integer(3, 12, "linear"), seed).astype(int)
    counts = np.bincount(x - 3, minlength=10)
    assert counts.sum() == N
    assert stats.chisquare(counts).pvalue > 1e-4


def test_log_integers_follow_the_cell_law(seed):
    lo, hi = 1, 20
    x = _values(Integer(lo, hi, "log"), seed).astype(int)
    counts = np.bincount(x - lo, minlength=hi - lo + 1)
    k = np.arange(lo, hi + 1)
    p = np.log((k + 0.5) / (k - 0.5))
    p /= p.sum()
    assert stats.chisquare(counts, N * p).pvalue > 1e-4
    # distinguishable from the uniform law
    assert stats.chisquare(counts).pvalue < 1e-10


def test_auto_rule_is_deterministic_and_documented():
    assert Continuous(1e-4, 1.0).effective_scaling == "log"
    assert Continuous(0.0, 1.0).effective_scaling == "linear"
    assert Continuous(0.9, 0.999).effective_scaling == "reverse_log"
    assert Continuous(0.1, 0.5).effective_scaling == "linear"
    assert Integer(1, 1000).effective_scaling == "log"
    assert Integer(1, 50).effective_scaling == "linear"
    assert Integer(0, 1000).effective_scaling == "linear"
    assert Continuous(1e-4, 1.0).scaling == "auto"
