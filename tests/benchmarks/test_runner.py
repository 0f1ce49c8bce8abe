"""The benchmark runner and the summary: records are complete, consistent and reproducible."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from typing import Any

import pytest

from hpo_core.benchmarks.problems import PROBLEMS, Problem
from hpo_core.benchmarks.runner import (
    FORMAT,
    FORMAT_VERSION,
    WARMUP_SEED,
    BenchConfig,
    run_benchmark,
    run_one,
    write_results,
)
from hpo_core.benchmarks.strategies import (
    STRATEGIES,
    HpoCoreSession,
    Skip,
    StrategySpec,
    register,
)
from hpo_core.benchmarks.summary import markdown_table, summarize
from hpo_core.errors import HPOError

RUN_KEYS = {"problem", "strategy", "peer", "seed", "budget", "batch", "workers", "finish_times",
            "status", "error", "stopped",
            "n_trials", "values", "best_so_far", "best_value", "best_params", "f_star",
            "regret_final", "ask_seconds", "tell_seconds", "setup_seconds", "wall_seconds",
            "versions"}


def test_run_record_is_consistent() -> None:
    problem = PROBLEMS["branin"]
    r = run_one(problem, STRATEGIES["random"], seed=3, budget=20)
    assert set(r) == RUN_KEYS
    assert (r["status"], r["error"], r["stopped"], r["n_trials"]) == ("ok", None, None, 20)
    assert len(r["values"]) == len(r["best_so_far"]) == len(r["ask_seconds"]) == 20
    assert len(r["tell_seconds"]) == 20
    assert r["best_so_far"] == [min(r["values"][: i + 1]) for i in range(20)]
    assert r["best_value"] == min(r["values"]) == problem(r["best_params"])
    assert r["regret_final"] == r["best_value"] - problem.f_star >= 0
    assert all(s >= 0 for s in r["ask_seconds"] + r["tell_seconds"])
    assert r["wall_seconds"] >= sum(r["ask_seconds"]) + sum(r["tell_seconds"])
    assert r["versions"]["hpo_core"] and r["versions"]["numpy"]


def test_same_seed_same_values_other_seed_other_values() -> None:
    spec, problem = STRATEGIES["random"], PROBLEMS["mixed"]
    a, b = (run_one(problem, spec, 7, 15)["values"] for _ in range(2))
    assert a == b
    assert run_one(problem, spec, 8, 15)["values"] != a


def test_grid_on_a_continuous_problem_is_skipped_with_the_reason() -> None:
    with pytest.raises(Skip, match="grid needs a finite space: parameter 'x1' is Continuous"):
        run_one(PROBLEMS["branin"], STRATEGIES["grid"], 0, 10)


def test_grid_with_a_budget_above_its_size_runs_the_whole_grid() -> None:
    problem = PROBLEMS["discrete"]
    r = run_one(problem, STRATEGIES["grid"], 0, 1000)
    assert r["status"] == "ok" and r["n_trials"] == 360
    assert "exhausted" in r["stopped"] and "360" in r["stopped"]
    assert r["regret_final"] == 0.0
    assert r["values"] == [problem(p) for p in problem.space.grid()]


def _failing_objective(params: dict[str, Any]) -> float:
    if params["units"] % 2:
        raise RuntimeError("odd units")
    return math.nan if params["units"] == 2 else float(params["units"])


def test_failed_evaluations_are_null_values_and_the_run_continues() -> None:
    base = PROBLEMS["discrete"]
    problem = Problem("flaky", base.space, _failing_objective, 4.0, {})
    r = run_one(problem, STRATEGIES["grid"], 0, 200)
    assert r["status"] == "ok" and r["n_trials"] == 200
    assert None in r["values"] and r["best_value"] == 4.0
    assert r["best_so_far"][0] is None  # units = 1 raises first


class _Broken:
    capacity = None

    def __init__(self, problem: Problem, seed: int) -> None:
        self._inner = HpoCoreSession(problem, seed, "random")
        self._n = 0

    def ask(self) -> tuple[Any, dict[str, Any]]:
        self._n += 1
        if self._n > 3:
            raise RuntimeError("optimizer crashed")
        return self._inner.ask()

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        self._inner.tell(token, value, reason)


def test_a_strategy_that_raises_fails_its_run_only() -> None:
    spec = StrategySpec("broken", _Broken, ("hpo_core",), "test")
    r = run_one(PROBLEMS["branin"], spec, 0, 10)
    assert r["status"] == "failed" and r["error"] == "RuntimeError: optimizer crashed"
    assert r["n_trials"] == 3 and r["regret_final"] is not None


def test_benchmark_document_and_summary(tmp_path: Any) -> None:
    config = BenchConfig(("branin", "discrete"), ("random", "grid"), 12, (0, 1, 2))
    lines: list[str] = []
    doc = run_benchmark(config, command=["hpo", "bench"], progress=lines.append)
    assert (doc["format"], doc["version"]) == (FORMAT, FORMAT_VERSION)
    assert set(doc) == {"format", "version", "created", "command", "environment", "config",
                        "problems", "runs", "skipped", "report"}
    assert doc["config"] == {"problems": ["branin", "discrete"], "strategies": ["random", "grid"],
                             "budget": 12, "seeds": [0, 1, 2], "batch": 1, "workers": 0,
                             "warmup": 0}
    assert {"python", "platform", "cpu_count", "libraries"} <= set(doc["environment"])
    assert [(r["problem"], r["strategy"], r["seed"]) for r in doc["runs"]] == [
        (p, s, k) for p, s in [("branin", "random"), ("discrete", "random"), ("discrete", "grid")]
        for k in (0, 1, 2)]
    assert doc["skipped"] == [{"problem": "branin", "strategy": "grid", "seeds": [0, 1, 2],
                               "reason": "grid needs a finite space: parameter 'x1' is "
                                         "Continuous"}]
    assert len(lines) == 10 and "skipped" in lines[3]
    path = tmp_path / "r.json"
    write_results(doc, path)
    assert json.loads(path.read_text()) == doc

    rows = summarize(doc["runs"])
    assert [(r.problem, r.strategy, r.runs, r.failed) for r in rows] == [
        ("branin", "random", 3, 0), ("discrete", "random", 3, 0), ("discrete", "grid", 3, 0)]
    table = markdown_table(rows, doc["skipped"])
    assert table.splitlines()[0].startswith("| problem | strategy | runs |")
    assert "Skipped: grid on branin (seeds 0-2): grid needs a finite space" in table


def _record(regret: float | None, asks: list[float], tells: list[float],
            status: str = "ok") -> dict[str, Any]:
    return {"problem": "p", "strategy": "s", "status": status, "regret_final": regret,
            "values": [0.0] * len(asks), "ask_seconds": asks, "tell_seconds": tells}


def test_summary_statistics_by_hand() -> None:
    records = [_record(r, [0.001, 0.003], [0.0, 0.001]) for r in (1.0, 2.0, 3.0, 4.0)]
    records.append(_record(None, [], [], status="failed"))
    (row,) = summarize(records)
    assert (row.runs, row.failed, row.trials_median) == (5, 1, 2.0)
    assert (row.regret_q25, row.regret_median, row.regret_q75) == (1.75, 2.5, 3.25)
    # per-trial ask + tell: 1 ms and 4 ms, four of each
    assert row.overhead_p50_ms == pytest.approx(2.5)
    assert row.overhead_mean_ms == pytest.approx(2.5)
    assert row.overhead_p95_ms == pytest.approx(4.0)
    assert "| p | s | 5 (1 failed) | 2 | 2.5 | 1.75 - 3.25 |" in markdown_table([row])


def test_summary_of_nothing() -> None:
    assert summarize([]) == []
    assert "(no runs)" in markdown_table([])


@pytest.mark.parametrize("kwargs, match", [
    ({"problems": ("nope",)}, "problem: unknown 'nope'"),
    ({"strategies": ("bayes",)}, "strategy: unknown 'bayes'"),
    ({"budget": 0}, "budget: expected an int >= 1"),
    ({"seeds": ()}, "seeds: expected one or more"),
    ({"batch": 0}, "batch: expected an int >= 1, got 0"),
    ({"batch": True}, "batch: expected an int >= 1, got True"),
    ({"warmup": -1}, "warmup: expected an int >= 0, got -1"),
    ({"warmup": 1, "seeds": (999_999, 1_000_000)}, "warmup: the warm-up runs take seeds"),
])
def test_config_validation(kwargs: dict[str, Any], match: str) -> None:
    args = {"problems": ("branin",), "strategies": ("random",), "budget": 5, "seeds": (0,),
            **kwargs}
    with pytest.raises(HPOError, match=match):
        BenchConfig(**args)


_LATE_POOL = """
import json
from threadpoolctl import threadpool_info
from hpo_core.benchmarks.problems import PROBLEMS
from hpo_core.benchmarks.runner import BenchConfig, run_benchmark
from hpo_core.benchmarks import strategies

def pools():
    return {i["filepath"]: i["num_threads"] for i in threadpool_info()}

seen = []
class Late(strategies.HpoCoreSession):
    def ask(self):
        seen.append(pools())
        return super().ask()

def make(problem, seed):
    import scipy.linalg  # noqa: F401  (loads SciPy's own OpenBLAS, as a peer does)
    return Late(problem, seed, "random")

strategies.register(strategies.StrategySpec("late", make, ("hpo_core",), "test"))
before = pools()
run_benchmark(BenchConfig(("branin",), ("late",), 3, (0,)))
print(json.dumps({"before": before, "seen": seen}))
"""


def test_pools_a_strategy_loads_lazily_run_on_one_thread() -> None:
    # threadpoolctl only limits the libraries loaded when it is called; peers load theirs
    # (SciPy's OpenBLAS, scikit-learn's OpenMP) in make(). A fresh process that asks for two
    # threads through the environment, as a user's shell may.
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", _LATE_POOL], env=env, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["seen"]) == 3
    assert set(result["seen"][0]) > set(result["before"]), "make() loaded no new pool"
    assert all(n == 1 for asked in result["seen"] for n in asked.values()), result["seen"]


def test_warmup_runs_first_and_is_not_recorded() -> None:
    """--warmup N: N untimed runs per (problem, strategy) before its first seed, with seeds
    of their own, left out of the document."""
    seen: list[int] = []

    def make(problem: Any, seed: int) -> Any:
        seen.append(seed)
        return HpoCoreSession(problem, seed, "random")

    register(StrategySpec("counted", make, ("hpo_core",), "test"))
    try:
        doc = run_benchmark(BenchConfig(("branin",), ("counted",), 4, (3, 4), warmup=2))
    finally:
        del STRATEGIES["counted"]
    assert seen == [WARMUP_SEED, WARMUP_SEED + 1, 3, 4]
    assert [r["seed"] for r in doc["runs"]] == [3, 4] and doc["config"]["warmup"] == 2
