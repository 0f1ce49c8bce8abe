"""The README as a user follows it: every shell block, in order, in a fresh copy of the checkout
with no virtualenv, each block run by bash after the one before it succeeded.

The test command's own block (between the ``test-command`` markers) is the one block left out:
it is what runs this test. The blocks install the quickstart's virtualenv from PyPI (pip's cache
is the user's, so a warm cache keeps it to a minute), run the 50-job quickstart (a few minutes on
2 cores) and the commands that follow it; a failure names the block's README line and shows the
block's output.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import USER_CACHE_HOME

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    line: int      # README line of the opening fence
    lang: str
    text: str
    test_command: bool


def readme_blocks(text: str) -> list[Block]:
    """Every fenced code block of ``text``, in order; unclosed fences are an error."""
    blocks: list[Block] = []
    lines = text.splitlines()
    in_marker = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "<!-- test-command -->":
            in_marker = True
        elif line.strip() == "<!-- /test-command -->":
            in_marker = False
        fence = _FENCE.match(line)
        if fence:
            start = i
            i += 1
            body: list[str] = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"README line {start + 1}: code block never closed")
            blocks.append(Block(start + 1, fence.group(1), "\n".join(body) + "\n", in_marker))
        i += 1
    return blocks


def test_readme_blocks_parse_fences_and_the_test_command() -> None:
    text = ("intro\n```bash\necho one\n```\n<!-- test-command -->\n```bash\nrun tests\n```\n"
            "<!-- /test-command -->\n```python\nx = 1\n```\n")
    blocks = readme_blocks(text)
    assert [(b.line, b.lang, b.text, b.test_command) for b in blocks] == [
        (2, "bash", "echo one\n", False), (6, "bash", "run tests\n", True),
        (10, "python", "x = 1\n", False)]
    with pytest.raises(ValueError, match="line 2"):
        readme_blocks("a\n```bash\nnever closed\n")


def test_the_readme_has_one_test_command_and_the_quickstart_first() -> None:
    shell = [b for b in readme_blocks(README.read_text()) if b.lang == "bash"]
    assert sum(b.test_command for b in shell) == 1
    # the two set-up commands: the quickstart (installs and runs the main job), then the tests
    assert "pip install" in shell[0].text and "hpo tune" in shell[0].text
    assert shell[1].test_command and "pytest" in shell[1].text


def test_readme_python_blocks_are_valid_python() -> None:
    for block in readme_blocks(README.read_text()):
        if block.lang == "python":
            try:
                ast.parse(block.text)
            except SyntaxError as err:  # pragma: no cover - the message is the point
                pytest.fail(f"README line {block.line + (err.lineno or 0)}: {err.msg}")


def _checkout_copy(dest: Path) -> None:
    """The files a fresh clone would have (tracked ones, plus new ones git does not ignore)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the README test copies what a clone holds")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _user_environment(tmp: Path) -> dict[str, str]:
    """A shell as a new user has it: no virtualenv active, nothing of the test run's setup."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "XDG_CACHE_HOME"}
           and not k.startswith("PYTEST_")}
    venv_bin = str(Path(sys.prefix) / "bin")
    if sys.prefix != sys.base_prefix:  # the test runs in a virtualenv: take it off PATH
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if p and os.path.abspath(p) != venv_bin)
    # pip keeps using the user's cache; the compiled-GP cache starts empty in the temp folder
    env["PIP_CACHE_DIR"] = str(Path(USER_CACHE_HOME) / "pip")
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    env["HOME"] = env.get("HOME", str(tmp))
    return env


@pytest.mark.slow
def test_every_readme_shell_block_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("bash") is None:  # pragma: no cover - every supported machine has bash
        pytest.skip("bash is not installed")
    repo = tmp_path / "clone"
    _checkout_copy(repo)
    assert not (repo / ".venv").exists()
    env = _user_environment(tmp_path)
    blocks = [b for b in readme_blocks((repo / "README.md").read_text())
              if b.lang in {"bash", "sh", "shell"} and not b.test_command]
    assert len(blocks) >= 4, "the README's shell blocks were not found"
    outputs: dict[int, str] = {}
    for block in blocks:
        proc = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.text], cwd=repo, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=1800)
        outputs[block.line] = proc.stdout
        assert proc.returncode == 0, (
            f"README line {block.line}: the block exited {proc.returncode}\n"
            f"--- block ---\n{block.text}--- output (last 6000 characters) ---\n"
            f"{proc.stdout[-6000:]}")
    # What the blocks promise, checked on what they left behind.
    quickstart = outputs[blocks[0].line]
    assert re.search(r"best training job: xgb-digits-\d{3}-\w+ validation:accuracy=0\.\d+",
                     quickstart), quickstart[-3000:]
    assert (repo / "report.html").stat().st_size > 10_000
    header = (repo / "trials.csv").read_text().splitlines()[0]
    assert "TrainingJobName" in header or "name" in header.lower(), header
    assert len((repo / "trials.csv").read_text().splitlines()) == 51  # header + 50 jobs
    assert len(list((repo / "examples/own_script/runs/own-script/training-jobs").iterdir())) == 12
    assert len(list((repo / "runs/own-script-2/training-jobs").iterdir())) == 12
