"""Builders for the report tests: real small runs (ask/tell and a tuning job)."""

from __future__ import annotations

import importlib
import math
import os
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Optimizer
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static

#: The ``report`` extra's packages the tests use.
REPORT_PACKAGES = ("pandas", "altair", "vl_convert")


def need(*modules: str) -> None:
    """Skip the calling test module when a package is missing, except under CI (``CI`` set),
    where a missing package is an install bug and fails the run."""
    missing = []
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            missing.append(m)
    if not missing:
        return
    message = (f"needs {', '.join(missing)}: pip install 'hpo_core[report]' "
               "(and websocket-client for the browser test)")
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: installing it is .ci/run's job)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


SPACE = SearchSpace({
    "lr": Continuous(1e-4, 1e-1, "log"),
    "depth": Integer(1, 12),
    "act": Categorical(["relu", "tanh", "gelu"]),
    "momentum": Continuous(0.0, 0.99),
    "batch": Static(64),
})


def loss(params: dict[str, Any], epoch: int = 9) -> float:
    """A made-up validation loss: best near lr=1e-2, depth 6, gelu; falls with epochs."""
    base = (math.log10(params["lr"]) + 2.0) ** 2 + 0.02 * (params["depth"] - 6) ** 2
    base += {"relu": 0.1, "tanh": 0.3, "gelu": 0.0}[params["act"]]
    return base + 1.0 / epoch


def optimizer_run(n: int, seed: int, epochs: int = 9, objective: str = "minimize",
                  early_stopping: str = "off", fail_every: int = 11,
                  pending: int = 1) -> Optimizer:
    """A real ask/tell run with intermediate reports (early stopping optional), some failures
    and ``pending`` trials left running at the end."""
    opt = Optimizer(SPACE, "random", objective, seed=seed, early_stopping=early_stopping)
    sign = 1.0 if objective == "minimize" else -1.0
    for i in range(n):
        t = opt.ask()
        if i >= n - pending:
            opt.report(t, 1, sign * loss(t.params, 1))
            continue
        if fail_every and i % fail_every == fail_every - 1:
            opt.tell(t, failed=True, reason="CUDA out of memory")
            continue
        stopped = False
        for epoch in range(1, epochs + 1):
            if opt.report(t, epoch, sign * loss(t.params, epoch)) == "stop":
                stopped = True
                break
        if not stopped:
            opt.tell(t, sign * loss(t.params, epochs))
    return opt


def _train(ctx: Any) -> float:
    hp = ctx.hyperparameters
    if hp["depth"] == 12:
        raise RuntimeError("model too deep for the test")
    value = 0.0
    for epoch in range(1, 4):
        value = loss(hp, epoch)
        ctx.report(loss=value, accuracy=1.0 / (1.0 + value))
    return value


def job_run(folder: Path, max_jobs: int = 8) -> Any:
    """A real small tuning job (in-process Python backend) run to completion; its
    :class:`~hpo_core.jobs.tuning_job.TuningJob`."""
    from hpo_core.jobs.tuning_job import TuningJob

    ranges = SearchSpace({k: v for k, v in SPACE.params.items() if k != "batch"})
    doc = {
        "HyperParameterTuningJobName": "report-job",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs,
                               "MaxParallelTrainingJobs": 2},
            "ParameterRanges": ranges.to_sagemaker(),
            "RandomSeed": 3,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"batch": "64"},
            "AlgorithmSpecification": {"MetricDefinitions": [
                {"Name": "loss", "Regex": "\"loss\": ([0-9.eE+-]+)"},
                {"Name": "accuracy", "Regex": "\"accuracy\": ([0-9.eE+-]+)"}]}},
        "Local": {"Backend": "python", "Directory": str(folder / "job")},
    }
    job = TuningJob.from_dict(doc, base_dir=folder, function=_train)
    job.run()
    return job


def hyperband_run(n: int, seed: int, mode: str = "stopping") -> Optimizer:
    """A real Hyperband run (rungs 1, 3, 9, 27; eta 3) of ``n`` asks; every trial reports
    each epoch until it is stopped, paused or done."""
    opt = Optimizer(SPACE, "hyperband", seed=seed, max_resource=27, eta=3, mode=mode)
    for _ in range(n):
        t = opt.ask()
        for epoch in range(t.last_step + 1, (t.resource or 27) + 1):
            if opt.report(t, epoch, loss(t.params, epoch)) == "stop" or t.status != "pending":
                break
        if t.status == "pending":
            opt.tell(t, loss(t.params, 27))
    return opt
