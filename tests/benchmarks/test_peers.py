"""Peers (skopt-gp, optuna-gp, botorch) and the xgboost_digits task: Skip reasons, space
translation, runs.

The runs need the ``peers``, ``torch-peers`` and ``examples`` extras (all in ``.[all]``): a
missing package skips them outside CI and fails them under CI (:func:`tests.optional.require`).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from hpo_core.benchmarks.problems import PROBLEMS
from hpo_core.benchmarks.runner import BenchConfig, run_benchmark, run_one
from hpo_core.benchmarks.strategies import STRATEGIES, Skip
from hpo_core.benchmarks.tasks import TASKS
from tests.optional import require


def _hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make importlib.util.find_spec report ``names`` as not installed."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name in names else real(name, *args, **kwargs)
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_skopt_missing_is_a_skip_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "skopt")
    with pytest.raises(Skip, match=r"^scikit-optimize is not installed \(extra 'peers': "
                                   r"pip install scikit-optimize\)$"):
        run_one(PROBLEMS["branin"], STRATEGIES["skopt-gp"], 0, 3)


@pytest.mark.parametrize("hidden", [("torch",), ("botorch",), ("torch", "botorch")])
def test_botorch_missing_is_a_skip_naming_what_is_missing(
        monkeypatch: pytest.MonkeyPatch, hidden: tuple[str, ...]) -> None:
    named = ", ".join(m for m in ("torch", "botorch")
                      if m in hidden or importlib.util.find_spec(m) is None)
    _hide(monkeypatch, *hidden)
    with pytest.raises(Skip, match=rf"^the botorch peer needs torch and botorch \({named} not "
                                   r"installed; extra 'torch-peers': "
                                   r"pip install 'hpo_core\[torch-peers\]'\)$"):
        run_one(PROBLEMS["branin"], STRATEGIES["botorch"], 0, 3)


def test_skipped_peer_is_recorded_for_every_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "torch")
    doc = run_benchmark(BenchConfig(("branin",), ("random", "botorch"), 2, (0, 1)))
    assert [r["strategy"] for r in doc["runs"]] == ["random", "random"]
    assert doc["skipped"][0]["strategy"] == "botorch" and doc["skipped"][0]["seeds"] == [0, 1]


def test_peers_are_marked_and_ours_are_not() -> None:
    assert {n for n, s in STRATEGIES.items() if s.peer} == {
        "optuna-tpe", "optuna-gp", "skopt-gp", "botorch"}


@pytest.mark.parametrize("problem", ["mixed", "discrete"])
def test_skopt_translates_mixed_spaces(problem: str) -> None:
    require("skopt")
    r = run_one(PROBLEMS[problem], STRATEGIES["skopt-gp"], 0, 4)
    assert r["status"] == "ok", r["error"]
    space = PROBLEMS[problem].space
    assert space.validate(r["best_params"]) == r["best_params"]
    assert r["peer"] is True and r["versions"]["scikit-optimize"]


def test_skopt_fits_its_gp_after_the_initial_points() -> None:
    require("skopt")
    r = run_one(PROBLEMS["branin"], STRATEGIES["skopt-gp"], 3, 11)
    assert r["status"] == "ok" and r["n_trials"] == 11
    # the 10th tell fits the GP: far slower than the median of the first nine
    assert r["tell_seconds"][9] > 10 * sorted(r["tell_seconds"][:9])[4]


def test_botorch_runs_its_loop_in_batches() -> None:
    require("torch", "botorch")
    r = run_one(PROBLEMS["branin"], STRATEGIES["botorch"], 0, 8, batch=2)
    assert (r["status"], r["n_trials"]) == ("ok", 8), r["error"]
    assert r["peer"] is True and r["versions"]["botorch"] and r["versions"]["torch"]


def test_optuna_gp_runs_past_its_startup_trials() -> None:
    require("optuna", "torch")
    r = run_one(PROBLEMS["mixed"], STRATEGIES["optuna-gp"], 0, 13)
    assert (r["status"], r["n_trials"]) == ("ok", 13), r["error"]
    assert PROBLEMS["mixed"].space.validate(r["best_params"]) == r["best_params"]
    assert r["peer"] is True and r["versions"]["optuna"] and r["versions"]["torch"]


def test_xgboost_digits_space_follows_the_example_job() -> None:
    job = json.loads((Path(__file__).parents[2] / "examples" / "xgboost_digits" / "job.json")
                     .read_text())
    ranges = job["HyperParameterTuningJobConfig"]["ParameterRanges"]
    task = TASKS["xgboost_digits"]
    expected = {r["Name"]: (float(r["MinValue"]), float(r["MaxValue"]))
                for kind in ranges.values() for r in kind}
    assert {n: (p.min_value, p.max_value) for n, p in task.space.params.items()} == expected
    assert not task.f_star_known and task.f_star == 0.0


def test_xgboost_digits_missing_is_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "xgboost")
    doc = run_benchmark(BenchConfig(("xgboost_digits",), ("random", "grid"), 2, (0,)))
    assert doc["runs"] == []
    assert [s["reason"] for s in doc["skipped"]] == [
        "xgboost_digits needs xgboost, sklearn; not installed: xgboost (extra 'examples')"] * 2
    assert doc["problems"]["xgboost_digits"]["f_star_known"] is False


def test_xgboost_digits_is_fast_deterministic_and_a_log_loss() -> None:
    require("xgboost", "sklearn")
    task = TASKS["xgboost_digits"]
    slowest = {"alpha": 0.01, "eta": 0.1, "min_child_weight": 0.0, "max_depth": 10}
    value = task(slowest)  # its speed is measured by hpo bench, not asserted here
    assert value == task(slowest) and 0.0 < value < 2.31  # below log(10): better than chance
    r = run_one(task, STRATEGIES["random"], 0, 2)
    assert r["status"] == "ok" and r["regret_final"] == r["best_value"]
