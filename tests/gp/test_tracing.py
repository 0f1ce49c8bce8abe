"""Entry points: one executable per signature, the program store, compiling ahead."""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hpo_core import gp
from hpo_core.gp import tracing
from hpo_core.strategies.quasirandom import sobol_table
from tests.gp.conftest import make_data


class DictStore:
    """An in-memory :class:`hpo_core.gp.ExportStore` that counts its traffic."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.gets = 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return self.blobs.get(key)

    def put(self, key: str, blob: bytes) -> None:
        self.blobs[key] = blob


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> DictStore:
    s = DictStore()
    monkeypatch.setattr(tracing, "_STORE", s)
    return s


def _fresh(fun, static=()):  # a new entry point: nothing built yet in this process
    return tracing.EntryPoint(fun, tuple(static))


def _scaled_sum(x: jax.Array, w: jax.Array, *, power: int = 2) -> jax.Array:
    tracing.count_trace("test_scaled_sum")
    return jnp.sum(w * x**power)


def test_a_second_process_loads_the_program_from_the_store_without_tracing(store):
    x, w = jnp.arange(5.0), jnp.full((5,), 0.5)
    first = _fresh(_scaled_sum, ["power"])
    before = gp.compile_counts().get("test_scaled_sum", 0)
    assert float(first(x, w, power=3)) == pytest.approx(0.5 * np.sum(np.arange(5.0) ** 3))
    assert gp.compile_counts()["test_scaled_sum"] == before + 1
    assert len(store.blobs) == 1
    again = _fresh(_scaled_sum, ["power"])  # as a new process would start
    assert float(again(x, w, power=3)) == float(first(x, w, power=3))
    assert gp.compile_counts()["test_scaled_sum"] == before + 1  # loaded, not traced
    # Another static value or shape is another program.
    assert float(again(x, w, power=1)) == pytest.approx(5.0)
    assert float(again(jnp.arange(3.0), w[:3], power=3)) == pytest.approx(4.5)
    assert len(store.blobs) == 3 and gp.compile_counts()["test_scaled_sum"] == before + 3


def test_a_damaged_store_entry_is_rebuilt(store):
    x, w = jnp.arange(4.0), jnp.ones((4,))
    _fresh(_scaled_sum)(x, w)
    (key,) = store.blobs
    store.blobs[key] = b"not a program"
    before = gp.compile_counts()["test_scaled_sum"]
    assert float(_fresh(_scaled_sum)(x, w)) == 14.0
    assert gp.compile_counts()["test_scaled_sum"] == before + 1
    assert store.blobs[key] != b"not a program"


def test_precompiling_from_shapes_serves_the_real_call(store):
    ep = _fresh(_scaled_sum)
    spec = jax.ShapeDtypeStruct((7,), jnp.float64)
    assert ep.precompile(spec, spec) is True
    traced = gp.compile_counts()["test_scaled_sum"]
    assert float(ep(jnp.ones(7), np.full(7, 2.0))) == 14.0  # numpy leaves are converted
    assert gp.compile_counts()["test_scaled_sum"] == traced


def test_stored_only_builds_nothing_the_store_lacks(store):
    spec = jax.ShapeDtypeStruct((9,), jnp.float64)
    before = gp.compile_counts().get("test_scaled_sum", 0)
    assert _fresh(_scaled_sum).precompile(spec, spec, stored_only=True) is False
    assert gp.compile_counts().get("test_scaled_sum", 0) == before and not store.blobs
    _fresh(_scaled_sum).precompile(spec, spec)
    assert _fresh(_scaled_sum).precompile(spec, spec, stored_only=True) is True
    assert gp.compile_counts()["test_scaled_sum"] == before + 1


def test_concurrent_builders_of_one_signature_trace_once(store):
    ep = _fresh(_scaled_sum)
    spec = jax.ShapeDtypeStruct((11,), jnp.float64)
    before = gp.compile_counts().get("test_scaled_sum", 0)
    threads = [threading.Thread(target=ep.precompile, args=(spec, spec)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gp.compile_counts()["test_scaled_sum"] == before + 1


def test_gp_entry_points_export_and_match_the_plain_functions(store, smooth_data, seed):
    x, y = smooth_data
    data = make_data(x, y, 36)  # a size no other test uses: these programs are new here
    prior = gp.default_prior(2)
    state = gp.fit(data, jax.random.key(seed), prior, max_iter=20)
    again = gp.with_hyperparameters(data, state.theta, prior)
    plain = jax.jit(gp.with_hyperparameters.fun)(data, state.theta, prior)
    assert np.allclose(again.alpha, plain.alpha, rtol=1e-10)
    xs = jnp.asarray(np.random.default_rng(seed).random((5, 2)))
    mean, _ = gp.posterior(again, xs)
    assert np.allclose(mean, jax.jit(gp.posterior.fun)(again, xs)[0], rtol=1e-10)
    assert {key.split("-")[0] for key in store.blobs} >= {"fit", "with_hyperparameters",
                                                           "posterior"}
    for name in ("fit", "with_hyperparameters", "posterior"):
        assert name not in gp.export_fallbacks(), gp.export_fallbacks()


def test_a_stored_program_that_does_not_fit_is_traced_again(store):
    x, w = jnp.arange(6.0), jnp.ones((6,))
    ep = _fresh(_scaled_sum)
    ep(x, w)
    (key,) = store.blobs
    other = _fresh(_scaled_sum)
    other(jnp.arange(2.0), jnp.ones((2,)))  # a valid program for other shapes
    (wrong,) = set(store.blobs) - {key}
    store.blobs[key] = store.blobs[wrong]
    assert float(_fresh(_scaled_sum)(x, w)) == 55.0
    assert "scaled_sum" not in gp.export_fallbacks()


def test_precompile_bucket_covers_every_entry_point_the_strategy_calls(store):
    d = 4
    levels = jnp.asarray([4.0, 3.0])  # shapes no other test uses
    prior = gp.default_prior(d)
    cube = gp.CubeSpec(jnp.asarray([True, True, False, False]), jnp.asarray([2, 3]),
                       jnp.asarray([[0.125, 0.375, 0.625, 0.875], [1 / 6, 0.5, 5 / 6, 1 / 6]]),
                       jnp.asarray([[True] * 4, [True, True, True, False]]))
    config = gp.AcqConfig(jnp.asarray(False), jnp.asarray(1.0), jnp.asarray(5))
    pool = jnp.asarray(sobol_table(64, d))
    built = gp.build_counts()
    gp.precompile_bucket(32, levels, prior, pool, cube, config, 2, max_iter=7)
    grown = {k: v - built.get(k, 0) for k, v in gp.build_counts().items()}
    assert {k: v for k, v in grown.items() if v} == dict.fromkeys(gp.precompile.ENTRY_POINTS, 1)
    before = gp.build_counts()
    rng = np.random.default_rng(0)
    xs = rng.random((20, d))
    xs[:, 2] = (rng.integers(0, 4, 20) + 0.5) / 4
    xs[:, 3] = (rng.integers(0, 3, 20) + 0.5) / 3
    data = make_data(xs, xs.sum(1), 32, levels=[4.0, 3.0])
    state = gp.fit(data, jax.random.key(1), prior, warm_start=None, max_iter=60)
    state = gp.refit(data, np.asarray(state.theta), prior, 7)
    state = gp.with_hyperparameters(data, np.asarray(state.theta), prior)
    pending = jnp.asarray((np.arange(32) >= 18) & (np.arange(32) < 20))
    state = gp.condition_on_pending(state, pending, prior, jax.random.key(0), jnp.asarray(0.5),
                                    jnp.asarray(True))
    # as the strategy calls it: ties None (plateaus="off", the default) or an array ("tabu")
    gp.optimize_acquisition(state, jax.random.key(2), pool, cube, config, None, rounds=2)
    assert gp.build_counts() == before
    # with plateaus="tabu" the strategy passes ties: precompiled with plateaus=True
    gp.precompile_bucket(32, levels, prior, pool, cube, config, 2,
                         names=["optimize_acquisition"], plateaus=True)
    before = gp.build_counts()
    ties = jnp.asarray(np.full(32, -1, dtype=np.int64))
    gp.optimize_acquisition(state, jax.random.key(2), pool, cube, config, ties, rounds=2)
    assert gp.build_counts() == before
    with pytest.raises(ValueError, match="unknown entry point"):
        gp.precompile_bucket(32, levels, prior, pool, cube, config, 2, names=["nope"])


def test_compiler_options_keep_the_required_ones_and_drop_unknown_ones(monkeypatch):
    monkeypatch.setattr(tracing, "_OPTIONS", None)
    monkeypatch.setattr(tracing, "OPTIONAL_COMPILER_OPTIONS",
                        {"xla_no_such_option_anywhere": True})
    assert tracing.compiler_options() == tracing.COMPILER_OPTIONS
    monkeypatch.undo()
    assert tracing.compiler_options().items() >= tracing.COMPILER_OPTIONS.items()
