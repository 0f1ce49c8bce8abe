"""python -m hpo_core.benchmarks.merge: the union of result files, with a fresh report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpo_core.benchmarks.merge import main
from hpo_core.benchmarks.runner import BenchConfig, run_benchmark, write_results


def _doc(tmp_path: Path, name: str, problems: tuple[str, ...], strategies: tuple[str, ...],
         budget: int, seeds: tuple[int, ...], warmup: int = 0) -> str:
    path = tmp_path / name
    write_results(run_benchmark(BenchConfig(problems, strategies, budget, seeds,
                                            warmup=warmup)), path)
    return str(path)


def test_merges_strategies_and_budgets_and_reports_the_union(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _doc(tmp_path, "a.json", ("branin",), ("random",), 6, (0, 1, 2))
    b = _doc(tmp_path, "b.json", ("branin",), ("grid",), 6, (0,))
    c = _doc(tmp_path, "c.json", ("discrete",), ("random",), 4, (0, 1))
    out = tmp_path / "all.json"
    assert main(["-o", str(out), a, b, c]) == 0
    text = capsys.readouterr().out
    assert "| branin | random | 3 | 6 |" in text and "| discrete | random | 2 | 4 |" in text
    assert "Skipped: grid on branin" in text
    doc = json.loads(out.read_text())
    assert len(doc["runs"]) == 5 and doc["config"]["budget"] == {"branin": 6, "discrete": 4}
    assert [m["file"] for m in doc["merged_from"]] == [a, b, c]
    assert set(doc["report"]["problems"]) == {"branin", "discrete"}
    # the same statistics as one run holding every record
    one = run_benchmark(BenchConfig(("branin",), ("random",), 6, (0, 1, 2)))
    assert doc["report"]["problems"]["branin"]["strategies"]["random"]["regret_median"] == \
        one["report"]["problems"]["branin"]["strategies"]["random"]["regret_median"]


def test_refuses_overlaps_and_conflicts(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    a = _doc(tmp_path, "a.json", ("branin",), ("random",), 5, (0, 1))
    b = _doc(tmp_path, "b.json", ("branin",), ("random",), 5, (1, 2))
    c = _doc(tmp_path, "c.json", ("branin",), ("random",), 7, (3,))
    assert main([a, b]) == 2
    assert "run ('branin', 'random', 1) is also in" in capsys.readouterr().err
    assert main([a, c]) == 2
    assert "problem 'branin' ran with budget 7, expected 5" in capsys.readouterr().err
    warm = _doc(tmp_path, "warm.json", ("branin",), ("random",), 5, (4,), warmup=1)
    assert main([a, warm]) == 2  # timings with and without a warm-up do not mix
    assert "config.warmup is 1, expected 0" in capsys.readouterr().err
    out = tmp_path / "w.json"
    assert main(["-o", str(out), warm]) == 0 and json.loads(out.read_text())["config"][
        "warmup"] == 1
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}))
    assert main([a, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json: expected format 'hpo_core.bench', got 'something else'" in err
