"""``--batch q``: q asks per round before any tell; budget counted in trials."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from hpo_core.benchmarks.problems import PROBLEMS, Problem
from hpo_core.benchmarks.runner import run_one
from hpo_core.benchmarks.strategies import STRATEGIES, HpoCoreSession, StrategySpec
from hpo_core.cli import main


class _Spy:
    """An hpo_core random session that logs the calls the runner makes."""

    capacity = None
    log: list[tuple[str, int]]

    def __init__(self, problem: Problem, seed: int, batch_methods: bool) -> None:
        self._inner = HpoCoreSession(problem, seed, "random")
        self.log = []
        self.pending = 0
        if batch_methods:
            self.ask_batch = self._ask_batch
            self.tell_batch = self._tell_batch

    def ask(self) -> tuple[Any, dict[str, Any]]:
        self.log.append(("ask", 1))
        self.pending += 1
        return self._inner.ask()

    def _ask_batch(self, q: int) -> list[tuple[Any, dict[str, Any]]]:
        self.log.append(("ask_batch", q))
        self.pending += q
        return self._inner.ask_batch(q)

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        self.log.append(("tell", 1))
        self.pending -= 1
        self._inner.tell(token, value, reason)

    def _tell_batch(self, results: list[tuple[Any, float | None, str | None]]) -> None:
        self.log.append(("tell_batch", len(results)))
        self.pending -= len(results)
        for r in results:
            self._inner.tell(*r)


def _spy_spec(sessions: list[_Spy], batch_methods: bool) -> StrategySpec:
    def make(problem: Problem, seed: int) -> _Spy:
        sessions.append(_Spy(problem, seed, batch_methods))
        return sessions[-1]
    return StrategySpec("spy", make, ("hpo_core",), "test")


def test_rounds_of_q_asks_then_q_tells_budget_in_trials() -> None:
    sessions: list[_Spy] = []
    r = run_one(PROBLEMS["branin"], _spy_spec(sessions, True), 0, 10, batch=4)
    assert (r["status"], r["n_trials"], r["batch"]) == ("ok", 10, 4)
    assert sessions[0].log == [("ask_batch", 4), ("tell_batch", 4), ("ask_batch", 4),
                               ("tell_batch", 4), ("ask_batch", 2), ("tell_batch", 2)]
    assert sessions[0].pending == 0
    # each trial of a round gets the same share of the round's ask and tell time
    asks, tells = r["ask_seconds"], r["tell_seconds"]
    for lo, hi in [(0, 4), (4, 8), (8, 10)]:
        assert len(set(asks[lo:hi])) == 1 and len(set(tells[lo:hi])) == 1
    assert len(asks) == len(tells) == len(r["values"]) == 10


def test_sessions_without_batch_methods_get_q_asks_before_the_tells() -> None:
    sessions: list[_Spy] = []
    r = run_one(PROBLEMS["branin"], _spy_spec(sessions, False), 0, 6, batch=4)
    assert r["n_trials"] == 6
    assert sessions[0].log == [("ask", 1)] * 4 + [("tell", 1)] * 4 + [("ask", 1)] * 2 + [
        ("tell", 1)] * 2


@pytest.mark.parametrize("name", ["random", "bayesian", "optuna-tpe", "skopt-gp"])
def test_q4_runs_respect_the_budget(name: str) -> None:
    if name == "optuna-tpe" and importlib.util.find_spec("optuna") is None:
        pytest.skip("optuna not installed")
    if name == "skopt-gp" and importlib.util.find_spec("skopt") is None:
        pytest.skip("scikit-optimize not installed")
    budget = 8 if name == "skopt-gp" else 10  # skopt: its 10 random initial points only
    r = run_one(PROBLEMS["branin"], STRATEGIES[name], 1, budget, batch=4)
    assert (r["status"], r["error"], r["n_trials"], r["batch"]) == ("ok", None, budget, 4)
    assert None not in r["values"] and r["regret_final"] >= 0
    assert len(r["ask_seconds"]) == len(r["tell_seconds"]) == budget


def test_hpo_core_batches_are_distinct_points() -> None:
    session = STRATEGIES["random"].make(PROBLEMS["discrete"], 0)
    batch = session.ask_batch(4)  # type: ignore[attr-defined]
    assert len({tuple(sorted(p.items())) for _, p in batch}) == 4


def test_cli_batch_run_records_the_batch(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.json"
    assert main(["bench", "--problems", "branin", "--strategies", "random", "--budget", "6",
                 "--seeds", "2", "--batch", "4", "--quiet", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("hpo bench: budget 6, batch 4, seeds 0-1")
    doc = json.loads(out.read_text())
    assert doc["config"]["batch"] == 4 and "--batch" in doc["command"]
    assert [(r["batch"], r["n_trials"]) for r in doc["runs"]] == [(4, 6), (4, 6)]


@pytest.mark.parametrize("raw", ["0", "-3", "two", "", "1.5"])
def test_bad_batch_exits_2_naming_value_and_expectation(
        raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--problems", "branin", "--batch", raw]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("hpo bench: error: --batch: ")
    assert f"got {raw!r}" in captured.err and "integer >= 1" in captured.err
    assert "Traceback" not in captured.err


class _Short(_Spy):
    def _ask_batch(self, q: int) -> list[tuple[Any, dict[str, Any]]]:
        return super()._ask_batch(q)[:1]


def test_a_batch_of_the_wrong_size_fails_the_run() -> None:
    spec = StrategySpec("short", lambda p, s: _Short(p, s, True), ("hpo_core",), "test")
    r = run_one(PROBLEMS["branin"], spec, 0, 8, batch=4)
    assert (r["status"], r["n_trials"]) == ("failed", 0)
    assert r["error"] == "RuntimeError: asked for 4 points, got 1"
