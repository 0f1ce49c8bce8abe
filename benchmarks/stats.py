"""Rank statistics for ``hpo bench`` reports: average ranks and the Mann-Whitney U test.

Notation:
    x, y    two independent samples (final regrets of two strategies), sizes m and n
    U       the Mann-Whitney statistic of x: the number of pairs (i, j) with x_i > y_j, plus
            one half for every tie x_i == y_j; 0 <= U <= m n, and U = m n / 2 on average when
            x and y come from one distribution
    p       one-sided p-value of H1 "x tends to be smaller than y", i.e. P(U' <= U) for U'
            drawn under H0 (no difference); small p favours x

SciPy computes both (``scipy.stats.mannwhitneyu(x, y, alternative="less", method=...)``);
this module validates the samples and picks the method by its own rule:

    exact       the permutation distribution of U; only without ties (SciPy would compute it
                with ties too, as if there were none: an error here)
    asymptotic  the normal approximation with tie correction and continuity correction:
                mu = m n / 2, s^2 = m n / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))) with
                N = m + n and t the sizes of the groups of tied values,
                z = (mu - U - 1/2) / s, p = P(Z > z)

``method="auto"`` takes the exact distribution when there are no ties and max(m, n) <= 50
(scipy's own auto rule stops at 8), else the normal approximation. When every value is tied,
s = 0 and U always equals its mean, so p = 1 (older SciPy releases return NaN there).

SciPy is imported on first use (the ``hpo`` command imports this module for every subcommand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MannWhitney", "average_ranks", "mann_whitney_less"]

#: Largest sample size for which ``method="auto"`` uses the exact distribution.
EXACT_MAX = 50


def average_ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks of ``values`` (shape ``(k,)``), ties sharing their average rank, float64."""
    from scipy.stats import rankdata

    return rankdata(np.asarray(values, dtype=np.float64).ravel(), method="average")


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
    distinct = np.unique(np.concatenate([xa, ya])).size
    ties = distinct < m + n
    if method == "exact" and ties:
        raise ValueError("mann_whitney_less: method='exact' needs samples without ties")
    if method == "auto":
        method = "exact" if not ties and max(m, n) <= EXACT_MAX else "asymptotic"
    if distinct == 1:  # every value tied: U is always m n / 2 (older SciPy: p is NaN)
        return MannWhitney(m * n / 2.0, 1.0, m, n, method)
    from scipy.stats import mannwhitneyu

    res = mannwhitneyu(xa, ya, use_continuity=True, alternative="less", method=method)
    return MannWhitney(float(res.statistic), float(min(1.0, max(0.0, res.pvalue))), m, n,
                       method)
