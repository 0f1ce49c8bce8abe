"""Under Hyperband a training job that ends below MaxResource without being stopped has no
value at MaxResource: the tuner records it Failed, with the step it reached, and goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpo_core.jobs.tuning_job import TuningJob
from tests.jobs.helpers import base_doc

C = "HyperParameterTuningJobConfig"


def _short(ctx: Any) -> None:
    """Two steps only, though MaxResource is 9."""
    for step in (1, 2):
        ctx.report(loss=1.0 / step)


def test_a_job_ending_below_max_resource_fails_naming_the_step(tmp_path: Path) -> None:
    doc = base_doc(max_jobs=2, parallel=1)
    doc[C]["Strategy"] = "Hyperband"
    doc[C]["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1,
                                                            "MaxResource": 9}}
    doc["Local"] = {"Backend": "python"}
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_short)
    result = job.run()
    rows = job.trials()
    assert [t["TrainingJobStatus"] for t in rows] == ["Failed", "Failed"]
    assert all("reported up to step 2, below MaxResource=9" in t["FailureReason"]
               for t in rows), rows
    assert result["HyperParameterTuningJobStatus"] == "Failed"  # no job completed
