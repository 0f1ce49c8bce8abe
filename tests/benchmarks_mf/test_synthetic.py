"""Synthetic multi-fidelity functions: exact at max_resource, documented schedule, deterministic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.benchmarks.multifidelity.problems import (
    MF_PROBLEMS,
    branin_mf,
    fidelity_gap,
    get_mf_problem,
    hartmann6_mf,
)
from hpo_core.benchmarks.problems import get_problem
from hpo_core.errors import HPOError

unit = st.floats(0.0, 1.0)


def _branin_reference(x1: float, x2: float, w: np.ndarray) -> np.ndarray:
    """Kandasamy et al. (2017) written out directly, z = 1 - w."""
    b = 5.1 / (4.0 * math.pi**2) - 0.01 * w
    c = 5.0 / math.pi - 0.1 * w
    t = 1.0 / (8.0 * math.pi) + 0.05 * w
    return (x2 - b * x1 * x1 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x1) + 10.0


def test_fidelity_gap() -> None:
    w = fidelity_gap(81)
    assert w.shape == (81,) and w[0] == 1.0 and w[-1] == 0.0
    assert np.all(np.diff(w) < 0)
    np.testing.assert_allclose(w[[0, 2, 8, 26, 80]], [1.0, 0.75, 0.5, 0.25, 0.0], atol=1e-12)
    assert fidelity_gap(1).tolist() == [0.0]


@given(x=st.lists(unit, min_size=6, max_size=6), r_max=st.sampled_from([1, 9, 27, 81]))
def test_hartmann6_mf_is_hartmann6_at_max_resource(x, r_max) -> None:
    problem, base = hartmann6_mf(max_resource=r_max), get_problem("hartmann6")
    params = {f"x{i}": v for i, v in enumerate(x, start=1)}
    curve = problem.curve(params)
    assert curve.values.shape == (r_max,)
    assert curve.values[-1] == base(params)
    assert curve.step_cost == 0.5 + x[0]


@given(x=st.lists(unit, min_size=6, max_size=6))
def test_hartmann6_mf_schedule_without_noise(x) -> None:
    problem = hartmann6_mf(noise=0.0)
    params = {f"x{i}": v for i, v in enumerate(x, start=1)}
    values = problem.curve(params).values
    expected = get_problem("hartmann6")(params) + fidelity_gap(81) * (1.0 + np.mean(x))
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)
    assert np.all(np.diff(values) <= 1e-12)  # approaches the true value from above


@given(x1=st.floats(-5.0, 10.0), x2=st.floats(0.0, 15.0))
def test_branin_mf_matches_the_published_form(x1, x2) -> None:
    problem, base = branin_mf(noise=0.0), get_problem("branin")
    params = {"x1": x1, "x2": x2}
    values = problem.curve(params).values
    assert values[-1] == base(params)
    np.testing.assert_allclose(values, _branin_reference(x1, x2, fidelity_gap(81)),
                               rtol=1e-9, atol=1e-9)


def test_noise_is_deterministic_and_vanishes_at_max_resource() -> None:
    params = {f"x{i}": 0.3 for i in range(1, 7)}
    a, b = hartmann6_mf(seed=1), hartmann6_mf(seed=1)
    c, quiet = hartmann6_mf(seed=2), hartmann6_mf(noise=0.0)
    va, vb, vc, vq = (p.curve(params).values for p in (a, b, c, quiet))
    np.testing.assert_array_equal(va, vb)
    assert not np.array_equal(va, vc)
    assert va[-1] == vq[-1] == vc[-1]
    assert 0.01 < np.std(va[:40] - vq[:40]) < 0.2


def test_low_fidelity_ranks_are_informative_but_imperfect() -> None:
    problem = hartmann6_mf()
    params = problem.space.sample(300, seed=0)
    curves = np.array([problem.curve(p).values for p in params])
    ranks = [np.argsort(np.argsort(curves[:, r - 1])) for r in (1, 9, 81)]
    rho_1 = np.corrcoef(ranks[0], ranks[2])[0, 1]
    rho_9 = np.corrcoef(ranks[1], ranks[2])[0, 1]
    assert 0.2 < rho_1 < rho_9 < 1.0


def test_registry() -> None:
    levels = ("", "_good", "_moderate", "_bad", "_terrible")
    assert set(MF_PROBLEMS) == {"mlp_digits", "hartmann6_mf", "branin_mf", "crossing_lc",
                                *(f"mfh{d}{c}" for d in (3, 6) for c in levels)}
    p = get_mf_problem("branin_mf", max_resource=9)
    assert (p.max_resource, p.objective, p.maximize) == (9, "minimize", False)
    assert p.regret(p.optimum + 1.0) == 1.0 and p.regret(p.optimum - 1.0) == 0.0
    with pytest.raises(HPOError, match="unknown multi-fidelity problem"):
        get_mf_problem("nope")
