"""Shared builders for the tuning-job tests: job documents and tiny training scripts."""

from __future__ import annotations

import copy
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

#: A training script: reads the contract, prints ``loss=<value>`` once per epoch.
QUADRATIC = """
import json, os, sys, time
hp = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
x = float(hp["x"])
sleep = float(hp.get("sleep", "0"))
for epoch in range(1, int(hp.get("epochs", "3")) + 1):
    time.sleep(sleep)
    print(f"epoch {epoch} loss={(x - 1.0) ** 2 + 1.0 / epoch}", flush=True)
"""


def write_script(folder: Path, text: str = QUADRATIC, name: str = "train.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def base_doc(name: str = "job", max_jobs: int = 4, parallel: int = 2, **config: Any
             ) -> dict[str, Any]:
    """A valid local job: Random search of x in [-2, 3], objective ``loss`` minimized."""
    doc: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs,
                               "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "-2", "MaxValue": "3"}]},
            "RandomSeed": 7,
        },
        "TrainingJobDefinition": {"StaticHyperParameters": {"epochs": "3"}},
        "Local": {"Command": [sys.executable, "train.py"]},
    }
    doc["HyperParameterTuningJobConfig"].update(config)
    return doc


def with_change(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with the dotted ``path`` set to ``value`` (``DELETE`` removes it)."""
    out = copy.deepcopy(doc)
    keys = path.split(".")
    node = out
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


DELETE = object()


def dump(doc: dict[str, Any], folder: Path, name: str = "job.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc, indent=1))
    return path
