"""mfh3 / mfh6 (mf-prior-bench's definitions) and the crossing learning curves: known optima,
the published formulas, the correlation levels, curves that cross."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.benchmarks.multifidelity import get_mf_problem
from hpo_core.benchmarks.multifidelity.synthetic_lc import (
    CORRELATIONS,
    HARTMANN,
    crossing_lc,
    crossing_lc_final,
    mf_hartmann,
)
from hpo_core.benchmarks.problems import hartmann6
from hpo_core.errors import HPOError

unit = st.floats(0.0, 1.0)


def _hartmann_reference(x: list[float], dims: int, bias_w: float) -> float:
    """``-sum_i (alpha_i - bias w) exp(-sum_j A_ij (x_j - P_ij)^2)`` written as loops."""
    a, p, _, _ = HARTMANN[dims]
    alpha = (1.0, 1.2, 3.0, 3.2)
    total = 0.0
    for i in range(4):
        inner = sum(a[i, j] * (x[j] - p[i, j]) ** 2 for j in range(dims))
        total += (alpha[i] - bias_w) * math.exp(-inner)
    return -total


def _params(x: list[float]) -> dict[str, float]:
    return {f"x{j + 1}": v for j, v in enumerate(x)}


@pytest.mark.parametrize("dims", [3, 6])
def test_mfh_optimum_is_the_hartmann_optimum_at_max_resource(dims: int) -> None:
    p = get_mf_problem(f"mfh{dims}")
    _, _, argmin, f_star = HARTMANN[dims]
    assert (p.max_resource, p.objective, p.optimum) == (100, "minimize", f_star)
    assert p.curve(_params(list(argmin))).values[-1] == pytest.approx(f_star, abs=1e-5)
    rng = np.random.default_rng(0)
    finals = [p.curve(_params(list(x))).values[-1] for x in rng.random((500, dims))]
    assert min(finals) > f_star


@given(st.lists(unit, min_size=6, max_size=6), st.sampled_from(sorted(CORRELATIONS)))
def test_mfh_follows_the_published_formula(x: list[float], correlation: str) -> None:
    bias, noise = CORRELATIONS[correlation]
    for dims in (3, 6):
        values = mf_hartmann(dims, correlation).curve(_params(x[:dims])).values
        w = 1.0 - np.log(np.arange(1, 101)) / math.log(100)
        ref = np.array([_hartmann_reference(x[:dims], dims, bias * wr) for wr in w])
        # the noise term noise * w * |eps| only adds, and vanishes at R
        extra = values - ref
        assert np.all(extra >= -1e-9) and abs(extra[-1]) < 1e-12
        if noise and w[0] > 0:
            assert np.all(extra[:-1] <= noise * w[:-1] * 8.0)
    assert mf_hartmann(6, correlation).curve(_params(x)).values[-1] == pytest.approx(
        hartmann6(_params(x)), abs=1e-12)


def test_mfh_correlation_levels_order_the_low_fidelity_rank_agreement() -> None:
    xs = np.random.default_rng(1).random((300, 6))

    def rho(name: str) -> float:
        p = get_mf_problem(name)
        v = np.array([p.curve(_params(list(x))).values[[0, -1]] for x in xs])
        ranks = np.argsort(np.argsort(v, axis=0), axis=0)
        return float(np.corrcoef(ranks[:, 0], ranks[:, 1])[0, 1])

    plain, good, terrible = rho("mfh6"), rho("mfh6_good"), rho("mfh6_terrible")
    assert plain > 0.8 and plain > good > terrible
    assert terrible < 0.0  # a large bias inverts the landscape at r = 1


def test_mfh_noise_is_deterministic_and_seeded() -> None:
    x = _params([0.3] * 6)
    assert np.array_equal(mf_hartmann(6).curve(x).values, mf_hartmann(6).curve(x).values)
    assert not np.array_equal(mf_hartmann(6, seed=1).curve(x).values,
                              mf_hartmann(6).curve(x).values)
    with pytest.raises(HPOError, match="correlation must be one of"):
        mf_hartmann(6, "awful")
    with pytest.raises(HPOError, match="dims must be 3 or 6"):
        mf_hartmann(4)


@given(st.lists(unit, min_size=4, max_size=4))
def test_crossing_lc_ends_at_its_final_value_which_is_at_least_the_optimum(x) -> None:
    p = crossing_lc()
    params = _params(x)
    c = p.curve(params)
    assert c.values.shape == (81,) and c.values[-1] == crossing_lc_final(params)
    assert c.values[-1] >= p.optimum and c.step_cost == pytest.approx(0.5 + x[3])


def test_crossing_lc_optimum_and_crossing_curves() -> None:
    p = get_mf_problem("crossing_lc")
    best = _params([0.25, 0.7, 0.4, 0.5])
    assert p.curve(best).values[-1] == p.optimum == 0.05
    fast = p.curve(_params([1.0, 0.7, 0.4, 0.5])).values
    slow = p.curve(best).values
    # the fast starter leads at the first rungs, the optimum wins from r ~ 27 on
    assert all(fast[r - 1] < slow[r - 1] for r in (1, 3, 9))
    assert slow[-1] < fast[-1] - 0.3 and slow[40] < fast[40]
    # low-fidelity ranks disagree with the final ranks over the whole space
    xs = np.random.default_rng(2).random((300, 4))
    v = np.array([p.curve(_params(list(x))).values[[2, -1]] for x in xs])
    ranks = np.argsort(np.argsort(v, axis=0), axis=0)
    assert np.corrcoef(ranks[:, 0], ranks[:, 1])[0, 1] < 0.3
    with pytest.raises(HPOError, match="tau_min <= tau_max"):
        crossing_lc(tau_min=5.0, tau_max=1.0)
