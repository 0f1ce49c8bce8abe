"""Run problems x strategies x seeds with a budget and collect one record per run.

The result is a JSON-ready document in the ``hpo_core.bench`` format, version
:data:`FORMAT_VERSION` (described field by field in ``benchmarks/FORMAT.md``)::

    {"format": "hpo_core.bench", "version": 2, "created": ..., "command": [...],
     "environment": {...}, "config": {...}, "problems": {...}, "runs": [...], "skipped": [...],
     "report": {...}}

Every run executes under ``threadpoolctl.threadpool_limits(1)``, so BLAS/OpenMP pools use one
thread and optimizer overhead is comparable across machines and strategies. threadpoolctl only
reaches libraries already loaded, and a peer loads its own (SciPy's OpenBLAS, scikit-learn's
OpenMP) lazily, so a run sets the limit again after building its strategy and whenever modules
were imported since (outside the timed asks and tells). A run is a series
of rounds: with ``batch = 1`` one ask, one evaluation, one tell; with ``batch = q`` the strategy
is asked for q points (``ask_batch`` where the Session has it), all q are evaluated, then all q
are told (``tell_batch`` where it has it). The budget counts trials, so the last round may be
smaller. The asks of a round and its tells are each timed with ``time.perf_counter`` and
divided evenly among the round's trials; evaluating the objective is not part of the overhead.

The document also holds ``report`` (:func:`hpo_core.benchmarks.analysis.analyze`): regret
curves, Mann-Whitney tests against random search and the best peer, ranks and overhead by n.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from threadpoolctl import threadpool_limits

from hpo_core.benchmarks.analysis import analyze
from hpo_core.benchmarks.problems import PROBLEMS, Problem
from hpo_core.benchmarks.sklearn_tasks import SKLEARN_TASKS
from hpo_core.benchmarks.strategies import STRATEGIES, Skip, StrategySpec
from hpo_core.benchmarks.tasks import TASKS
from hpo_core.benchmarks.workers import run_workers
from hpo_core.errors import HPOError

__all__ = ["BENCH_PROBLEMS", "FORMAT", "FORMAT_VERSION", "BenchConfig", "environment",
           "run_benchmark", "run_one", "versions", "write_results"]

FORMAT = "hpo_core.bench"
#: Version of the document :func:`run_benchmark` builds; readers accept <= this.
FORMAT_VERSION = 2
#: Every problem ``hpo bench`` runs: the synthetic ones with known optima, then the ML tasks.
BENCH_PROBLEMS: dict[str, Problem] = {**PROBLEMS, **TASKS, **SKLEARN_TASKS}
#: Distributions named in ``environment.libraries`` when installed.
_LIBRARIES = ("hpo_core", "numpy", "scipy", "jax", "jaxlib", "numba", "threadpoolctl",
              "optuna", "greenlet", "scikit-optimize", "scikit-learn", "botorch", "gpytorch",
              "torch", "xgboost", "xgboost-cpu")
#: First seed of the untimed warm-up runs (``BenchConfig.warmup``), away from the usual seeds.
WARMUP_SEED = 1_000_000
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "XLA_FLAGS")


@dataclass(frozen=True)
class BenchConfig:
    """What to run.

    Attributes:
        problems: problem names (keys of ``BENCH_PROBLEMS``).
        strategies: strategy names (keys of ``STRATEGIES``).
        budget: trials per run (a finite space smaller than this is run in full).
        seeds: the seeds; each (problem, strategy) pair runs once per seed.
        batch: points asked at once per round (1: sequential).
        workers: trials in flight on a simulated clock (0: not a workers run).
        warmup: untimed runs per (problem, strategy) before the seeds, left out of the
            document (seeds ``WARMUP_SEED``, ``WARMUP_SEED + 1``, ...): the first run in a
            process pays one-time costs (imports, loading or compiling programs) that are not
            per-trial overhead.
    """

    problems: tuple[str, ...]
    strategies: tuple[str, ...]
    budget: int
    seeds: tuple[int, ...]
    batch: int = 1
    workers: int = 0
    warmup: int = 0

    def __post_init__(self) -> None:
        for name in self.problems:
            if name not in BENCH_PROBLEMS:
                raise HPOError(f"problem: unknown {name!r}; expected one of "
                               f"{', '.join(BENCH_PROBLEMS)}")
        for name in self.strategies:
            if name not in STRATEGIES:
                raise HPOError(
                    f"strategy: unknown {name!r}; expected one of {', '.join(STRATEGIES)}")
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 1:
            raise HPOError(f"budget: expected an int >= 1, got {self.budget!r}")
        if not self.seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0
                                 for s in self.seeds):
            raise HPOError(f"seeds: expected one or more ints >= 0, got {self.seeds!r}")
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 1:
            raise HPOError(f"batch: expected an int >= 1, got {self.batch!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or \
                self.workers < 0:
            raise HPOError(f"workers: expected an int >= 0, got {self.workers!r}")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or \
                self.warmup < 0:
            raise HPOError(f"warmup: expected an int >= 0, got {self.warmup!r}")
        if self.warmup and max(self.seeds) >= WARMUP_SEED:
            raise HPOError(f"warmup: the warm-up runs take seeds from {WARMUP_SEED} on; expected "
                           f"measured seeds below it, got up to {max(self.seeds)}")
        if self.workers and self.batch > 1:
            raise HPOError(f"workers: {self.workers} asynchronous workers cannot be combined "
                           f"with batch {self.batch}; expected one of them")

    def to_dict(self) -> dict[str, Any]:
        return {"problems": list(self.problems), "strategies": list(self.strategies),
                "budget": self.budget, "seeds": list(self.seeds), "batch": self.batch,
                "workers": self.workers, "warmup": self.warmup}


def versions(packages: Sequence[str]) -> dict[str, str | None]:
    """Installed version of each distribution (None when it is not installed)."""
    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict[str, Any]:
    """Where the benchmark ran: Python, platform, CPUs, library versions, thread settings."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_available": len(affinity(0)) if affinity else os.cpu_count(),
        "libraries": {k: v for k, v in versions(_LIBRARIES).items() if v is not None},
        "threads": {"threadpool_limits": 1,
                    "env": {k: os.environ[k] for k in _THREAD_ENV if k in os.environ}},
    }


def _best_so_far(values: Sequence[float | None]) -> list[float | None]:
    out: list[float | None] = []
    best: float | None = None
    for v in values:
        if v is not None and (best is None or v < best):
            best = v
        out.append(best)
    return out


def _evaluate(problem: Problem, params: dict[str, Any]) -> tuple[float | None, str | None]:
    try:
        value = problem(params)
    except Exception as e:  # an objective that raises is a failed trial, not a crashed run
        return None, f"{type(e).__name__}: {e}"
    if not math.isfinite(value):
        return None, f"objective value {value!r} is not finite"
    return value, None


class _OneThread:
    """``threadpool_limits(1)`` again for native pools loaded since the last :meth:`check`."""

    def __init__(self) -> None:
        self._modules = -1
        self._limits: list[threadpool_limits] = []

    def check(self) -> None:
        if len(sys.modules) != self._modules:  # a new library comes with new modules
            self._modules = len(sys.modules)
            self._limits.append(threadpool_limits(limits=1))

    def restore(self) -> None:
        for limit in reversed(self._limits):
            limit.restore_original_limits()


def _missing_modules(problem: Problem) -> list[str]:
    return [m for m in problem.requires if importlib.util.find_spec(m) is None]


def _ask_round(session: Any, k: int) -> list[tuple[Any, dict[str, Any]]]:
    if k == 1:
        return [session.ask()]
    ask_batch = getattr(session, "ask_batch", None)
    if ask_batch is not None:
        return list(ask_batch(k))
    return [session.ask() for _ in range(k)]


def _tell_round(session: Any, results: list[tuple[Any, float | None, str | None]]) -> None:
    tell_batch = getattr(session, "tell_batch", None)
    if tell_batch is not None and len(results) > 1:
        tell_batch(results)
        return
    for token, value, reason in results:
        session.tell(token, value, reason)


def run_one(problem: Problem, spec: StrategySpec, seed: int, budget: int,
            batch: int = 1, workers: int = 0) -> dict[str, Any]:
    """One run: ``budget`` trials of ``spec`` on ``problem`` with ``seed``, ``batch`` per round
    (or ``workers`` in flight: :func:`hpo_core.benchmarks.workers.run_workers`).

    Returns:
        The run record (see ``benchmarks/FORMAT.md``).

    Raises:
        Skip: the strategy does not apply to the problem, or a module the problem needs is
            not installed.
    """
    missing = _missing_modules(problem)
    if missing:
        raise Skip(f"{problem.name} needs {', '.join(problem.requires)}; not installed: "
                   f"{', '.join(missing)} (extra 'examples')")
    values: list[float | None] = []
    asks: list[float] = []
    tells: list[float] = []
    best_value: float | None = None
    best_params: dict[str, Any] | None = None
    status, error, stopped = "ok", None, None
    pins = _OneThread()
    pins.check()
    start = time.perf_counter()
    try:
        session = spec.make(problem, seed)
    except Skip:
        pins.restore()
        raise
    except Exception as e:  # a strategy that cannot start fails its run, not the benchmark
        session, status, error = None, "failed", f"{type(e).__name__}: {e}"
    setup = time.perf_counter() - start
    n_trials = budget
    if session is not None and session.capacity is not None and session.capacity < budget:
        n_trials = session.capacity
        stopped = (f"search space exhausted: {spec.name} can suggest {session.capacity} "
                   f"distinct points, fewer than the budget of {budget}")
    finish_times: list[float] | None = None
    if session is not None and workers:
        got = run_workers(session, n_trials, workers, seed,
                          lambda params: _evaluate(problem, params), pins.check)
        values, asks, tells, finish_times = (got["values"], got["ask_seconds"],
                                             got["tell_seconds"], got["finish_times"])
        if got["error"] is not None:
            status, error = "failed", got["error"]
        for params, value in zip(got["params"], values, strict=True):
            if value is not None and (best_value is None or value < best_value):
                best_value, best_params = value, dict(params)
        session = None
    try:
        while session is not None and len(values) < n_trials:
            k = min(batch, n_trials - len(values))
            pins.check()
            t0 = time.perf_counter()
            asked = _ask_round(session, k)
            t1 = time.perf_counter()
            if len(asked) != k:
                raise RuntimeError(f"asked for {k} points, got {len(asked)}")
            results = [(token, *_evaluate(problem, params)) for token, params in asked]
            t2 = time.perf_counter()
            _tell_round(session, results)
            t3 = time.perf_counter()
            asks += [(t1 - t0) / len(asked)] * len(asked)
            tells += [(t3 - t2) / len(asked)] * len(asked)
            for (_, params), (_, value, _) in zip(asked, results, strict=True):
                values.append(value)
                if value is not None and (best_value is None or value < best_value):
                    best_value, best_params = value, dict(params)
    except Exception as e:  # an optimizer that breaks fails its run, not the benchmark
        status, error = "failed", f"{type(e).__name__}: {e}"
    wall = time.perf_counter() - start
    pins.restore()
    best = _best_so_far(values)
    return {
        "problem": problem.name,
        "strategy": spec.name,
        "seed": seed,
        "peer": spec.peer,
        "budget": budget,
        "batch": batch,
        "workers": workers,
        "finish_times": finish_times,
        "status": status,
        "error": error,
        "stopped": stopped,
        "n_trials": len(values),
        "values": values,
        "best_so_far": best,
        "best_value": best_value,
        "best_params": best_params,
        "f_star": problem.f_star,
        "regret_final": None if best_value is None else best_value - problem.f_star,
        "ask_seconds": asks,
        "tell_seconds": tells,
        "setup_seconds": setup,
        "wall_seconds": wall,
        "versions": versions(spec.packages),
    }


def run_benchmark(config: BenchConfig, command: Sequence[str] | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every (problem, strategy, seed) of ``config``.

    Args:
        config: what to run.
        command: the argv that asked for it (recorded as is).
        progress: called with one line per finished or skipped run.

    Returns:
        The ``hpo_core.bench`` document (JSON-ready).
    """
    runs: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    total = len(config.problems) * len(config.strategies) * len(config.seeds)
    done = 0
    with threadpool_limits(limits=1):
        for pname in config.problems:
            problem = BENCH_PROBLEMS[pname]
            for sname in config.strategies:
                spec = STRATEGIES[sname]
                for seed in config.seeds:
                    done += 1
                    try:
                        if seed == config.seeds[0]:
                            for i in range(config.warmup):  # untimed, not recorded
                                run_one(problem, spec, WARMUP_SEED + i, config.budget,
                                        config.batch, config.workers)
                        record = run_one(problem, spec, seed, config.budget, config.batch,
                                         config.workers)
                    except Skip as s:
                        skipped.append({"problem": pname, "strategy": sname,
                                        "seeds": list(config.seeds), "reason": str(s)})
                        done += len(config.seeds) - 1
                        if progress:
                            progress(f"[{done}/{total}] {pname} {sname}: skipped: {s}")
                        break
                    runs.append(record)
                    if progress:
                        progress(_progress_line(record, done, total))
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": list(command) if command is not None else None,
        "environment": environment(),
        "config": config.to_dict(),
        "problems": {n: _problem_entry(BENCH_PROBLEMS[n]) for n in config.problems},
        "runs": runs,
        "skipped": skipped,
    }
    document["report"] = analyze(runs, document["problems"])
    return document


def _problem_entry(problem: Problem) -> dict[str, Any]:
    return {"f_star": problem.f_star, "f_star_known": problem.f_star_known,
            "dims": problem.dims, "description": problem.description,
            "space": problem.space.to_dict()}


def _progress_line(record: dict[str, Any], done: int, total: int) -> str:
    head = f"[{done}/{total}] {record['problem']} {record['strategy']} seed={record['seed']}:"
    if record["status"] != "ok":
        return f"{head} FAILED after {record['n_trials']} trials: {record['error']}"
    regret = record["regret_final"]
    shown = "n/a" if regret is None else f"{regret:.4g}"
    return f"{head} regret {shown} ({record['n_trials']} trials, {record['wall_seconds']:.2f} s)"


def write_results(document: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``document`` as JSON, atomically (a crash leaves any old file intact)."""
    text = json.dumps(document, indent=1, allow_nan=False)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bench-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
