"""The SDK's own code on our responses, through a real boto3 client whose answers a botocore
Stubber gives (and validates against the service's output shapes): its analytics frame equals
:func:`hpo_core.analytics.sagemaker_frame`, and ``HyperparameterTuner.attach`` works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpo_core.analytics import sagemaker_frame
from hpo_core.jobs.responses import list_page, without_local
from hpo_core.jobs.tuning_job import TuningJob
from hpo_core.sagemaker.shapes import as_boto, validation_report
from tests.jobs.helpers import base_doc

C = "HyperParameterTuningJobConfig"


def _loss(ctx: Any) -> float:
    x = float(ctx.hyperparameters["x"])
    if x > 1.5:
        raise RuntimeError("diverged")
    return (x - 1.0) ** 2 + float(ctx.hyperparameters["depth"]) / 100


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> TuningJob:
    tmp = tmp_path_factory.mktemp("stubbed")
    doc = base_doc(name="stubbed", max_jobs=12, parallel=3)
    doc[C]["ParameterRanges"]["IntegerParameterRanges"] = [
        {"Name": "depth", "MinValue": "1", "MaxValue": "9"}]
    doc[C]["ParameterRanges"]["CategoricalParameterRanges"] = [
        {"Name": "booster", "Values": ["gbtree", "dart"]}]
    doc["TrainingJobDefinition"]["AlgorithmSpecification"] = {
        "TrainingImage": "hpo-local/trainer:1", "TrainingInputMode": "File"}
    job = TuningJob.from_dict(doc, base_dir=tmp, function=_loss)
    job.run()
    return job


def _session(sdk: Any, responses: list[tuple[str, dict[str, Any]]],
             local: bool = False) -> tuple[Any, Any]:
    import boto3
    from botocore.stub import Stubber

    boto = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x",
                         region_name="us-west-2")
    client = boto.client("sagemaker")
    stubber = Stubber(client)
    for method, response in responses:
        stubber.add_response(method, response)  # validated against the output shape here
    stubber.activate()
    if local:  # file:// paths (the job's OutputDataConfig) need a local-mode session
        from sagemaker.local import LocalSession

        session = LocalSession(boto_session=boto, sagemaker_config={"SchemaVersion": "1.0"})
        session.sagemaker_client = client
    else:
        session = sdk.session.Session(boto_session=boto, sagemaker_client=client,
                                      sagemaker_config={"SchemaVersion": "1.0"})
    return session, stubber


def _responses(job: TuningJob) -> tuple[dict[str, Any], dict[str, Any]]:
    described = as_boto("DescribeHyperParameterTuningJob", without_local(job.describe()))
    listed = as_boto("ListTrainingJobsForHyperParameterTuningJob",
                     without_local(list_page(job.trials(), max_results=100)))
    return described, listed


def test_sdk_analytics_frame_equals_ours(sdk: Any, job: TuningJob) -> None:
    import pandas as pd
    from sagemaker.analytics import HyperparameterTuningJobAnalytics

    described, listed = _responses(job)
    assert validation_report("DescribeHyperParameterTuningJob", described) == ""
    assert validation_report("ListTrainingJobsForHyperParameterTuningJob", listed) == ""
    session, stubber = _session(sdk, [
        ("list_training_jobs_for_hyper_parameter_tuning_job", listed)])
    theirs = HyperparameterTuningJobAnalytics("stubbed", sagemaker_session=session).dataframe()
    stubber.assert_no_pending_responses()
    ours = sagemaker_frame(job)
    pd.testing.assert_frame_equal(ours, theirs)  # names, order, dtypes, values
    assert set(ours.columns[:3]) == {"x", "depth", "booster"}
    assert list(ours.columns[3:]) == [
        "TrainingJobName", "TrainingJobStatus", "FinalObjectiveValue", "TrainingStartTime",
        "TrainingEndTime", "TrainingElapsedTimeSeconds", "TrainingJobDefinitionName"]
    assert set(ours["TrainingJobStatus"]) <= {"Completed", "Failed"}
    assert "Failed" in set(ours["TrainingJobStatus"])  # x > 1.5 diverged
    assert str(ours["TrainingStartTime"].dtype).startswith("datetime64")
    assert ours["depth"].dtype == "float64" and ours["booster"].dtype != "float64"


def test_attach_works_on_our_describe(sdk: Any, job: TuningJob) -> None:
    from sagemaker.estimator import Estimator
    from sagemaker.tuner import HyperparameterTuner

    described, _ = _responses(job)
    session, stubber = _session(sdk, [
        ("describe_hyper_parameter_tuning_job", described),
        ("describe_hyper_parameter_tuning_job", described)], local=True)
    tuner = HyperparameterTuner.attach("stubbed", sagemaker_session=session)
    assert isinstance(tuner.estimator, Estimator)
    assert tuner.estimator.image_uri == "hpo-local/trainer:1"
    assert tuner.objective_metric_name == "loss" and tuner.objective_type == "Minimize"
    assert tuner.max_jobs == 12 and tuner.max_parallel_jobs == 3
    assert set(tuner.hyperparameter_ranges()) == {"ContinuousParameterRanges",
                                                  "IntegerParameterRanges",
                                                  "CategoricalParameterRanges"}
    assert tuner.estimator.hyperparameters() == {"epochs": "3"}  # statics, less the reserved
    best = tuner.best_training_job()
    assert best == job.describe()["BestTrainingJob"]["TrainingJobName"]
    stubber.assert_no_pending_responses()


def test_the_listing_pages_like_the_service(job: TuningJob) -> None:
    rows = job.trials()
    first = list_page(rows, max_results=5)
    assert first["NextToken"] == "5" and len(first["TrainingJobSummaries"]) == 5
    rest = list_page(rows, max_results=100, next_token=first["NextToken"])
    names = [s["TrainingJobName"] for s in first["TrainingJobSummaries"] +
             rest["TrainingJobSummaries"]]
    assert names == sorted(s["TrainingJobName"] for s in rows) and "NextToken" not in rest
    by_value = list_page(rows, sort_by="FinalObjectiveMetricValue", max_results=100)
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
              for s in by_value["TrainingJobSummaries"]]
    assert values == sorted(values) and len(values) < len(rows)  # failed jobs have none
    failed = list_page(rows, status_equals="Failed", max_results=100)["TrainingJobSummaries"]
    assert failed and all(s["TrainingJobStatus"] == "Failed" for s in failed)
    with pytest.raises(ValueError, match="SortBy"):
        list_page(rows, sort_by="Size")
    assert Path(job.directory).is_dir()
