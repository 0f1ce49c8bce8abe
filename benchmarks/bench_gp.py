"""Speed of the Bayesian strategy: ask + tell overhead at a given n, first-ask latency, and
compile counts per size bucket over a long run.

    python -m hpo_core.benchmarks.bench_gp                       # every part, default sizes
    python -m hpo_core.benchmarks.bench_gp --only overhead --sizes 100:6,500:10,1000:10
    python -m hpo_core.benchmarks.bench_gp --only first-ask
    python -m hpo_core.benchmarks.bench_gp --only compiles --trials 1000

overhead: for each ``n:d``, a Bayesian Optimizer on a ``d``-dimensional box (Hartmann6 for
d = 6, Levy-10 for d = 10) gets ``n - steps // 2`` observations from its quasi-random initial
design (``n_initial``), then ``steps`` GP suggestions are timed, ask and tell together, so
the observation count runs through n. p50 / p95 / mean in milliseconds.

first-ask: a fresh Python process times its first GP ask (after an instant initial design), once
with empty caches (program store and JAX's compilation cache) and once with the caches the
first process left.

compiles: one run of ``--trials`` trials on Hartmann6; per compiled entry point the number of
executables built (traced, or loaded from the program store) and of traces, against the number
of size buckets the run went through (one build per bucket at most is the target; the strategy
also builds the bucket after the last one ahead of time).

Threads are pinned as ``hpo bench`` pins them (one BLAS/OpenMP/XLA thread), before JAX starts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

__all__ = ["first_ask_seconds", "main", "overhead", "run_compiles"]


def _pin_threads() -> None:
    from hpo_core.benchmarks.cli import _pin_threads_env

    _pin_threads_env()


def _problem(dims: int) -> Any:
    from hpo_core.benchmarks.problems import PROBLEMS

    by_dims = {6: "hartmann6", 10: "levy10", 2: "branin", 8: "rosenbrock8"}
    if dims not in by_dims:
        raise SystemExit(f"--sizes: d must be one of {sorted(by_dims)}, got {dims}")
    return PROBLEMS[by_dims[dims]]


def overhead(n: int, dims: int, steps: int, seed: int = 0) -> dict[str, float]:
    """Time ``steps`` GP ask + tell pairs around ``n`` observations (milliseconds)."""
    from hpo_core import Optimizer

    problem = _problem(dims)
    start = max(1, n - steps // 2)
    opt = Optimizer(problem.space, "bayesian", seed=seed, n_initial=start)
    for _ in range(start):
        trial = opt.ask()
        opt.tell(trial, problem(trial.params))
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        trial = opt.ask()
        t1 = time.perf_counter()
        value = problem(trial.params)  # the objective is not timed
        t2 = time.perf_counter()
        opt.tell(trial, value)
        t3 = time.perf_counter()
        times.append((t1 - t0 + t3 - t2) * 1e3)
    # The first step pays the compilations of the bucket; report it apart.
    steady = times[1:]
    return {"n": n, "d": dims, "steps": steps, "first_ms": times[0],
            "p50_ms": statistics.median(steady),
            "p95_ms": sorted(steady)[max(0, math.ceil(0.95 * len(steady)) - 1)],  # nearest rank
            "mean_ms": statistics.fmean(steady)}


_FIRST_ASK = """
import time, json
from hpo_core import Optimizer
from hpo_core.benchmarks.problems import PROBLEMS
p = PROBLEMS["hartmann6"]
opt = Optimizer(p.space, "bayesian", seed=0)
for _ in range(14):
    t = opt.ask(); opt.tell(t, p(t.params))
t0 = time.perf_counter(); t = opt.ask(); dt = time.perf_counter() - t0
from hpo_core.gp import compile_counts
print(json.dumps({"seconds": dt, "traces": sum(compile_counts().values())}))
"""


def first_ask_seconds(cache_home: str) -> dict[str, float]:
    """The first GP ask of a fresh process whose XDG_CACHE_HOME is ``cache_home``."""
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _FIRST_ASK], env=env, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    return result


def run_compiles(trials: int, seed: int = 0) -> dict[str, Any]:
    """Traces per entry point over one ``trials``-trial Hartmann6 run, and buckets seen."""
    from hpo_core import Optimizer
    from hpo_core.benchmarks.problems import PROBLEMS
    from hpo_core.gp import bucket_size, build_counts, compile_counts, reset_compile_counts
    from hpo_core.strategies.gp_cache import shared_precompiler

    problem = PROBLEMS["hartmann6"]
    reset_compile_counts()
    opt = Optimizer(problem.space, "bayesian", seed=seed)
    buckets = set()
    t0 = time.perf_counter()
    for i in range(trials):
        trial = opt.ask()
        opt.tell(trial, problem(trial.params))
        buckets.add(bucket_size(i + 1))
    seconds = time.perf_counter() - t0
    shared_precompiler().wait()  # builds ahead for a bucket the run did not reach count as well
    best = opt.best
    return {"trials": trials, "seconds": seconds,
            "buckets": sorted(buckets), "traces": dict(sorted(compile_counts().items())),
            "builds": dict(sorted(build_counts().items())),
            "best_regret": None if best is None or best.value is None
            else best.value - problem.f_star}


def _sizes(text: str) -> list[tuple[int, int]]:
    try:
        return [(int(a), int(b)) for a, b in (item.split(":") for item in text.split(","))]
    except ValueError:
        raise SystemExit(f"--sizes: expected n:d pairs separated by commas, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["overhead", "first-ask", "compiles"])
    parser.add_argument("--sizes", default="100:6,500:10,1000:10")
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.steps < 2:  # the first step is reported apart; p50 needs one more
        parser.error(f"--steps: expected an integer >= 2, got {args.steps}")
    if args.trials < 1:
        parser.error(f"--trials: expected an integer >= 1, got {args.trials}")
    _pin_threads()
    if args.only in (None, "overhead"):
        print("| n | d | p50 ms | p95 ms | mean ms | first step (compiles) ms |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n, d in _sizes(args.sizes):
            r = overhead(n, d, args.steps)
            print(f"| {n} | {d} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['mean_ms']:.1f} "
                  f"| {r['first_ms']:.0f} |", flush=True)
    if args.only in (None, "first-ask"):
        with tempfile.TemporaryDirectory() as cache:
            cold = first_ask_seconds(cache)
            warm = first_ask_seconds(cache)
        print(f"\nfirst GP ask, fresh process: empty cache {cold['seconds']:.2f} s "
              f"(process {cold['process_seconds']:.1f} s), warm cache {warm['seconds']:.2f} s "
              f"(process {warm['process_seconds']:.1f} s)", flush=True)
    if args.only in (None, "compiles"):
        run = run_compiles(args.trials)
        traces: dict[str, int] = run["traces"]
        builds: dict[str, int] = run["builds"]
        print(f"\n{run['trials']} trials in {run['seconds']:.0f} s, buckets {run['buckets']}, "
              f"final regret {run['best_regret']:.2e}; executables built per entry point "
              f"(traced, or loaded from the program store): {builds}; traced: {traces}")
        print(f"most executables of one entry point: {max(builds.values(), default=0)} "
              f"(buckets reached: {len(run['buckets'])}, plus the one compiled ahead)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
