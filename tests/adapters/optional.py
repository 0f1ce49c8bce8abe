"""Optional dependencies of the adapter tests: skipped locally when missing, a failure under CI
(where ``.[dev,docker,aws,ray]`` is installed and every backend must be tested)."""

from __future__ import annotations

import importlib
import os
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
