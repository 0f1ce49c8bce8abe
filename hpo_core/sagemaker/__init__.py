"""The SageMaker Python SDK, locally: unchanged SDK v2 tuning scripts run on this machine.

    from hpo_core.sagemaker import LocalTuningSession
    session = LocalTuningSession("runs")        # instead of sagemaker.Session()
    ... Estimator(..., sagemaker_session=session); HyperparameterTuner(estimator, ...)
    tuner.fit(inputs); tuner.wait(); tuner.best_training_job(); tuner.analytics().dataframe()

- :class:`LocalTuningSession`: a ``sagemaker.local.LocalSession`` whose client runs
  CreateHyperParameterTuningJob and friends here (SDK issue #1960);
- :class:`LocalTuningClient`: that client (usable with boto3-style code too);
- :func:`~hpo_core.sagemaker.shapes.as_boto` / ``validation_report``: our responses as boto3
  returns them, and botocore's check of them.

Needs the ``sagemaker`` extra (the SDK v2, boto3). The SageMaker-shaped analytics frame itself
needs no SDK: :func:`hpo_core.analytics.sagemaker_frame`.
"""

from __future__ import annotations

from hpo_core.sagemaker.client import LocalTuningClient
from hpo_core.sagemaker.session import LocalTuningSession

__all__ = ["LocalTuningClient", "LocalTuningSession"]
