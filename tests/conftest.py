"""Shared test configuration: hypothesis profiles and seed fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests run at least 200 examples each everywhere (CI included).
settings.register_profile(
    "default", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=200, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def seed() -> int:
    """The seed tests use for anything random."""
    return 12345
