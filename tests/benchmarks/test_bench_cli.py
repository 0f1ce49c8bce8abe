"""``hpo bench`` run in-process through ``hpo_core.cli.main`` with tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpo_core.cli import main


def test_acceptance_command_prints_table_and_writes_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    code = main(["bench", "--problems", "branin,hartmann6,mixed,discrete",
                 "--strategies", "random,grid", "--budget", "8", "--seeds", "2",
                 "--seed-start", "3", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| problem |"))
    assert "median regret" in lines[header] and "p95 ms" in lines[header]
    end = lines.index("", header)  # the summary table ends at the first blank line
    rows = [line.split("|")[1:3] for line in lines[header + 2:end]]
    assert [(p.strip(), s.strip()) for p, s in rows] == [
        ("branin", "random"), ("hartmann6", "random"), ("mixed", "random"),
        ("discrete", "random"), ("discrete", "grid")]
    for name, param in [("branin", "x1"), ("hartmann6", "x1"), ("mixed", "lr")]:
        assert (f"Skipped: grid on {name} (seeds 3-4): grid needs a finite space: "
                f"parameter '{param}' is Continuous") in captured.out
    assert "[1/16] branin random seed=3" in captured.err  # progress on stderr

    doc = json.loads(out.read_text())
    assert {"format", "version", "created", "command", "environment", "config", "runs",
            "skipped", "report"} <= set(doc)
    assert (doc["format"], doc["version"]) == ("hpo_core.bench", 2)
    assert doc["config"]["seeds"] == [3, 4] and doc["config"]["budget"] == 8
    assert doc["command"][:2] == ["hpo", "bench"]
    assert len(doc["runs"]) == 10 and len(doc["skipped"]) == 3
    for r in doc["runs"]:
        assert {"problem", "strategy", "seed", "budget", "values", "best_so_far",
                "regret_final", "ask_seconds", "tell_seconds", "wall_seconds",
                "versions"} <= set(r)
        assert len(r["values"]) == len(r["ask_seconds"]) == len(r["tell_seconds"]) == 8


def test_quiet_all_problems_and_no_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--problems", "all", "--budget", "2", "--seeds", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    for name in ("branin", "hartmann6", "ackley10", "levy10", "rosenbrock8", "mixed",
                 "discrete"):
        assert f"| {name} | random | 1 | 2 |" in captured.out
    assert "Results:" not in captured.out


def test_grid_runs_the_whole_discrete_space(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--problems", "discrete", "--strategies", "grid", "--budget", "500",
                 "--seeds", "1", "--quiet"]) == 0
    assert "| discrete | grid | 1 | 360 | 0 | 0 - 0 |" in capsys.readouterr().out


@pytest.mark.parametrize("argv, flag, received, valid", [
    (["--problems", "branin,nope"], "--problems", "'nope'", "all, branin, hartmann6"),
    (["--problems", ""], "--problems", "''", "all, branin"),
    (["--problems", "all,branin"], "--problems", "'all,branin'", "all, branin"),
    (["--strategies", "random,simplex"], "--strategies", "'simplex'", "random, grid"),
    (["--strategies", "bayes"], "--strategies", "'bayes'", "random, grid, bayesian"),
    (["--budget", "0"], "--budget", "'0'", "integer >= 1"),
    (["--budget", "ten"], "--budget", "'ten'", "integer >= 1"),
    (["--seeds", "-2"], "--seeds", "'-2'", "integer >= 1"),
    (["--seed-start", "-1"], "--seed-start", "'-1'", "integer >= 0"),
    (["--out", "/no/such/folder/r.json"], "--out", "'/no/such/folder/r.json'", "existing folder"),
])
def test_bad_flags_exit_2_naming_the_flag(argv: list[str], flag: str, received: str,
                                          valid: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"hpo bench: error: {flag}: ")
    assert received in captured.err and valid in captured.err
    assert "Traceback" not in captured.err


def test_multifidelity_problems_run_in_simulated_time(tmp_path, capsys):
    import json as _json

    from hpo_core.cli import main as _main

    out = tmp_path / "mf.json"
    code = _main(["bench", "--problems", "branin_mf", "--strategies", "hyperband,random",
                  "--seeds", "2", "--budget-factor", "5", "--workers", "4", "--quiet",
                  "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "| branin_mf | hyperband | 2 |" in text and "| branin_mf | random | 2 |" in text
    doc = _json.loads(out.read_text())
    assert doc["kind"] == "multifidelity" and len(doc["multifidelity"]) == 4
    budget = doc["multifidelity"][0]["budget"]
    assert all(r["total_resource"] <= budget for r in doc["multifidelity"])


def test_multifidelity_flags_are_validated(capsys):
    from hpo_core.cli import main as _main

    assert _main(["bench", "--problems", "branin_mf,branin", "--quiet"]) == 2
    assert "cannot be mixed" in capsys.readouterr().err
    assert _main(["bench", "--problems", "branin_mf", "--strategies", "grid"]) == 2
    assert "--strategies: unknown name 'grid'" in capsys.readouterr().err


def test_multifidelity_never_reached_is_null_in_the_file_and_inf_in_the_table() -> None:
    from hpo_core.benchmarks.mf_bench import mf_markdown

    base = {"problem": "p", "strategy": "hyperband", "final_best": 1.0, "regret": 0.5,
            "total_resource": 10, "n_trials": 3}
    records = [dict(base, seed=s, fraction_to_reach_random=f)
               for s, f in enumerate([None, None, 0.25])]
    assert "| p | hyperband | 3 | 1 | 0.5 | 10 | 3 | inf |" in mf_markdown(records)
    records[1]["fraction_to_reach_random"] = 0.5
    assert "| 0.5 |" in mf_markdown(records)


def test_multifidelity_run_without_a_final_value_is_null_in_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 4 workers, budget 1 x max_resource: Hyperband spends it all on low rungs, so no trial
    # reaches max_resource and the run has no final value (NaN), which JSON cannot hold.
    out = tmp_path / "mf.json"
    assert main(["bench", "--problems", "branin_mf", "--strategies", "hyperband,random",
                 "--seeds", "1", "--budget-factor", "1", "--workers", "4", "--quiet",
                 "--out", str(out)]) == 0
    assert "| branin_mf | hyperband | 1 | nan | nan |" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    hb = next(r for r in doc["multifidelity"] if r["strategy"] == "hyperband")
    assert (hb["final_best"], hb["regret"], hb["fraction_to_reach_random"]) == (None, None, None)
    rnd = next(r for r in doc["multifidelity"] if r["strategy"] == "random")
    assert rnd["final_best"] is not None and rnd["regret"] >= 0.0
    # the command that made the file: the multi-fidelity flags, not the unused --budget
    assert doc["command"][doc["command"].index("--workers") + 1] == "4"
    assert doc["command"][doc["command"].index("--budget-factor") + 1] == "1"
    assert "--budget" not in doc["command"] and "--batch" not in doc["command"]


def test_multifidelity_bad_out_fails_before_running(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = str(tmp_path / "missing" / "mf.json")
    assert main(["bench", "--problems", "branin_mf", "--strategies", "random", "--seeds", "1",
                 "--budget-factor", "1", "--out", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    assert captured.err.startswith("hpo bench: error: --out: expected a file path in an "
                                   f"existing folder, got {bad!r}")


def test_warmup_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.json"
    assert main(["bench", "--problems", "branin", "--budget", "3", "--seeds", "1",
                 "--warmup", "1", "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["config"]["warmup"] == 1 and len(doc["runs"]) == 1
    assert doc["command"][doc["command"].index("--warmup") + 1] == "1"
    capsys.readouterr()
    assert main(["bench", "--problems", "branin", "--warmup", "-1", "--quiet"]) == 2
    assert "--warmup: expected an integer >= 0, got '-1'" in capsys.readouterr().err
    assert main(["bench", "--problems", "branin_mf", "--strategies", "random", "--seeds", "1",
                 "--budget-factor", "1", "--warmup", "1"]) == 2
    assert "--warmup: expected 0 for multi-fidelity problems" in capsys.readouterr().err
