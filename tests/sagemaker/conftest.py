"""The SageMaker SDK v2 tests need the ``sagemaker`` extra (skipped without it, failed under
CI, like the adapters' optional backends)."""

from __future__ import annotations

import os

import pytest

from tests.adapters.optional import require

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")


@pytest.fixture(scope="session")
def sdk() -> object:
    """The SageMaker Python SDK v2 module."""
    sagemaker = require("sagemaker", "sagemaker")
    require("sagemaker_training", "sagemaker")
    if not sagemaker.__version__.startswith("2."):
        pytest.skip(f"these tests are for the SDK v2, found {sagemaker.__version__}")
    return sagemaker


# the Docker fixtures of the adapter tests (a daemon, the busybox image, per-test clean-up)
from tests.adapters.conftest import busybox, docker_client, job_name  # noqa: E402, F401
