"""Optional dependencies of the adapter tests: skipped locally when missing, a failure under CI
(where ``.[dev,docker,aws,ray]`` and the Debian packages of ``.ci/run`` are installed and every
backend must be tested). Python packages go through :func:`require`, system tools through
:func:`require_tool`, anything else through :func:`missing`."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def under_ci() -> bool:
    """Whether the ``CI`` environment variable says this is a CI run."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``; when it is missing, fail under CI and skip the tests otherwise."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed (pip install 'hpo_core[{extra}]')"
        if under_ci():
            pytest.fail(f"CI: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
        raise


def missing(reason: str) -> None:
    """A system dependency is missing: fail under CI, skip the test otherwise."""
    if under_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, package: str) -> str:
    """The path of executable ``name``; when it is not on PATH, fail under CI and skip the
    test otherwise (``package``: the Debian package that installs it)."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not on PATH (apt-get install {package})")
    assert path is not None
    return path
