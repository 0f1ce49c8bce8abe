"""Rank statistics for ``hpo bench`` reports: average ranks and the Mann-Whitney U test (NumPy).

Notation:
    x, y    two independent samples (final regrets of two strategies), sizes m and n
    U       the Mann-Whitney statistic of x: the number of pairs (i, j) with x_i > y_j, plus
            one half for every tie x_i == y_j; 0 <= U <= m n, and U = m n / 2 on average when
            x and y come from one distribution
    p       one-sided p-value of H1 "x tends to be smaller than y", i.e. P(U' <= U) for U'
            drawn under H0 (no difference); small p favours x

Two methods, as scipy.stats.mannwhitneyu(x, y, alternative="less", method=...) computes them:

    exact       the permutation distribution of U, by the recursion
                P_{m,n}(u) = m/(m+n) P_{m-1,n}(u - n) + n/(m+n) P_{m,n-1}(u) (the largest of
                the m + n values is an x with probability m/(m+n) and then beats all n y's);
                only without ties
    asymptotic  the normal approximation with tie correction and continuity correction:
                mu = m n / 2, s^2 = m n / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))) with
                N = m + n and t the sizes of the groups of tied values,
                z = (m n - U - mu - 1/2) / s, p = P(Z > z)

``method="auto"`` takes the exact distribution when there are no ties and max(m, n) <= 50
(scipy's own auto rule stops at 8), else the normal approximation. When every value is tied,
s = 0 and U always equals its mean, so p = 1 (scipy returns NaN there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MannWhitney", "average_ranks", "mann_whitney_less"]

#: Largest sample size for which ``method="auto"`` uses the exact distribution.
EXACT_MAX = 50


def average_ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks of ``values`` (shape ``(k,)``), ties sharing their average rank.

    Equal to ``scipy.stats.rankdata(values)`` (method ``"average"``).
    """
    a = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(a, kind="stable")
    sorted_a = a[order]
    # start of each run of equal values in sorted order
    starts = np.flatnonzero(np.r_[True, sorted_a[1:] != sorted_a[:-1]])
    ends = np.r_[starts[1:], a.size]
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based positions start+1 .. end
    ranks = np.empty(a.size, dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


@dataclass(frozen=True)
class MannWhitney:
    """The result of :func:`mann_whitney_less`.

    Attributes:
        u: the statistic of x (pairs with x_i > y_j, ties counting one half).
        p: one-sided p-value of "x tends to be smaller than y".
        n_x: size of x.
        n_y: size of y.
        method: ``"exact"`` or ``"asymptotic"``.
    """

    u: float
    p: float
    n_x: int
    n_y: int
    method: str

    def to_dict(self) -> dict[str, float | int | str]:
        return {"u": self.u, "p": self.p, "n_x": self.n_x, "n_y": self.n_y,
                "method": self.method}


def _exact_cdf(u: int, m: int, n: int) -> float:
    """P(U <= u) under H0 for sizes m, n without ties."""
    # row[j] holds P_{i,j}(.) over u = 0..m n for the current i; row[j][k] = P(U = k)
    size = m * n + 1
    row = [np.zeros(size) for _ in range(n + 1)]
    for j in range(n + 1):
        row[j][0] = 1.0  # i = 0: no x, U = 0
    for i in range(1, m + 1):
        new = [np.zeros(size) for _ in range(n + 1)]
        new[0][0] = 1.0  # j = 0: no y, U = 0
        for j in range(1, n + 1):
            shifted = np.zeros(size)
            shifted[j:] = row[j][:size - j]  # largest value is an x: it beats all j y's
            new[j] = (i * shifted + j * new[j - 1]) / (i + j)
        row = new
    return float(min(1.0, row[n][: u + 1].sum()))


def mann_whitney_less(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
                      method: str = "auto") -> MannWhitney:
    """One-sided Mann-Whitney U test of H1 "x tends to be smaller than y".

    Args:
        x: first sample, shape ``(m,)``, finite values.
        y: second sample, shape ``(n,)``, finite values.
        method: ``"auto"``, ``"exact"`` (no ties allowed) or ``"asymptotic"``.

    Returns:
        The statistic U of x and the p-value (see the module docstring).

    Raises:
        ValueError: an empty or non-finite sample, an unknown method, or ``"exact"`` with ties.
    """
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if xa.size == 0 or ya.size == 0:
        raise ValueError(f"mann_whitney_less: both samples need a value, got sizes "
                         f"{xa.size} and {ya.size}")
    for name, a in (("x", xa), ("y", ya)):
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise ValueError(f"mann_whitney_less: {name} must hold finite values, got "
                             f"{float(a[bad[0]])} at index {int(bad[0])}")
    if method not in ("auto", "exact", "asymptotic"):
        raise ValueError(f"mann_whitney_less: method must be 'auto', 'exact' or 'asymptotic', "
                         f"got {method!r}")
    m, n = xa.size, ya.size
    both = np.concatenate([xa, ya])
    ranks = average_ranks(both)
    u = float(ranks[:m].sum() - m * (m + 1) / 2.0)
    _, counts = np.unique(both, return_counts=True)
    ties = bool((counts > 1).any())
    if method == "exact" and ties:
        raise ValueError("mann_whitney_less: method='exact' needs samples without ties")
    if method == "exact" or (method == "auto" and not ties and max(m, n) <= EXACT_MAX):
        return MannWhitney(u, _exact_cdf(round(u), m, n), m, n, "exact")
    total = m + n
    tie_term = float((counts.astype(np.float64) ** 3 - counts).sum()) / (total * (total - 1))
    var = m * n / 12.0 * ((total + 1) - tie_term)
    if var <= 0.0:  # every value tied: U is always m n / 2
        return MannWhitney(u, 1.0, m, n, "asymptotic")
    z = (m * n - u - m * n / 2.0 - 0.5) / math.sqrt(var)
    p = 0.5 * math.erfc(z / math.sqrt(2.0))
    return MannWhitney(u, float(min(1.0, max(0.0, p))), m, n, "asymptotic")
