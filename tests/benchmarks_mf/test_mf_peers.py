"""Multi-fidelity peers (extra ``mf-peers``) inside the simulator: a tiny run each, the space
translation, the skip when a library is missing (a failure under CI)."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import pytest

from hpo_core.benchmarks.mf_bench import MF_STRATEGIES, make_mf_optimizer, run_mf
from hpo_core.benchmarks.multifidelity import get_mf_problem, simulate
from hpo_core.benchmarks.multifidelity.peers import MF_PEERS
from hpo_core.benchmarks.session import Skip

_MODULE = {"optuna-tpe-hyperband": "optuna", "synetune-asha": "syne_tune",
           "synetune-bohb": "syne_tune"}


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is missing under CI: the 'mf-peers' extra must install it")
        pytest.skip(f"{module} is not installed (extra 'mf-peers')")


def test_every_peer_is_a_strategy_of_hpo_bench() -> None:
    assert set(MF_PEERS) == set(_MODULE)
    assert set(MF_PEERS) <= set(MF_STRATEGIES)


@pytest.mark.parametrize("name", sorted(_MODULE))
@pytest.mark.parametrize("problem", ["branin_mf", "mlp_digits"])
def test_tiny_run_keeps_the_protocol_and_stops_trials(name: str, problem: str) -> None:
    _need(_MODULE[name])
    p = get_mf_problem(problem)
    budget = 6 * p.max_resource
    result = simulate(p, make_mf_optimizer(name), n_workers=3, budget=budget, seed=0)
    assert result.total_resource <= budget
    assert result.counts["stopped"] > 0 and len(result.final_value) > 0
    assert result.n_trials > 6  # low rungs were cut short, so more trials than full trainings
    again = simulate(p, make_mf_optimizer(name), n_workers=3, budget=budget, seed=0)
    assert again.final_best == result.final_best  # the seed decides the run


def test_a_maximized_problem_is_told_as_such() -> None:
    _need("optuna")
    opt = make_mf_optimizer("optuna-tpe-hyperband")(get_mf_problem("mlp_digits"), 0)
    assert opt._study.direction.name == "MAXIMIZE"


def test_missing_library_is_a_skip_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "syne_tune" else real(name, *args, **kwargs)
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(Skip, match=r"^syne-tune is not installed \(extra 'mf-peers'"):
        make_mf_optimizer("synetune-asha")(get_mf_problem("branin_mf"), 0)
    skipped: list[dict[str, Any]] = []
    records = run_mf(["branin_mf"], ["random", "synetune-asha"], [0, 1], 2, 2,
                     skipped=skipped)
    assert [r["strategy"] for r in records] == ["random", "random"]
    assert skipped[0]["strategy"] == "synetune-asha" and skipped[0]["seeds"] == [0, 1]


def test_syne_tune_values_outside_their_range_are_clipped() -> None:
    _need("syne_tune")
    peer = make_mf_optimizer("synetune-bohb")(get_mf_problem("mlp_digits"), 0)
    assert peer._clip("batch_size", 13) == 16 and peer._clip("momentum", 1.5) == 0.99
    assert peer._clip("n_units", 20) == 20 and peer._clip("activation", "relu") == "relu"
