"""Every package folder of the source tree is listed in pyproject.toml, so a non-editable
install (the README's quickstart) ships it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapped = {name: ROOT / folder for name, folder in config["package-dir"].items()}
    found = set()
    for name, folder in mapped.items():
        for init in folder.rglob("__init__.py"):
            rel = init.parent.relative_to(folder)
            if any(part.startswith((".", "__")) for part in rel.parts):
                continue
            found.add(".".join((name, *rel.parts)))
    assert found == listed, (f"missing from [tool.setuptools] packages: {sorted(found - listed)}; "
                             f"listed but absent: {sorted(listed - found)}")
