"""Warm start (both types) and multi-algorithm jobs, with real training subprocesses."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from hpo_core.errors import JobConfigError
from hpo_core.jobs.store import Store
from hpo_core.jobs.tuning_job import TuningJob
from tests.jobs.helpers import base_doc, write_script

C = "HyperParameterTuningJobConfig"


def _optimizer_trials(job: TuningJob) -> list[dict[str, Any]]:
    store = Store(job.directory)
    try:
        return store.get("optimizer")["trials"]
    finally:
        store.close()


@pytest.fixture
def parent(tmp_path: Path) -> dict[str, float]:
    """A finished parent job ``runs/parent``: {x string: loss}."""
    write_script(tmp_path)
    job = TuningJob.from_dict(base_doc("parent", max_jobs=6, parallel=3), base_dir=tmp_path)
    job.run()
    return {t["TunedHyperParameters"]["x"]: t["FinalHyperParameterTuningJobObjectiveMetric"]
            ["Value"] for t in job.trials()}


def _child(kind: str, **changes: Any) -> dict[str, Any]:
    doc = base_doc("child", max_jobs=2, parallel=2)
    doc["WarmStartConfig"] = {"WarmStartType": kind, "ParentHyperParameterTuningJobs": [
        {"HyperParameterTuningJobName": "parent"}]}
    doc[C].update(changes)
    return doc


def test_identical_data_and_algorithm(tmp_path: Path, parent: dict[str, float]) -> None:
    ranges = {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "3"}]}
    job = TuningJob.from_dict(_child("IdenticalDataAndAlgorithm", ParameterRanges=ranges),
                              base_dir=tmp_path)
    job.run()
    trials = _optimizer_trials(job)
    inside = {x: v for x, v in parent.items() if 0 <= float(x) <= 3}  # others dropped
    warm = trials[:len(inside)]
    assert {t["params"]["x"]: t["value"] for t in warm} == {float(x): v for x, v in
                                                            inside.items()}
    assert all(t["enqueued"] for t in warm)
    assert len(trials) == len(inside) + 2  # + this job's own 2 training jobs
    assert len(job.trials()) == 2  # warm observations are not training jobs


def test_identical_refuses_changed_hyperparameters(tmp_path: Path,
                                                   parent: dict[str, float]) -> None:
    doc = _child("IdenticalDataAndAlgorithm")
    doc["TrainingJobDefinition"]["StaticHyperParameters"]["epochs"] = "4"
    with pytest.raises(JobConfigError) as info:
        TuningJob.from_dict(doc, base_dir=tmp_path).run()
    assert info.value.path == "WarmStartConfig.WarmStartType"
    assert "TransferLearning" in str(info.value)


def test_transfer_learning_maps_changed_spaces(tmp_path: Path, parent: dict[str, float]) -> None:
    ranges = {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "3"}],
              "IntegerParameterRanges": [{"Name": "y", "MinValue": "0", "MaxValue": "4"}]}
    doc = _child("TransferLearning", ParameterRanges=ranges)
    doc["TrainingJobDefinition"]["StaticHyperParameters"]["epochs"] = "4"  # changed: allowed
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    job.run()
    warm = [t for t in _optimizer_trials(job) if t["enqueued"]]
    assert len(warm) == len(parent)  # nothing dropped
    for t, (x, value) in zip(warm, parent.items(), strict=True):
        assert t["params"]["x"] == min(max(float(x), 0.0), 3.0)  # clipped into the new range
        assert t["params"]["y"] == 2  # added: the range's centre
        assert t["params"]["epochs"] == "4"  # static: the child's value
        assert t["value"] == value


def test_missing_parent_and_other_objective(tmp_path: Path, parent: dict[str, float]) -> None:
    doc = _child("TransferLearning")
    doc["WarmStartConfig"]["ParentHyperParameterTuningJobs"][0][
        "HyperParameterTuningJobName"] = "nobody"
    with pytest.raises(JobConfigError) as info:
        TuningJob.from_dict(doc, base_dir=tmp_path).run()
    assert info.value.path == ("WarmStartConfig.ParentHyperParameterTuningJobs[0]."
                               "HyperParameterTuningJobName")
    doc = _child("TransferLearning")
    doc[C]["HyperParameterTuningJobObjective"]["Type"] = "Maximize"
    with pytest.raises(JobConfigError, match="same objective"):
        TuningJob.from_dict(doc, base_dir=tmp_path, directory=tmp_path / "runs" / "c2").run()


def test_multi_algorithm_job(tmp_path: Path) -> None:
    write_script(tmp_path, """
    import json, os
    hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
    print("linear", sorted(hp))
    print("loss=" + str(abs(float(hp["a"]))))
    """, name="linear.py")
    write_script(tmp_path, """
    import json, os
    hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
    print("tree", sorted(hp))
    print("loss=" + str(int(hp["depth"]) / 10))
    """, name="tree.py")
    objective = {"Type": "Minimize", "MetricName": "loss"}
    doc = base_doc("multi", max_jobs=10, parallel=2)
    doc[C].pop("HyperParameterTuningJobObjective")
    doc[C].pop("ParameterRanges")
    doc.pop("TrainingJobDefinition")
    doc["TrainingJobDefinitions"] = [
        {"DefinitionName": "linear", "TuningObjective": objective, "HyperParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "a", "MinValue": "-1", "MaxValue": "1"}]}},
        {"DefinitionName": "tree", "TuningObjective": copy.deepcopy(objective),
         "StaticHyperParameters": {"kind": "gbt"}, "HyperParameterRanges": {
             "IntegerParameterRanges": [{"Name": "depth", "MinValue": "1", "MaxValue": "9"}]}}]
    doc["Local"] = {"Definitions": {"linear": {"Command": [sys.executable, "linear.py"]},
                                    "tree": {"Command": [sys.executable, "tree.py"]}}}
    job = TuningJob.from_dict(doc, base_dir=tmp_path)
    result = job.run()
    assert result["TrainingJobStatusCounters"]["Completed"] == 10
    trials = job.trials()
    used = {t["TrainingJobDefinitionName"] for t in trials}
    assert used == {"linear", "tree"}  # the choice of definition is tuned too
    for t in trials:
        keys = set(t["TunedHyperParameters"])
        assert keys == ({"a"} if t["TrainingJobDefinitionName"] == "linear" else {"depth"})
        log = Path(t["Local"]["LogPath"]).read_text()
        expected = ("linear ['_tuning_objective_metric', 'a']"
                    if t["TrainingJobDefinitionName"] == "linear" else
                    "tree ['_tuning_objective_metric', 'depth', 'kind']")
        assert expected in log
    assert result["BestTrainingJob"]["TrainingJobDefinitionName"] in used
