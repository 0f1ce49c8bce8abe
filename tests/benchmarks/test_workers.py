"""``--workers k``: k trials in flight on a simulated clock, asked whenever one frees up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpo_core.benchmarks.problems import PROBLEMS, Problem
from hpo_core.benchmarks.runner import BenchConfig, run_one
from hpo_core.benchmarks.strategies import HpoCoreSession, StrategySpec
from hpo_core.benchmarks.workers import durations, wallclock_table
from hpo_core.cli import main
from hpo_core.errors import HPOError


class _Counting(HpoCoreSession):
    """Random search that records how many trials were pending at each ask."""

    def __init__(self, problem: Problem, seed: int) -> None:
        super().__init__(problem, seed, "random")
        self.in_flight: list[int] = []
        self._pending = 0

    def ask(self) -> tuple[Any, dict[str, Any]]:
        self.in_flight.append(self._pending)
        self._pending += 1
        return super().ask()

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        self._pending -= 1
        super().tell(token, value, reason)


def _spec(sessions: list[_Counting]) -> StrategySpec:
    def make(problem: Problem, seed: int) -> _Counting:
        sessions.append(_Counting(problem, seed))
        return sessions[-1]
    return StrategySpec("counting", make, ("hpo_core",), "test")


def test_k_in_flight_and_completions_in_finish_order() -> None:
    sessions: list[_Counting] = []
    r = run_one(PROBLEMS["branin"], _spec(sessions), 3, 12, workers=4)
    assert (r["status"], r["n_trials"], r["workers"]) == ("ok", 12, 4)
    # 4 asks at the start, then one ask per completion with the other 3 pending.
    assert sessions[0].in_flight == [0, 1, 2, 3] + [3] * 8
    times = r["finish_times"]
    assert times == sorted(times) and len(times) == 12 == len(r["ask_seconds"])
    d = durations(3, 12)
    assert np.isclose(times[0], d[:4].min())  # the first to finish is the shortest of 4


def test_durations_are_seeded_and_one_worker_is_the_sequential_clock() -> None:
    assert np.array_equal(durations(5, 20), durations(5, 20))
    assert not np.array_equal(durations(5, 20), durations(6, 20))
    r = run_one(PROBLEMS["branin"], _spec([]), 5, 6, workers=1)
    assert np.allclose(r["finish_times"], np.cumsum(durations(5, 6)))


def test_wallclock_table_medians_best_so_far() -> None:
    runs = [{"problem": "p", "strategy": "s", "workers": 2, "f_star": 0.0,
             "values": [3.0, 1.0, 2.0], "finish_times": [1.0, 2.0, 3.0]},
            {"problem": "p", "strategy": "s", "workers": 2, "f_star": 0.0,
             "values": [5.0, None, 4.0], "finish_times": [0.5, 1.5, 2.5]}]
    (row,) = wallclock_table(runs, [0.7, 1.0, 2.6])
    assert row["median_regret"] == [None, 4.0, 2.5]


def test_workers_and_batch_do_not_combine() -> None:
    with pytest.raises(HPOError, match="workers"):
        BenchConfig(("branin",), ("random",), 10, (0,), batch=4, workers=4)


def test_cli_workers_run_records_and_prints_wallclock(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.json"
    assert main(["bench", "--problems", "branin", "--strategies", "random", "--budget", "8",
                 "--seeds", "2", "--workers", "3", "--quiet", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 workers" in text and "simulated wall-clock" in text
    doc = json.loads(out.read_text())
    assert doc["config"]["workers"] == 3 and "--workers" in doc["command"]
    assert [(r["workers"], r["n_trials"]) for r in doc["runs"]] == [(3, 8), (3, 8)]
    assert main(["bench", "--problems", "branin", "--workers", "2", "--batch", "2"]) == 2
