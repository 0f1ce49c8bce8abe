"""The box-constrained L-BFGS of :mod:`hpo_core.gp.lbfgs` against SciPy's L-BFGS-B.

Problems: a coupled quadratic whose optimum lies outside the box (active bounds), Rosenbrock in
a box that cuts off its minimum, Rosenbrock and a 5-D quadratic with interior optima. Also
under ``jax.jit``, with several starts at once (``jax.vmap``), with fixed (non-free) variables,
and with ``max_iter`` as an array leaf (changing it does not retrace).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hpo_core.gp import lbfgs

scipy_optimize = pytest.importorskip("scipy.optimize")

Fun = Callable[[jax.Array], jax.Array]


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


_A = jnp.array([[3.0, 1.0, 0.5], [1.0, 2.0, 0.3], [0.5, 0.3, 1.5]])  # SPD, coupled
_C = jnp.array([1.5, -0.3, 0.4])


def coupled_quadratic(x: jax.Array) -> jax.Array:
    d = x - _C
    return 0.5 * d @ _A @ d


_CENTER = jnp.array([0.2, -0.4, 0.7, 0.1, -0.8])
_SCALE = jnp.array([1.0, 4.0, 0.5, 2.0, 8.0])


def interior_quadratic(x: jax.Array) -> jax.Array:
    return jnp.sum(_SCALE * (x - _CENTER) ** 2) + 0.3 * (x[0] - _CENTER[0]) * (x[1] - _CENTER[1])


#: (name, function, start, lower, upper)
PROBLEMS: list[tuple[str, Fun, list[float], list[float], list[float]]] = [
    ("quadratic-active-bounds", coupled_quadratic, [0.5, 0.5, 0.5], [0.0] * 3, [1.0] * 3),
    ("rosenbrock-boxed", rosenbrock, [-1.2, 1.0], [-1.5, -0.5], [0.5, 2.0]),
    ("rosenbrock-interior", rosenbrock, [-1.2, 1.0], [-2.0, -2.0], [2.0, 2.0]),
    ("quadratic-interior-5d", interior_quadratic, [0.9] * 5, [-1.0] * 5, [1.0] * 5),
]


def _arguments(x0: Any, lower: Any, upper: Any, free: Any, max_iter: Any) -> tuple[Any, ...]:
    x0 = jnp.asarray(x0, dtype=jnp.float64)
    free = jnp.ones(x0.shape, bool) if free is None else jnp.asarray(free)
    return (x0, jnp.asarray(lower, dtype=jnp.float64), jnp.asarray(upper, dtype=jnp.float64),
            free, jnp.asarray(max_iter))


def eager(fun: Fun, x0: Any, lower: Any, upper: Any, free: Any = None,
          max_iter: Any = 200) -> lbfgs.LbfgsResult:
    """``lbfgs.minimize`` called as it is (no ``jax.jit`` around it)."""
    return lbfgs.minimize(jax.value_and_grad(fun), *_arguments(x0, lower, upper, free, max_iter))


@functools.cache
def _jitted(fun: Fun) -> Callable[..., lbfgs.LbfgsResult]:
    return jax.jit(functools.partial(eager, fun))


def ours(fun: Fun, x0: Any, lower: Any, upper: Any, free: Any = None,
         max_iter: Any = 200) -> lbfgs.LbfgsResult:
    """``lbfgs.minimize`` under ``jax.jit``, compiled once per function and shapes."""
    return _jitted(fun)(*_arguments(x0, lower, upper, free, max_iter))


def scipy_reference(fun: Fun, x0: Any, bounds: list[tuple[float, float]]) -> Any:
    value_and_grad = jax.jit(jax.value_and_grad(fun))

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = value_and_grad(jnp.asarray(x))
        return float(v), np.asarray(g)

    result = scipy_optimize.minimize(f, np.asarray(x0, dtype=np.float64), jac=True,
                                     method="L-BFGS-B", bounds=bounds,
                                     options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 1000})
    assert result.success, result.message
    return result


def assert_matches(result: lbfgs.LbfgsResult, reference: Any, fun: Fun) -> None:
    x = np.asarray(result.x)
    np.testing.assert_allclose(x, reference.x, rtol=0, atol=2e-5)
    assert abs(float(result.f) - reference.fun) <= 1e-8 * (1.0 + abs(reference.fun))
    assert float(result.f) == pytest.approx(float(fun(result.x)), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name, fun, x0, lower, upper", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_matches_scipy_lbfgsb(name: str, fun: Fun, x0: list[float], lower: list[float],
                              upper: list[float]) -> None:
    result = ours(fun, x0, lower, upper)
    assert_matches(result, scipy_reference(fun, x0, list(zip(lower, upper, strict=True))), fun)
    x = np.asarray(result.x)
    assert np.all(x >= lower) and np.all(x <= upper)
    assert 0 < int(result.iterations) < 200


def test_active_bounds_are_met_exactly_and_the_rest_is_stationary() -> None:
    result = ours(coupled_quadratic, [0.5, 0.5, 0.5], [0.0] * 3, [1.0] * 3)
    x = np.asarray(result.x)
    assert x[0] == 1.0 and x[1] == 0.0  # projected onto the box, not near it
    g = np.asarray(jax.grad(coupled_quadratic)(result.x))
    assert g[0] < 0 and g[1] > 0  # pointing out of the box: the bounds are active
    assert abs(g[2]) < 1e-5


def test_under_jit_gives_the_same_result() -> None:
    _, fun, x0, lower, upper = PROBLEMS[1]
    plain = eager(fun, x0, lower, upper)
    jitted = ours(fun, x0, lower, upper)
    np.testing.assert_allclose(np.asarray(jitted.x), np.asarray(plain.x), rtol=0, atol=1e-12)
    assert int(jitted.iterations) == int(plain.iterations)


def test_several_starts_at_once_under_vmap_match_one_at_a_time_and_scipy() -> None:
    lower, upper = [-2.0, -2.0], [2.0, 2.0]
    starts = np.array([[-1.2, 1.0], [1.8, -1.5], [0.0, 0.0], [-1.9, 1.9], [2.5, -3.0]])
    def one(x0: jax.Array) -> lbfgs.LbfgsResult:
        return eager(rosenbrock, x0, lower, upper)

    batched = jax.jit(jax.vmap(one))(jnp.asarray(starts))
    assert batched.x.shape == starts.shape and batched.f.shape == (len(starts),)
    one_at_a_time = jax.jit(one)
    for i, x0 in enumerate(starts):
        single = one_at_a_time(jnp.asarray(x0))
        np.testing.assert_allclose(np.asarray(batched.x[i]), np.asarray(single.x), rtol=0,
                                   atol=1e-10)
        assert int(batched.iterations[i]) == int(single.iterations)
        reference = scipy_reference(rosenbrock, np.clip(x0, lower, upper),
                                    list(zip(lower, upper, strict=True)))
        np.testing.assert_allclose(np.asarray(batched.x[i]), reference.x, rtol=0, atol=2e-5)
    assert len(set(np.asarray(batched.iterations).tolist())) > 1  # each start stops on its own


def test_fixed_variables_stay_where_they_start() -> None:
    x0, lower, upper = [0.5, 0.5, 0.5], [0.0] * 3, [1.0] * 3
    free = [True, False, True]
    result = ours(coupled_quadratic, x0, lower, upper, free=free)
    assert float(result.x[1]) == 0.5
    reference = scipy_reference(coupled_quadratic, x0, [(0.0, 1.0), (0.5, 0.5), (0.0, 1.0)])
    assert_matches(result, reference, coupled_quadratic)


def test_a_start_outside_the_box_is_clipped_into_it() -> None:
    _, fun, _, lower, upper = PROBLEMS[0]
    result = ours(fun, [3.0, -2.0, 0.5], lower, upper, max_iter=0)
    np.testing.assert_array_equal(np.asarray(result.x), [1.0, 0.0, 0.5])
    assert float(result.f) == float(fun(result.x)) and int(result.iterations) == 0
    far = ours(fun, [3.0, -2.0, 0.5], lower, upper)
    near = ours(fun, [1.0, 0.0, 0.5], lower, upper)
    np.testing.assert_allclose(np.asarray(far.x), np.asarray(near.x), rtol=0, atol=1e-12)


def test_max_iter_caps_the_iterations_and_is_an_array_leaf() -> None:
    traces = []
    _, fun, x0, lower, upper = PROBLEMS[2]

    @jax.jit
    def run(max_iter: jax.Array) -> lbfgs.LbfgsResult:
        traces.append(1)
        return eager(fun, x0, lower, upper, max_iter=max_iter)

    capped = [run(jnp.asarray(n)) for n in (1, 5, 200)]
    assert len(traces) == 1
    assert [int(r.iterations) for r in capped[:2]] == [1, 5]
    fs = [float(r.f) for r in capped]
    assert fs[0] > fs[1] > fs[2] and fs[0] < float(fun(jnp.asarray(x0)))


def test_no_finite_value_at_the_start_gives_up_there() -> None:
    def blocked(x: jax.Array) -> jax.Array:
        return jnp.where(x[0] < 0.5, jnp.inf, jnp.sum(x**2))

    result = ours(blocked, [0.2, 0.3], [0.0, 0.0], [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(result.x), [0.2, 0.3])
    assert not np.isfinite(float(result.f)) and int(result.iterations) <= 1


def test_steps_into_non_finite_values_are_backtracked() -> None:
    """A region where the function is NaN is never returned: the line search shrinks the
    step instead, and ``x[0]`` approaches the region's edge (the run then stops, as the
    line search can no longer decrease ``f`` along a direction that points into it)."""
    def walled(x: jax.Array) -> jax.Array:
        return jnp.where(x[0] > 0.7, jnp.nan, (x[0] - 1.0) ** 2 + (x[1] - 0.2) ** 2)

    result = ours(walled, [0.0, 0.9], [0.0, 0.0], [1.0, 1.0])
    x = np.asarray(result.x)
    assert np.isfinite(float(result.f)) and x[0] <= 0.7
    assert float(result.f) < float(walled(jnp.asarray([0.0, 0.9])))
    assert 0.7 - x[0] < 1e-3
