"""A SageMaker Python SDK v2 tuning script, run on this machine: only the session is swapped.

The shape of AWS's "Optimize hyperparameters with Amazon SageMaker Automatic Model Tuning" post
(Estimator + HyperparameterTuner, Bayesian, 50 jobs, 3 parallel, objective
``validation:accuracy``), with ``examples/xgboost_digits/train.py`` as the training code: an
``entry_point`` the sagemaker-training toolkit runs, as SageMaker's framework containers do. The
data stays local (``file://`` channels) and nothing calls AWS.

    pip install 'hpo_core[sagemaker,examples]'
    python examples/sdk_local/tune.py                 # 50 jobs, 3 at a time
    python examples/sdk_local/tune.py --max-jobs 6    # a quick look

What differs from the post: ``sagemaker_session=LocalTuningSession(...)`` instead of
``sagemaker.Session()``, ``file://`` inputs instead of ``s3://``, and (since this is not the
built-in XGBoost image, whose metrics SageMaker knows) the training code and its
``metric_definitions``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

from hpo_core.sagemaker import LocalTuningSession

HERE = Path(__file__).resolve().parent
CODE = HERE.parent / "xgboost_digits"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-jobs", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=3)
    parser.add_argument("--root", default="runs", help="folder of the tuning jobs")
    args = parser.parse_args()

    sm_sess = LocalTuningSession(args.root)          # was: sagemaker.session.Session()
    role = "SageMakerExecutionRole"                  # any name: roles are local

    hyperparameters = {"num_class": 10, "max_depth": 5, "alpha": 0.2, "eta": 0.3,
                       "early_stopping_rounds": 5, "objective": "multi:softmax",
                       "num_round": 100, "nthread": 1}
    estimator = Estimator(
        image_uri="hpo-local/xgboost",               # not pulled: the entry point runs locally
        entry_point="train.py", source_dir=str(CODE),
        role=role, instance_count=1, instance_type="ml.m5.large", volume_size=5,
        output_path=(Path(args.root).resolve() / "models").as_uri(),
        sagemaker_session=sm_sess, hyperparameters=hyperparameters)

    s3_input_train = TrainingInput(s3_data=(CODE / "data" / "train").as_uri(),
                                   content_type="csv")
    s3_input_valid = TrainingInput(s3_data=(CODE / "data" / "validation").as_uri(),
                                   content_type="csv")

    hpt_ranges = {"alpha": ContinuousParameter(0.01, .5),
                  "eta": ContinuousParameter(0.1, .5),
                  "min_child_weight": ContinuousParameter(0., 2.),
                  "max_depth": IntegerParameter(1, 10)}
    tuner_parameters = {
        "estimator": estimator,
        "base_tuning_job_name": "bayesian",
        "objective_metric_name": "validation:accuracy",
        "objective_type": "Maximize",
        "hyperparameter_ranges": hpt_ranges,
        "strategy": "Bayesian",
        "max_jobs": args.max_jobs,
        "max_parallel_jobs": args.parallel,
        "metric_definitions": [
            {"Name": "validation:accuracy", "Regex": r"validation:accuracy=([0-9\.]+)"}],
    }
    started = time.monotonic()
    tuner = HyperparameterTuner(**tuner_parameters)
    tuner.fit({"train": s3_input_train, "validation": s3_input_valid}, wait=False)
    tuner_name = tuner.describe()["HyperParameterTuningJobName"]
    print(f"tuning job submitted: {tuner_name}.")
    tuner.wait()
    print(f"finished in {time.monotonic() - started:.0f} s")

    best = tuner.best_training_job()
    df = tuner.analytics().dataframe()
    print(f"best training job: {best}")
    print(df.sort_values("FinalObjectiveValue", ascending=False).head(10).to_string())


if __name__ == "__main__":
    main()
