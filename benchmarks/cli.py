"""``hpo bench``: run benchmark problems x strategies x seeds, print a summary, write JSON.

    hpo bench --problems branin,hartmann6 --strategies random --budget 50 --seeds 5 \\
        --out results.json

``--seeds 5`` runs seeds ``seed_start .. seed_start + 4``; ``--batch 4`` asks 4 points per round
(all evaluated, then all told; the budget still counts trials); ``--workers k`` on
single-fidelity problems keeps k trials in flight on a simulated clock, asking the strategy
whenever a worker frees up with the others pending (:mod:`hpo_core.benchmarks.workers`), and
adds median regret by simulated wall-clock to the report. The Markdown summary, then the
report (Mann-Whitney tests against random search and the best peer, ranks, mean rank, a quarter
of the trials against random search, overhead by trial index n) go to stdout;
progress lines (one per run) go to stderr unless ``--quiet``. Exit codes: 0 every run finished,
1 some run failed (recorded in the JSON with its error), 2 bad flags (a message naming the flag,
the value received and the valid choices).

Threads: runs execute under ``threadpoolctl.threadpool_limits(1)``; this command, being the
process's entry point, also asks OpenMP/BLAS/numba and XLA for one thread through environment
variables that are not already set (XLA and numba only when not yet imported).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from hpo_core.benchmarks.analysis import report_markdown
from hpo_core.benchmarks.mf_bench import MF_PROBLEMS, MF_STRATEGIES, mf_markdown, run_mf
from hpo_core.benchmarks.runner import BENCH_PROBLEMS, BenchConfig, run_benchmark, write_results
from hpo_core.benchmarks.strategies import STRATEGIES
from hpo_core.benchmarks.summary import markdown_table, summarize
from hpo_core.benchmarks.workers import default_points, wallclock_markdown, wallclock_table
from hpo_core.errors import HPOError
from hpo_core.strategies import PLANNED
from hpo_core.strategies.threads import XLA_ONE_THREAD

__all__ = ["add_parser", "config_from_args", "run"]

#: XLA's CPU thread flag (``intra_op_parallelism_threads=1``, often quoted with it, is a
#: TensorFlow option that XLA ignores when it has no leading dashes and rejects with them).
_XLA_FLAGS = (f"{XLA_ONE_THREAD}=false",)


def add_parser(sub: Any) -> None:
    """Register ``bench`` on the ``hpo`` subparsers."""
    p = sub.add_parser(
        "bench", help="benchmark strategies on problems with known optima",
        description="Run problems x strategies x seeds with a budget; print median final regret "
                    "(IQR), one-sided Mann-Whitney tests against random search and the best "
                    "peer, ranks, and per-trial optimizer overhead against n as Markdown "
                    "tables; --out writes everything, regret curves included, as JSON.")
    p.add_argument("--problems", default="all", metavar="LIST",
                   help=f"comma-separated, or 'all' (default, single-fidelity ones): "
                        f"{', '.join(BENCH_PROBLEMS)}; multi-fidelity: {', '.join(MF_PROBLEMS)}")
    p.add_argument("--strategies", default="random", metavar="LIST",
                   help=f"comma-separated (default random): {', '.join(STRATEGIES)}; on "
                        f"multi-fidelity problems: {', '.join(MF_STRATEGIES)}")
    p.add_argument("--workers", default=None, metavar="N",
                   help="simulated parallel workers: k trials in flight, the strategy asked "
                        "whenever one frees up (multi-fidelity problems: default 8; "
                        "single-fidelity: default off, rounds of --batch)")
    p.add_argument("--budget-factor", default="40", metavar="F",
                   help="multi-fidelity problems: budget = F x max_resource steps (default 40)")
    p.add_argument("--budget", default="50", metavar="N", help="trials per run (default 50)")
    p.add_argument("--batch", default="1", metavar="Q",
                   help="points asked per round before any is told (default 1: sequential)")
    p.add_argument("--seeds", default="5", metavar="N", help="runs per pair (default 5)")
    p.add_argument("--seed-start", default="0", metavar="S", help="first seed (default 0)")
    p.add_argument("--warmup", default="0", metavar="N",
                   help="untimed runs per problem and strategy before the seeds, not recorded "
                        "(default 0); 1 measures overhead with warm caches")
    p.add_argument("--out", default=None, metavar="PATH", help="write the results JSON here")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(run=run)


def _names(flag: str, raw: str, valid: dict[str, Any], allow_all: bool) -> tuple[str, ...]:
    choices = (["all"] if allow_all else []) + list(valid)
    items = [s.strip() for s in raw.split(",")]
    if not raw.strip() or any(not s for s in items):
        raise HPOError(f"{flag}: expected a comma-separated list of names, got {raw!r}; "
                       f"valid choices: {', '.join(choices)}")
    if allow_all and "all" in items:
        if items != ["all"]:
            raise HPOError(f"{flag}: 'all' cannot be combined with other names, got {raw!r}; "
                           f"valid choices: {', '.join(choices)}")
        return tuple(valid)
    out: list[str] = []
    for name in items:
        if name not in valid:
            planned = f" ({PLANNED[name]} is not available yet)" if name in PLANNED else ""
            raise HPOError(f"{flag}: unknown name {name!r}{planned}; "
                           f"valid choices: {', '.join(choices)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def _int(flag: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise HPOError(f"{flag}: expected an integer >= {minimum}, got {raw!r}")
    return value


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Validate the flags into a :class:`BenchConfig`.

    Raises:
        HPOError: a bad flag; the message names it, the value and the valid choices.
    """
    problems = _names("--problems", args.problems, BENCH_PROBLEMS, allow_all=True)
    strategies = _names("--strategies", args.strategies, STRATEGIES, allow_all=False)
    budget = _int("--budget", args.budget, 1)
    batch = _int("--batch", args.batch, 1)
    workers = 0 if args.workers is None else _int("--workers", args.workers, 1)
    if workers and batch > 1:
        raise HPOError(f"--workers: {workers} asynchronous workers cannot be combined with "
                       f"--batch {batch}; expected one of them")
    seeds = _seeds(args)
    warmup = _int("--warmup", args.warmup, 0)
    _check_out(args.out)
    return BenchConfig(problems, strategies, budget, seeds, batch, workers, warmup)


def _seeds(args: argparse.Namespace) -> tuple[int, ...]:
    """``--seeds`` seeds from ``--seed-start``."""
    n_seeds = _int("--seeds", args.seeds, 1)
    start = _int("--seed-start", args.seed_start, 0)
    return tuple(range(start, start + n_seeds))


def _check_out(out: str | None) -> None:
    if out is not None:
        folder = os.path.dirname(os.path.abspath(out))
        if os.path.isdir(out) or not os.path.isdir(folder):
            raise HPOError(f"--out: expected a file path in an existing folder, got {out!r}")


def _command(args: argparse.Namespace, multifidelity: bool = False) -> list[str]:
    workers = args.workers if args.workers is not None else "8"
    sizes = (["--workers", workers, "--budget-factor", args.budget_factor] if multifidelity
             else ["--budget", args.budget, "--batch", args.batch]
             + ([] if args.workers is None else ["--workers", args.workers]))
    cmd = ["hpo", "bench", "--problems", args.problems, "--strategies", args.strategies,
           *sizes, "--seeds", args.seeds, "--seed-start", args.seed_start]
    if not multifidelity and _int("--warmup", args.warmup, 0):
        cmd += ["--warmup", args.warmup]
    if args.out is not None:
        cmd += ["--out", args.out]
    return cmd + (["--quiet"] if args.quiet else [])


def _pin_threads_env() -> None:
    """Ask native thread pools for one thread (only variables the user has not set)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    if "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        missing = [f for f in _XLA_FLAGS if f.split("=")[0].lstrip("-") not in flags]
        if missing:
            os.environ["XLA_FLAGS"] = " ".join([flags, *missing]).strip()


def run(args: argparse.Namespace) -> int:
    """Run ``hpo bench``; returns the exit code (1 when some run failed)."""
    _pin_threads_env()

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    named = _names("--problems", args.problems, {**BENCH_PROBLEMS, **MF_PROBLEMS}, allow_all=True)
    if args.problems.strip() != "all" and any(p in MF_PROBLEMS for p in named):
        return _run_multifidelity(args, named, None if args.quiet else progress)
    config = config_from_args(args)

    document = run_benchmark(config, command=_command(args),
                             progress=None if args.quiet else progress)
    if args.out is not None:
        write_results(document, args.out)
    seeds = config.seeds
    batch = f", batch {config.batch}" if config.batch > 1 else ""
    batch += f", {config.workers} workers" if config.workers else ""
    print(f"hpo bench: budget {config.budget}{batch}, seeds {seeds[0]}-{seeds[-1]} "
          f"({len(seeds)} per pair), {len(document['runs'])} runs\n")
    print(markdown_table(summarize(document["runs"]), document["skipped"]), end="")
    report = report_markdown(document["report"])
    if report:
        print("\n" + report, end="")
    if config.workers:
        runs = document["runs"]
        print("\n" + wallclock_markdown(wallclock_table(runs, default_points(runs))), end="")
    if args.out is not None:
        print(f"\nResults: {args.out}")
    failed = [r for r in document["runs"] if r["status"] != "ok"]
    for r in failed:
        print(f"hpo bench: run failed: {r['problem']} {r['strategy']} seed={r['seed']}: "
              f"{r['error']}", file=sys.stderr)
    return 1 if failed else 0


def _run_multifidelity(args: argparse.Namespace, named: tuple[str, ...], progress: Any) -> int:
    """Multi-fidelity problems run in simulated time (see :mod:`hpo_core.benchmarks.mf_bench`)."""
    problems = [p for p in named if p in MF_PROBLEMS]
    other = [p for p in named if p not in MF_PROBLEMS]
    if other:
        raise HPOError(f"--problems: multi-fidelity problems ({', '.join(problems)}) cannot be "
                       f"mixed with single-fidelity ones ({', '.join(other)}); run them apart")
    strategies = _names("--strategies", args.strategies, MF_STRATEGIES, allow_all=False)
    workers = 8 if args.workers is None else _int("--workers", args.workers, 1)
    budget_factor = _int("--budget-factor", args.budget_factor, 1)
    seeds = _seeds(args)
    if _int("--warmup", args.warmup, 0):
        raise HPOError(f"--warmup: expected 0 for multi-fidelity problems (their runs take "
                       f"simulated time, no overhead is measured), got {args.warmup!r}")
    _check_out(args.out)
    skipped: list[dict[str, Any]] = []
    records = run_mf(problems, strategies, seeds, workers, budget_factor, progress, skipped)
    print(f"hpo bench (multi-fidelity, simulated time): {workers} workers, budget "
          f"{budget_factor} x max_resource, seeds {seeds[0]}-{seeds[-1]}\n")
    print(mf_markdown(records), end="")
    for s in skipped:
        print(f"skipped: {s['problem']} {s['strategy']}: {s['reason']}")
    if args.out is not None:
        import datetime

        document = {"format": "hpo_core.bench", "version": 1, "kind": "multifidelity",
                    "created": datetime.datetime.now(datetime.UTC).isoformat(),
                    "command": _command(args, multifidelity=True), "runs": [], "skipped": skipped,
                    "multifidelity": records}
        write_results(document, args.out)
        print(f"\nResults: {args.out}")
    return 0
