"""Shared test configuration: hypothesis profiles, seed fixtures, a per-session cache home."""

from __future__ import annotations

import os
import shutil
import tempfile

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

# The Bayesian strategy keeps compiled GP programs under $XDG_CACHE_HOME: one empty cache per
# test session, so a run here starts as cold as CI's and leaves the user's cache alone.
#: The user's cache folder before the override (tests that install packages use its pip cache).
USER_CACHE_HOME = (os.environ.get("XDG_CACHE_HOME")
                   or os.path.join(os.path.expanduser("~"), ".cache"))
_CACHE_HOME = tempfile.mkdtemp(prefix="hpo-tests-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_HOME, ignore_errors=True)


@pytest.fixture
def seed() -> int:
    """The seed tests use for anything random."""
    return 12345
