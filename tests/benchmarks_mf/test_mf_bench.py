"""The multi-fidelity bench tables: mean ranks of the final regret, joining result files."""

from __future__ import annotations

import pytest

from hpo_core.benchmarks.mf_bench import mean_ranks, merge_records, mf_markdown
from hpo_core.errors import HPOError


def _rec(strategy: str, seed: int, regret: float | None, problem: str = "p") -> dict:
    return {"problem": problem, "strategy": strategy, "seed": seed, "regret": regret,
            "final_best": regret, "total_resource": 10, "n_trials": 3, "n_workers": 8,
            "budget": 100}


def test_mean_ranks_share_ties_and_put_runs_without_a_final_value_last() -> None:
    records = [_rec("a", 0, 0.1), _rec("b", 0, 0.1), _rec("c", 0, None),
               _rec("a", 1, 0.5), _rec("b", 1, 0.2), _rec("c", 1, 0.3)]
    ranks = mean_ranks(records)
    assert ranks["a"] == {"p": 2.25, "all": 2.25}  # (1.5 + 3) / 2
    assert ranks["b"]["all"] == 1.25 and ranks["c"]["all"] == 2.5
    table = mf_markdown(records)
    assert "| b | 1.25 | 1.25 |" in table and table.index("| b |") < table.index("| c | 2.50")


def test_merge_keeps_one_copy_of_a_repeated_run_and_refuses_conflicts() -> None:
    one = {"kind": "multifidelity", "multifidelity": [_rec("random", 0, 1.0),
                                                      _rec("ours", 0, 0.5)]}
    two = {"kind": "multifidelity", "multifidelity": [_rec("random", 0, 1.0),
                                                      _rec("peer", 0, 0.7)]}
    assert [r["strategy"] for r in merge_records([one, two])] == ["random", "ours", "peer"]
    bad = {"kind": "multifidelity", "multifidelity": [_rec("random", 0, 2.0)]}
    with pytest.raises(HPOError, match=r"differs from an earlier input"):
        merge_records([one, bad])
    other = dict(_rec("x", 0, 1.0), n_workers=4)
    with pytest.raises(HPOError, match=r"\(workers, budget\)"):
        merge_records([one, {"kind": "multifidelity", "multifidelity": [other]}])
    with pytest.raises(HPOError, match="expected a multi-fidelity"):
        merge_records([{"kind": None}])
