"""The layout's rules, checked on the installed layout: import-linter's contracts in
pyproject.toml (layers, what the GP core, the kernels, the adapters and the training helper may
import, no cycles) and the short list of modules at the top of hpo_core/.

The editable install maps kernels/, adapters/ and benchmarks/ into ``hpo_core`` with an import
hook that import-linter cannot follow, so the package is first assembled as it is installed (a
copy in a temporary folder) and the linter reads that copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The public shell: the only files allowed at the top of hpo_core/.
TOP_LEVEL = {"__init__.py", "analytics.py", "errors.py", "optimizer.py", "persist.py",
             "py.typed", "training.py", "trial.py"}


def _assembled(tmp: Path) -> Path:
    """hpo_core as installed: hpo_core/ with kernels/, adapters/, benchmarks/ inside."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "data")
    pkg = tmp / "hpo_core"
    shutil.copytree(ROOT / "hpo_core", pkg, ignore=ignore)
    for folder in ("kernels", "adapters", "benchmarks"):
        shutil.copytree(ROOT / folder, pkg / folder, ignore=ignore)
    return tmp


def test_top_of_hpo_core_is_only_the_public_shell() -> None:
    files = {p.name for p in (ROOT / "hpo_core").iterdir() if p.is_file()}
    assert files <= TOP_LEVEL, f"modules outside a subpackage: {sorted(files - TOP_LEVEL)}"
    assert len(files) <= 8


def test_import_contracts_hold(tmp_path: Path) -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        if os.environ.get("CI"):
            pytest.fail("import-linter (extra 'dev') is not installed")
        pytest.skip("import-linter (extra 'dev') is not installed")
    src = _assembled(tmp_path / "src")
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # The copy, not the editable install, was read: the mapped folders are in the graph.
    assert "Contracts: 5 kept, 0 broken" in done.stdout, done.stdout[-2000:]


def test_linter_sees_a_cycle(tmp_path: Path) -> None:
    """The contracts can fail: a copy with one import that closes a cycle is refused."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter (extra 'dev') is not installed")
    src = _assembled(tmp_path / "src")
    bad = src / "hpo_core" / "kernels" / "brackets.py"
    bad.write_text(bad.read_text() + "\nfrom hpo_core.kernels import asha  # noqa\n")
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "broken" in done.stdout
