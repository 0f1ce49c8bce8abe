"""The optional-package helper of the tests (:mod:`tests.optional`): what becomes a skip."""

from __future__ import annotations

import pytest

from tests.optional import optional_modules, require, skip_unless_optional


def test_extras_packages_are_optional_and_core_ones_are_not() -> None:
    modules = optional_modules()
    assert modules["optuna"] == "peers" and modules["moto"] == "dev"
    assert not {"numpy", "jax", "numba", "scipy", "hpo_core"} & set(modules)


def test_a_missing_optional_package_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"optuna not installed .*\[peers\]"):
        skip_unless_optional(ModuleNotFoundError("No module named 'optuna'", name="optuna"))
    with pytest.raises(pytest.skip.Exception, match="no_such_module_xyz not installed"):
        require("json", "no_such_module_xyz")
    require("json")  # installed: nothing happens


def test_a_missing_optional_package_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    error = ModuleNotFoundError("No module named 'optuna.samplers'", name="optuna.samplers")
    with pytest.raises(ModuleNotFoundError) as info:
        skip_unless_optional(error)
    assert info.value is error
    with pytest.raises(pytest.fail.Exception, match="CI: no_such_module_xyz not installed"):
        require("no_such_module_xyz")


@pytest.mark.parametrize("name", ["numba", "hpo_core.kernels", None])
def test_anything_else_is_raised_again(monkeypatch: pytest.MonkeyPatch, name: str | None) -> None:
    monkeypatch.delenv("CI", raising=False)
    error = ImportError("cannot import", name=name)
    with pytest.raises(ImportError) as info:
        skip_unless_optional(error)
    assert info.value is error
