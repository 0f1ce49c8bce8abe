"""Kernel throughput: ASHA stop decisions per second, ours against a NumPy rescan and Optuna.

Every contender decides the *same* report stream (eta = 3, min_resource = 1, one bracket,
decision rungs at steps 1, 3, 9, 27, 81, i.e. 5 rungs) and must return the same decisions:

* ``compiled``: `RungTable.report_many`, the whole stream in one njit call;
* ``python``: `RungTable.report`, one Python call per report (what an ask/tell loop pays);
* ``numpy``: a straightforward reference, ``np.partition`` over the rung on every report, O(n);
* ``optuna``: Optuna's ``SuccessiveHalvingPruner`` (same eta and min_resource,
  bootstrap_count 0) driven through ``study.ask`` / ``trial.report`` / ``trial.should_prune`` /
  ``study.tell``; it rescans every trial on every report.

The stream comes from an asynchronous simulation: 1,000 workers, each trial reports at the
next rung level until it is stopped or passes step 81, then its worker starts a new trial. The
rescanning contenders cost O(n) per report, so they run on a prefix of the stream (default
20,000 reports for NumPy, 2,000 for Optuna; ``HPO_BENCH_PEER_REPORTS=numpy:N,optuna:M`` changes
it), which flatters them. Streams of 10**3 and 10**5 reports run by default, 10**6 when
``HPO_BENCH_1M=1``. BLAS is pinned to one thread around every measurement.

Figures: ``python benchmarks/bench_kernels.py 1000 100000 1000000`` prints decisions per second
for every contender, per wall-clock second and per CPU second of this process (other work on a
small machine takes cores away, which only the wall clock sees); CI runs this file once with
``--benchmark-disable``.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from hpo_core.kernels import MedianStoppingRule, RungTable

ETA, MIN_RESOURCE, MAX_RESOURCE = 3, 1, 243  # decision rungs 1, 3, 9, 27, 81
LEVELS = np.array([1, 3, 9, 27, 81], dtype=np.int64)
WORKERS = 1000
SIZES = [1_000, 100_000] + ([1_000_000] if os.environ.get("HPO_BENCH_1M") == "1" else [])


def _peer_caps() -> dict[str, int]:
    caps = {"numpy": 20_000, "optuna": 2_000}
    for part in filter(None, os.environ.get("HPO_BENCH_PEER_REPORTS", "").split(",")):
        name, _, n = part.partition(":")
        caps[name] = int(n)
    return caps


def _table() -> RungTable:
    return RungTable(MIN_RESOURCE, MAX_RESOURCE, ETA, n_brackets=1)


@functools.lru_cache(maxsize=4)
def make_stream(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate asynchronous workers until n reports; return ids, steps, values, decisions.

    Each round, every worker's trial reports at its next rung level (in a random order); trials
    that are stopped or pass the last rung are replaced by new trials.

    Returns:
        trial ids int64 (n,), steps int64 (n,), values float64 (n,), decisions int8 (n,).
    """
    rng = np.random.default_rng(seed)
    table = _table()
    trial = np.arange(WORKERS, dtype=np.int64)      # (W,) trial of each worker
    rung = np.zeros(WORKERS, dtype=np.int64)        # (W,) its next rung
    quality = rng.normal(size=WORKERS)              # (W,) its final loss, roughly
    next_id = WORKERS
    parts: list[tuple[np.ndarray, ...]] = []
    total = 0
    while total < n:
        order = rng.permutation(WORKERS)[: n - total]
        ids, steps = trial[order], LEVELS[rung[order]]
        vals = quality[order] + rng.normal(size=len(order)) / (1.0 + rung[order])
        dec = table.report_many(ids, steps, vals)
        parts.append((ids, steps, vals, dec))
        total += len(order)
        rung[order] += 1
        done = order[(dec == 1) | (rung[order] == len(LEVELS))]
        trial[done] = np.arange(next_id, next_id + len(done))
        next_id += len(done)
        rung[done] = 0
        quality[done] = rng.normal(size=len(done))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


# ---------------------------------------------------------------------------- contenders
def run_compiled(ids: np.ndarray, steps: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Our batch path: one njit call for the whole stream."""
    return _table().report_many(ids, steps, vals)


def run_python(ids: np.ndarray, steps: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Our per-report Python API."""
    table = _table()
    codes = {"continue": 0, "stop": 1}
    report = table.report
    return np.array([codes[report(t, s, v)] for t, s, v in
                     zip(ids.tolist(), steps.tolist(), vals.tolist(), strict=True)], np.int8)


def run_numpy(ids: np.ndarray, steps: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Straightforward reference: per rung a growing array, np.partition on every report."""
    rungs = [np.empty(len(ids)) for _ in LEVELS]
    counts = [0] * len(LEVELS)
    out = np.empty(len(ids), dtype=np.int8)
    level_index = {int(lv): k for k, lv in enumerate(LEVELS)}
    for i, (s, v) in enumerate(zip(steps.tolist(), vals.tolist(), strict=True)):
        k = level_index[s]
        rungs[k][counts[k]] = v
        counts[k] += 1
        q = max(1, counts[k] // ETA)
        kth = np.partition(rungs[k][:counts[k]], q - 1)[q - 1]
        out[i] = 0 if v <= kth else 1
    return out


def run_optuna(ids: np.ndarray, steps: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Optuna's SuccessiveHalvingPruner deciding the stream through the public API."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=MIN_RESOURCE, reduction_factor=ETA, min_early_stopping_rate=0,
            bootstrap_count=0))
    live: dict[int, Any] = {}
    out = np.empty(len(ids), dtype=np.int8)
    last = int(LEVELS[-1])
    for i, (t, s, v) in enumerate(zip(ids.tolist(), steps.tolist(), vals.tolist(),
                                      strict=True)):
        trial = live.get(t) or live.setdefault(t, study.ask())
        trial.report(v, s)
        pruned = trial.should_prune()
        out[i] = 1 if pruned else 0
        if pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            del live[t]
        elif s == last:
            study.tell(trial, v)
            del live[t]
    return out


CONTENDERS: dict[str, Callable[..., np.ndarray]] = {
    "compiled": run_compiled, "python": run_python, "numpy": run_numpy, "optuna": run_optuna}


def _prefix(name: str, n: int) -> int:
    return min(n, _peer_caps().get(name, n))


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Load / compile the kernels outside the timed region."""
    ids, steps, vals, _ = make_stream(1_000, seed=1)
    run_compiled(ids, steps, vals)
    run_python(ids[:10], steps[:10], vals[:10])


@pytest.mark.parametrize("name", list(CONTENDERS))
@pytest.mark.parametrize("n", SIZES)
def test_asha_decisions(benchmark: Any, name: str, n: int) -> None:
    """Decide the first _prefix(name, n) reports of the n-report stream; same decisions."""
    if name == "optuna":
        pytest.importorskip("optuna")
    ids, steps, vals, want = make_stream(n)
    m = _prefix(name, n)
    got = benchmark.pedantic(CONTENDERS[name], args=(ids[:m], steps[:m], vals[:m]),
                             rounds=1, iterations=1)
    benchmark.extra_info.update(stream=n, decided=m)
    np.testing.assert_array_equal(got, want[:m])


@functools.lru_cache(maxsize=4)
def make_median_stream(n: int, seed: int = 0, n_steps: int = 20
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Asynchronous workers reporting steps 1..n_steps to the median rule until n reports.

    Returns:
        trial ids int64 (n,), steps int64 (n,), values float64 (n,), decisions int8 (n,).
    """
    rng = np.random.default_rng(seed)
    rule = MedianStoppingRule()
    trial = np.arange(WORKERS, dtype=np.int64)
    step = np.ones(WORKERS, dtype=np.int64)
    quality = rng.normal(size=WORKERS)
    next_id = WORKERS
    parts: list[tuple[np.ndarray, ...]] = []
    total = 0
    while total < n:
        order = rng.permutation(WORKERS)[: n - total]
        ids, steps = trial[order], step[order]
        vals = quality[order] + rng.normal(size=len(order)) / np.sqrt(steps)
        dec = rule.report_many(ids, steps, vals)
        parts.append((ids, steps, vals, dec))
        total += len(order)
        step[order] += 1
        done = order[(dec == 1) | (step[order] > n_steps)]
        trial[done] = np.arange(next_id, next_id + len(done))
        next_id += len(done)
        step[done] = 1
        quality[done] = rng.normal(size=len(done))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


@pytest.mark.parametrize("path", ["compiled", "python"])
@pytest.mark.parametrize("n", SIZES)
def test_median_rule(benchmark: Any, path: str, n: int) -> None:
    """Median rule on the same stream, batch or one report at a time; same decisions."""
    ids, steps, vals, want = make_median_stream(n)

    def one_by_one() -> np.ndarray:
        report = MedianStoppingRule().report
        return np.array([report(t, s, v) == "stop" for t, s, v in
                         zip(ids.tolist(), steps.tolist(), vals.tolist(), strict=True)],
                        dtype=np.int8)

    fn = one_by_one if path == "python" else (
        lambda: MedianStoppingRule().report_many(ids, steps, vals))
    got = benchmark.pedantic(fn, rounds=1, iterations=1)
    np.testing.assert_array_equal(got, want)
    assert 0 < want.mean() < 1


# ---------------------------------------------------------------------------- figures
def main(sizes: list[int]) -> None:
    """Print decisions per second of every contender at each stream size."""
    caps = _peer_caps()
    with threadpool_limits(1):
        t0 = time.perf_counter()
        ids, steps, vals, _ = make_stream(1_000, seed=1)
        run_compiled(ids, steps, vals)
        print(f"first call (compile or cache load): {time.perf_counter() - t0:.2f} s")
        print(f"{'stream':>9} {'contender':>9} {'decided':>9} {'wall s':>8} {'cpu s':>8} "
              f"{'decisions/s':>12} {'per cpu s':>12}")
        for n in sizes:
            ids, steps, vals, want = make_stream(n)
            for name, fn in CONTENDERS.items():
                m = min(n, caps.get(name, n))
                got = _timed(n, name, m, fn, ids[:m], steps[:m], vals[:m])
                assert np.array_equal(got, want[:m]), name
            ids, steps, vals, want = make_median_stream(n)
            got = _timed(n, "median", n, lambda *a: MedianStoppingRule().report_many(*a),
                         ids, steps, vals)
            assert np.array_equal(got, want)


def _timed(n: int, name: str, m: int, fn: Callable[..., np.ndarray], *args: np.ndarray
           ) -> np.ndarray:
    """Run fn(*args), print wall and CPU time (other processes share the cores) and rates."""
    wall, cpu = time.perf_counter(), time.process_time()
    got = fn(*args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{n:>9} {name:>9} {m:>9} {wall:>8.3f} {cpu:>8.3f} {m / wall:>12,.0f} "
          f"{m / max(cpu, 1e-9):>12,.0f}", flush=True)
    return got


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 100_000])
