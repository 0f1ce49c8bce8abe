"""Atomic JSON files with a format name and version (the Optimizer's saved state)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from hpo_core.errors import OptimizerError

__all__ = ["read_versioned", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as JSON; a crash mid-write leaves any previous file intact."""
    text = json.dumps(data, indent=1, allow_nan=False)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_versioned(path: str | os.PathLike[str], fmt: str, max_version: int) -> dict[str, Any]:
    """Read a JSON file written for format ``fmt`` at a version <= ``max_version``.

    Raises:
        OptimizerError: not UTF-8, corrupt JSON (nested too deeply, an integer of more digits
            than Python converts), another format, or a newer version.
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        state = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise OptimizerError(f"load: {path} is not a valid optimizer file (not UTF-8 text: "
                             f"byte {raw[e.start]:#04x} at offset {e.start})") from None
    except RecursionError:
        raise OptimizerError(f"load: {path} is not a valid optimizer file (JSON nested too "
                             "deeply)") from None
    except ValueError as e:  # JSONDecodeError, or int() refusing thousands of digits
        raise OptimizerError(f"load: {path} is not a valid optimizer file (corrupt JSON: "
                             f"{e})") from None
    check_versioned(state, fmt, max_version, str(path))
    return state


def check_versioned(state: Any, fmt: str, max_version: int, source: str) -> None:
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise OptimizerError(f"load: {source} is not an hpo_core optimizer file "
                             f"(expected format {fmt!r})")
    version = state.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise OptimizerError(f"load: {source}: corrupt format version {version!r}")
    if version > max_version:
        raise OptimizerError(
            f"load: {source} was written by format version {version}; this hpo_core reads "
            f"versions up to {max_version}: upgrade hpo_core")
