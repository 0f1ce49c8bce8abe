"""hpo_core.training: the training side of the container contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpo_core import training


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps({
        "eta": "0.3", "max_depth": "5", "flag": "true", "name": "gbtree", "layers": "[1, 2]",
        "big": "1e3", "_tuning_objective_metric": "validation:accuracy"}))
    monkeypatch.setenv("SM_INPUT_CONFIG_DIR", str(config))
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(tmp_path / "input" / "data" / "train"))
    monkeypatch.delenv("SM_MODEL_DIR", raising=False)
    return tmp_path


def test_hyperparameters_are_typed(root: Path) -> None:
    assert training.hyperparameters() == {"eta": 0.3, "max_depth": 5, "flag": True,
                                          "name": "gbtree", "layers": [1, 2], "big": 1000.0}
    assert training.hyperparameters(strings=True)["max_depth"] == "5"
    assert training.objective_metric() == "validation:accuracy"


def test_paths(root: Path) -> None:
    assert training.root() == root
    assert training.channel("train") == root / "input" / "data" / "train"
    assert training.channel("validation") == root / "input" / "data" / "validation"
    assert training.save_dir() == root / "model"


def test_fail_writes_the_reason(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        training.fail("ValueError: eta too big")
    assert info.value.code == 1
    assert (root / "output" / "failure").read_text() == "ValueError: eta too big"
    assert "eta too big" in capsys.readouterr().err
