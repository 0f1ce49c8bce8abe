"""Unchanged SageMaker SDK v2 tuning code with ``sagemaker_session=LocalTuningSession(...)``:
fit, wait, best_training_job, analytics, attach and stop, on the local backend (an
``entry_point`` script under the sagemaker-training toolkit) and the Docker backend (an image
estimator)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hpo_core.analytics import sagemaker_frame
from hpo_core.jobs.responses import without_local
from hpo_core.sagemaker import LocalTuningSession
from hpo_core.sagemaker.shapes import validation_report

CODE = Path(__file__).resolve().parent / "code"
LOSS = [{"Name": "loss", "Regex": r"loss=([0-9\.]+)"}]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "train"
    folder.mkdir(parents=True)
    (folder / "rows.csv").write_text("1,2\n")
    return folder


def _tuner(sdk: Any, session: LocalTuningSession, max_jobs: int, parallel: int,
           **estimator: Any) -> Any:
    from sagemaker.estimator import Estimator
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    est = Estimator(role="SageMakerRole", instance_count=1, instance_type="ml.m5.large",
                    sagemaker_session=session, **estimator)
    return HyperparameterTuner(est, objective_metric_name="loss", objective_type="Minimize",
                               hyperparameter_ranges={"x": ContinuousParameter(0.0, 1.0)},
                               metric_definitions=LOSS, strategy="Random", max_jobs=max_jobs,
                               max_parallel_jobs=parallel, base_tuning_job_name="sdk")


def test_entry_point_script_fit_wait_best_analytics_attach(sdk: Any, tmp_path: Path,
                                                           data: Path) -> None:
    from sagemaker.inputs import TrainingInput
    from sagemaker.tuner import HyperparameterTuner

    session = LocalTuningSession(tmp_path / "runs")
    tuner = _tuner(sdk, session, 4, 2, image_uri="hpo-local/none", entry_point="train.py",
                   source_dir=str(CODE), hyperparameters={"epochs": 2})
    tuner.fit({"train": TrainingInput(data.as_uri(), content_type="text/csv")}, wait=False)
    name = tuner.latest_tuning_job.name
    assert tuner.describe()["HyperParameterTuningJobStatus"] in ("InProgress", "Completed")
    tuner.wait()
    described = session.sagemaker_client.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name)
    assert described["HyperParameterTuningJobStatus"] == "Completed", described
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    assert validation_report("DescribeHyperParameterTuningJob", without_local(described)) == ""
    df = tuner.analytics().dataframe()
    assert len(df) == 4 and set(df["TrainingJobStatus"]) == {"Completed"}
    best = df.loc[df["FinalObjectiveValue"].idxmin(), "TrainingJobName"]
    assert tuner.best_training_job() == best
    # the value is the script's last line: (x - 0.3)^2 + 1/2
    row = df.set_index("TrainingJobName").loc[best]
    assert row["FinalObjectiveValue"] == pytest.approx((row["x"] - 0.3) ** 2 + 0.5, abs=1e-5)
    frame = sagemaker_frame(session.root / name)
    assert frame.equals(df)
    attached = HyperparameterTuner.attach(name, sagemaker_session=session)
    assert attached.best_training_job() == best
    assert attached.estimator.hyperparameters()["sagemaker_program"] == '"train.py"'
    assert attached.analytics().dataframe().equals(df)
    model = session.root / name / "training-jobs" / best / "model" / "model.txt"
    assert model.read_text() == f"x={row['x']}\n"


def test_stop_tuning_job(sdk: Any, tmp_path: Path, data: Path) -> None:
    session = LocalTuningSession(tmp_path / "runs")
    tuner = _tuner(sdk, session, 20, 2, image_uri="hpo-local/none", entry_point="train.py",
                   source_dir=str(CODE), hyperparameters={"epochs": 30, "sleep": 0.5})
    tuner.fit({"train": data.as_uri()}, wait=False)
    client = session.sagemaker_client
    name = tuner.latest_tuning_job.name
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = client.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, StatusEquals="InProgress")
        if listed["TrainingJobSummaries"]:
            break
        time.sleep(0.5)
    tuner.stop_tuning_job()
    status = None
    while time.monotonic() < deadline:
        status = client.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name)["HyperParameterTuningJobStatus"]
        if status not in ("InProgress", "Stopping"):
            break
        time.sleep(0.5)
    assert status == "Stopped"
    df = tuner.analytics().dataframe()
    assert len(df) < 20 and "Stopped" in set(df["TrainingJobStatus"])


def test_errors_are_the_services(sdk: Any, tmp_path: Path, data: Path) -> None:
    from botocore.exceptions import ClientError

    session = LocalTuningSession(tmp_path / "runs")
    client = session.sagemaker_client
    with pytest.raises(ClientError) as e:
        client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    tuner = _tuner(sdk, session, 2, 1, image_uri="hpo-local/none", entry_point="train.py",
                   source_dir=str(CODE))
    with pytest.raises(ClientError) as e:
        tuner.fit({"train": "s3://bucket/train"}, wait=False)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "not local" in e.value.response["Error"]["Message"]


@pytest.mark.docker
def test_image_estimator_runs_on_docker(sdk: Any, tmp_path: Path, data: Path,
                                        busybox: str, job_name: str) -> None:
    session = LocalTuningSession(tmp_path / "runs")
    tuner = _tuner(sdk, session, 3, 3, image_uri=busybox, hyperparameters={"epochs": 2})
    tuner.fit({"train": data.as_uri()}, job_name=job_name[-32:].strip("-"))
    df = tuner.analytics().dataframe()
    assert len(df) == 3 and set(df["TrainingJobStatus"]) == {"Completed"}
    for _, row in df.iterrows():  # busybox_train.sh: loss = (x - 0.3)^2 + 1/epoch
        assert row["FinalObjectiveValue"] == pytest.approx((row["x"] - 0.3) ** 2 + 0.5,
                                                           abs=1e-5)
    assert tuner.best_training_job() == df.loc[df["FinalObjectiveValue"].idxmin(),
                                               "TrainingJobName"]
