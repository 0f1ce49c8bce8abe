"""Benchmark problems: known optima hold, nothing in the box beats them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpo_core.benchmarks.problems import PROBLEMS, Problem, get_problem
from hpo_core.errors import HPOError

ALL = list(PROBLEMS.values())
#: Problems whose minimizer is irrational (or f* is a rounded constant): equality within 1e-9.
INEXACT = {"branin", "hartmann6", "ackley10", "levy10"}


def test_registry_has_every_documented_problem() -> None:
    assert list(PROBLEMS) == ["branin", "hartmann6", "ackley10", "levy10", "rosenbrock8",
                              "mixed", "discrete"]
    assert {p.name: p.dims for p in ALL} == {
        "branin": 2, "hartmann6": 6, "ackley10": 10, "levy10": 10, "rosenbrock8": 8,
        "mixed": 5, "discrete": 4}


@pytest.mark.parametrize("problem", ALL, ids=lambda p: p.name)
def test_value_at_argmin_is_f_star(problem: Problem) -> None:
    point = problem.space.validate(problem.argmin)
    value = problem(point)
    if problem.name in INEXACT:
        assert value == pytest.approx(problem.f_star, abs=1e-9)
    else:
        assert value == problem.f_star


def test_branin_has_three_minimizers() -> None:
    branin = PROBLEMS["branin"]
    for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)]:
        assert branin({"x1": x1, "x2": x2}) == pytest.approx(10 / (8 * math.pi), abs=1e-12)
    assert branin.f_star == pytest.approx(10 / (8 * math.pi), abs=1e-14)


def test_hartmann6_published_minimizer_is_close() -> None:
    published = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
    value = PROBLEMS["hartmann6"]({f"x{i + 1}": v for i, v in enumerate(published)})
    assert value == pytest.approx(-3.32236801141551, abs=1e-7)


@pytest.mark.parametrize("problem", ALL, ids=lambda p: p.name)
def test_no_random_point_beats_f_star(problem: Problem, seed: int) -> None:
    for point in problem.space.sample(2000, seed):
        value = problem(point)
        assert math.isfinite(value)
        assert value >= problem.f_star - 1e-9, point


@pytest.mark.parametrize("problem", ALL, ids=lambda p: p.name)
def test_box_corners_and_centre_do_not_beat_f_star(problem: Problem) -> None:
    rng = np.random.default_rng(0)
    corners = rng.integers(0, 2, size=(64, problem.dims)).astype(float)
    for u in [*corners, np.full(problem.dims, 0.5)]:
        assert problem(problem.space.decode(u)) >= problem.f_star - 1e-9


@pytest.mark.parametrize("name", ["hartmann6", "levy10", "rosenbrock8", "ackley10", "branin"])
def test_local_search_from_argmin_does_not_beat_f_star(name: str) -> None:
    scipy_optimize = pytest.importorskip("scipy.optimize")
    problem = PROBLEMS[name]
    names = problem.space.names
    x0 = np.array([problem.argmin[n] for n in names], dtype=float)
    lo = [problem.space[n].min_value for n in names]
    hi = [problem.space[n].max_value for n in names]

    def f(x: np.ndarray) -> float:
        return problem(dict(zip(names, x.tolist(), strict=True)))

    bounds = list(zip(lo, hi, strict=True))
    res = scipy_optimize.minimize(f, x0 + 1e-3, method="L-BFGS-B", bounds=bounds)
    assert res.fun >= problem.f_star - 1e-9


def test_discrete_f_star_is_the_brute_force_minimum() -> None:
    problem = PROBLEMS["discrete"]
    grid = problem.space.grid()
    assert len(grid) == problem.space.size == 360
    values = [problem(p) for p in grid]
    assert min(values) == problem.f_star
    assert [p for p, v in zip(grid, values, strict=True) if v == problem.f_star] == [
        problem.space.validate(problem.argmin)]


def test_mixed_space_has_the_documented_kinds() -> None:
    space = PROBLEMS["mixed"].space
    assert space["lr"].effective_scaling == "log"
    assert space["batch_size"].effective_scaling == "log"
    assert space["layers"].effective_scaling == "linear"
    assert {c.kind for c in space.coordinates} == {"continuous", "integer", "categorical"}


def test_mixed_f_star_is_minimal_over_a_fine_discretization() -> None:
    problem = PROBLEMS["mixed"]
    space = problem.space
    best = min(
        problem({"lr": 10.0 ** e, "dropout": d, "layers": k, "batch_size": b, "optimizer": o})
        for e in np.linspace(-5, 0, 21) for d in np.linspace(0, 0.5, 11)
        for k in range(1, 9) for b in (8, 16, 32, 64, 128, 1024) for o in space["optimizer"].values)
    assert best >= problem.f_star


def test_get_problem_names_valid_choices() -> None:
    assert get_problem("branin") is PROBLEMS["branin"]
    with pytest.raises(HPOError, match="expected one of branin, hartmann6"):
        get_problem("nope")


def test_problems_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PROBLEMS["branin"].f_star = 0.0  # type: ignore[misc]
    assert "x1 in [-5, 10], x2 in [0, 15]" in PROBLEMS["branin"].description
