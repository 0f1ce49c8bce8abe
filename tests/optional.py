"""Optional packages in the tests: a missing one skips the test outside CI and fails it under CI
(``CI`` set), where the test command installs ``.[all]`` and every test must run.

Only a package named by one of hpo_core's extras counts as optional: a missing core dependency,
or any other error, is never turned into a skip.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
from typing import NoReturn

import pytest
from packaging.requirements import Requirement

__all__ = ["optional_modules", "require", "skip_unless_optional", "under_ci"]


def under_ci() -> bool:
    """Whether this is a CI run (the ``CI`` environment variable is set, as ``.ci/run`` does)."""
    return bool(os.environ.get("CI"))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.cache
def optional_modules() -> dict[str, str]:
    """Top-level import name -> extra, for every package that only an extra of hpo_core
    names (installed ones by the modules they provide, the others by their normalized
    distribution name)."""
    extras: dict[str, str] = {}
    for line in importlib.metadata.requires("hpo_core") or []:
        req = Requirement(line)
        if req.marker is None or _normal(req.name) == "hpo_core":
            continue
        match = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(req.marker))
        if match:
            extras.setdefault(_normal(req.name), match.group(1))
    modules = dict(extras)
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            if _normal(dist) in extras:
                modules.setdefault(module, extras[_normal(dist)])
    return modules


def _missing_reason(modules: list[str]) -> str:
    extras = optional_modules()
    hint = sorted({extras.get(m, "all") for m in modules})
    return f"{', '.join(modules)} not installed (pip install -e '.[{','.join(hint)}]')"


def require(*modules: str) -> None:
    """Skip the calling test when one of ``modules`` is not installed, or fail it under CI."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    reason = _missing_reason(missing)
    if under_ci():
        pytest.fail(f"CI: {reason}; the test command must install it", pytrace=False)
    pytest.skip(reason)


def skip_unless_optional(error: ImportError) -> NoReturn:
    """Handle an ``ImportError`` raised by the code under test: a skip when the module it
    could not import is an optional package (an extra's) and this is not CI; otherwise the
    error is raised again and the test fails."""
    top = (error.name or "").partition(".")[0]
    if not top or top not in optional_modules() or under_ci():
        raise error
    pytest.skip(_missing_reason([top]))
