"""``describe`` and ``trials`` are SageMaker service responses: botocore's validation of the
DescribeHyperParameterTuningJob / ListTrainingJobsForHyperParameterTuningJob output shapes
passes once the ``"Local"`` extras are taken out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpo_core.jobs.responses import training_job_arn, tuning_job_arn, without_local
from hpo_core.jobs.tuning_job import TuningJob
from tests.adapters.optional import require
from tests.jobs.helpers import base_doc

C = "HyperParameterTuningJobConfig"


def _errors(operation: str, response: dict[str, Any]) -> str:
    botocore_session = require("botocore.session", "aws")
    from botocore.validate import ParamValidator

    model = botocore_session.get_session().get_service_model("sagemaker")
    shape = model.operation_model(operation).output_shape
    return ParamValidator().validate(response, shape).generate_report()  # type: ignore[no-any-return]


def _loss(ctx: Any) -> float:
    x = float(ctx.hyperparameters["x"])
    if x > 2.0:
        raise RuntimeError("x too large")
    return (x - 1.0) ** 2


def _run(tmp_path: Path, doc: dict[str, Any]) -> TuningJob:
    (tmp_path / "train").mkdir(exist_ok=True)
    job = TuningJob.from_dict(doc, base_dir=tmp_path, function=_loss)
    job.run()
    return job


def _doc(**changes: Any) -> dict[str, Any]:
    doc = base_doc(name="resp", max_jobs=8, parallel=2)
    doc[C]["ParameterRanges"]["ContinuousParameterRanges"][0].update(MinValue=-2, MaxValue=3)
    doc["TrainingJobDefinition"]["InputDataConfig"] = [{"ChannelName": "train"}]
    doc["Local"]["Channels"] = {"train": "train"}
    doc.update(changes)
    return doc


def test_describe_and_trials_pass_botocore_response_validation(tmp_path: Path) -> None:
    job = _run(tmp_path, _doc())
    described = job.describe()
    trials = job.trials()
    assert {t["TrainingJobStatus"] for t in trials} >= {"Completed"}
    assert _errors("DescribeHyperParameterTuningJob", without_local(described)) == ""
    listed = {"TrainingJobSummaries": trials}
    assert _errors("ListTrainingJobsForHyperParameterTuningJob", without_local(listed)) == ""
    # the extras are only under "Local": with them, botocore names that key and nothing else
    report = _errors("DescribeHyperParameterTuningJob", described)
    assert report and all('"Local"' in line for line in report.splitlines())
    assert set(described["Local"]) == {"Directory", "CompletionReason"}
    assert set(trials[0]["Local"]) == {"Status", "LogPath", "Attempts", "TrainingTimeInSeconds"}


def test_the_service_members_a_local_job_lacks_are_filled_in(tmp_path: Path) -> None:
    job = _run(tmp_path, _doc())
    d = job.describe()
    assert d["HyperParameterTuningJobArn"] == tuning_job_arn("resp") == (
        "arn:aws:sagemaker:local:000000000000:hyper-parameter-tuning-job/resp")
    definition = d["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"]["_tuning_objective_metric"] == "loss"
    assert definition["AlgorithmSpecification"]["TrainingInputMode"] == "File"
    assert definition["RoleArn"].startswith("arn:aws:iam::000000000000:role/")
    source = definition["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    assert source["S3Uri"] == (tmp_path / "train").resolve().as_uri()
    bounds = d[C]["ParameterRanges"]["ContinuousParameterRanges"][0]
    assert (bounds["MinValue"], bounds["MaxValue"]) == ("-2", "3")  # numbers became strings
    best = d["BestTrainingJob"]
    assert best["TrainingJobArn"] == training_job_arn(best["TrainingJobName"])
    failed = [t for t in job.trials() if t["TrainingJobStatus"] == "Failed"]
    assert all("x too large" in t["FailureReason"] for t in failed)


def test_several_definitions_validate_too(tmp_path: Path) -> None:
    doc = _doc()
    single = doc.pop("TrainingJobDefinition")
    ranges = doc[C].pop("ParameterRanges")
    objective = doc[C].pop("HyperParameterTuningJobObjective")
    doc["TrainingJobDefinitions"] = [
        {**single, "DefinitionName": name, "HyperParameterRanges": ranges,
         "TuningObjective": objective} for name in ("one", "two")]
    job = _run(tmp_path, doc)
    d = job.describe()
    assert _errors("DescribeHyperParameterTuningJob", without_local(d)) == ""
    assert [x["StaticHyperParameters"]["_tuning_objective_metric"]
            for x in d["TrainingJobDefinitions"]] == ["loss", "loss"]


@pytest.mark.parametrize("name", ["Job-With-Caps"])
def test_arns_are_lower_case_like_the_service(name: str) -> None:
    assert tuning_job_arn(name).endswith("/job-with-caps")
    assert training_job_arn(f"{name}-001-ab").endswith(":training-job/job-with-caps-001-ab")


def test_describe_of_a_relative_job_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from hpo_core.cli import main

    job = _run(tmp_path, _doc())
    directory = Path(job.describe()["Local"]["Directory"]).resolve()
    monkeypatch.chdir(directory.parent)
    capsys.readouterr()
    assert main(["describe", directory.name]) == 0  # as the README's `hpo describe $DIR`
    out = json.loads(capsys.readouterr().out)
    uri = out["TrainingJobDefinition"]["OutputDataConfig"]["S3OutputPath"]
    assert uri == (directory / "output").as_uri()
    channel = out["TrainingJobDefinition"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    assert channel["S3Uri"] == (tmp_path / "train").resolve().as_uri()
