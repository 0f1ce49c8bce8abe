"""The session an unchanged SageMaker SDK v2 tuning script is given to run on this machine."""

from __future__ import annotations

import os
from typing import Any

from hpo_core.jobs.responses import ACCOUNT
from hpo_core.sagemaker.client import LocalTuningClient

__all__ = ["LocalTuningSession"]


def _base() -> type:
    try:
        from sagemaker.local import LocalSession
    except ImportError as e:  # pragma: no cover - the extra is missing
        raise ImportError("hpo_core.sagemaker needs the SageMaker Python SDK v2: pip install "
                          "'hpo_core[sagemaker]'") from e
    return LocalSession  # type: ignore[no-any-return]


class LocalTuningSession(_base()):  # type: ignore[misc]
    """A ``sagemaker.local.LocalSession`` whose client also runs tuning jobs, here.

    Pass it as ``sagemaker_session`` to the SDK's ``Estimator`` / ``HyperparameterTuner`` (and
    to ``HyperparameterTuner.attach`` / ``HyperparameterTuningJobAnalytics``)::

        session = LocalTuningSession("runs")
        estimator = Estimator(image_uri="my-image", role="local", instance_count=1,
                              instance_type="ml.m5.large", sagemaker_session=session, ...)
        tuner = HyperparameterTuner(estimator, "validation:accuracy", ranges, ...)
        tuner.fit({"train": "file:///data/train", "validation": "file:///data/validation"})

    Tuning jobs are job directories under ``root`` (see :class:`LocalTuningClient`); estimators
    with an ``entry_point`` run it under the sagemaker-training toolkit on the local backend,
    image estimators their image on the Docker backend. Code stays local (SDK local-code mode:
    nothing is uploaded) and channels are ``file://`` URIs or paths. No AWS account is used:
    the boto3 session has a region and placeholder credentials, roles that are not ARNs become
    local ones, and the default bucket is a name only.

    Args:
        root: folder of the tuning jobs (default ``$HPO_SAGEMAKER_ROOT`` or ``hpo-runs``).
        region: the region the SDK sees (image URIs of built-in algorithms are looked up for
            it; nothing is called there).
        boto_session: a boto3 session to use instead (its region is used).
        **kwargs: passed to ``LocalSession`` (``default_bucket``, ``sagemaker_config``, ...).
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, region: str = "us-east-1",
                 boto_session: Any = None, **kwargs: Any) -> None:
        import boto3

        if boto_session is None:
            boto_session = boto3.Session(aws_access_key_id="local",
                                         aws_secret_access_key="local", region_name=region)
        kwargs.setdefault("default_bucket", "hpo-local")
        super().__init__(boto_session=boto_session, **kwargs)
        folder = root if root is not None else os.environ.get("HPO_SAGEMAKER_ROOT", "hpo-runs")
        # the SDK's session sets these attributes untyped in its __init__
        base = self.sagemaker_client  # type: ignore[has-type]
        self.sagemaker_client = LocalTuningClient(folder, fallback=base)
        config = dict(self.config or {})  # type: ignore[has-type]
        config["local"] = {**config.get("local", {}), "local_code": True}
        self.config = config

    @property
    def root(self) -> Any:
        """The folder of this session's tuning jobs."""
        return self.sagemaker_client.root

    def expand_role(self, role: str) -> str:
        """``role`` itself when it is an ARN, else a local role ARN of that name."""
        if role and role.startswith("arn:"):
            return role
        return f"arn:aws:iam::{ACCOUNT}:role/{role or 'hpo-local'}"

    def default_bucket(self) -> str:
        """The default bucket's name (nothing is created or called)."""
        return str(self._default_bucket_name_override or "hpo-local")

    def _get_account_id_if_default_bucket(self) -> str:  # the SDK asks STS otherwise
        return ACCOUNT
