"""The README's XGBoost-on-digits job, shrunk to 12 training jobs of 5 rounds (the GP suggests
the last two: the Bayesian strategy's initial design has 10 points in 4 dimensions)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hpo_core.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xgboost_digits"


@pytest.mark.slow
def test_xgboost_digits_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("xgboost")  # the `examples` extra
    doc = json.loads((EXAMPLE / "job.json").read_text())
    assert doc["HyperParameterTuningJobConfig"]["Strategy"] == "Bayesian"  # as the README says
    doc["HyperParameterTuningJobConfig"]["ResourceLimits"].update(
        MaxNumberOfTrainingJobs=12, MaxParallelTrainingJobs=3)
    doc["TrainingJobDefinition"]["StaticHyperParameters"]["num_round"] = "5"
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("runs"))
    file = folder / "job.json"
    file.write_text(json.dumps(doc))
    assert main(["tune", str(file), "--dir", str(tmp_path / "run"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "xgb-digits: Completed" in out
    best = re.search(r"best training job: xgb-digits-(\d{3})-\w+ validation:accuracy=(0\.\d+)", out)
    assert best is not None, out
    assert 1 <= int(best.group(1)) <= 12 and float(best.group(2)) > 0.5
    for name in ("alpha", "eta", "min_child_weight", "max_depth"):
        assert f"  {name} = " in out
    models = list((tmp_path / "run" / "training-jobs").glob("*/model/xgboost-model.json"))
    assert len(models) == 12
