"""The rule for a missing system tool: skipped locally, a failure when ``CI`` is set."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.adapters import images
from tests.adapters.optional import require_tool

ABSENT = "hpo-no-such-tool-3f9a"


def test_missing_tool_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"{ABSENT} is not on PATH"):
        require_tool(ABSENT, "some-package")


@pytest.mark.parametrize("value", ["1", "true"])
def test_missing_tool_fails_under_ci(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="apt-get install some-package"):
        require_tool(ABSENT, "some-package")


def test_present_tool_is_found() -> None:
    assert require_tool("sh", "dash").endswith("sh")


def test_a_dynamic_busybox_does_not_count(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The image is FROM scratch: Debian's dynamic ``busybox`` cannot run in it."""
    shutil.copy(Path(sys.executable).resolve(), tmp_path / "busybox")  # dynamically linked
    monkeypatch.setenv("PATH", str(tmp_path))
    assert images.static_busybox() is None
    monkeypatch.setenv("PATH", "")
    assert images.static_busybox() is None
