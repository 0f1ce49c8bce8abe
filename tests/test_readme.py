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
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import USER_CACHE_HOME
from tests.optional import under_ci

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


def _cannot(reason: str) -> None:
    """Skip the README test for ``reason``, or fail it under CI, where it must run."""
    if under_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _checkout_copy(dest: Path) -> None:
    """The files a fresh clone would have (tracked ones, plus new ones git does not ignore)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        _cannot("not a git checkout with git installed: the README test copies what a clone "
                "holds")
    listed = subprocess.run(  # safe.directory: a checkout owned by another user (containers)
        ["git", "-c", f"safe.directory={ROOT}", "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"],
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
    venv_bin = os.path.realpath(Path(sys.prefix) / "bin")
    if sys.prefix != sys.base_prefix:  # the test runs in a virtualenv: take it off PATH
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if p and os.path.realpath(p) != venv_bin)
    # pip keeps using the user's cache; the compiled-GP cache starts empty in the temp folder
    env["PIP_CACHE_DIR"] = str(Path(USER_CACHE_HOME) / "pip")
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    env["HOME"] = env.get("HOME", str(tmp))
    return env


def _run_block(block: Block, repo: Path, env: dict[str, str], timeout: float) -> str:
    """Run one block with bash in its own process group (a timeout kills the whole group:
    the tuner and its training jobs too); the output, or a failure naming the README line."""
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", block.text], cwd=repo, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"README line {block.line}: the block ran past {timeout:.0f} s\n"
                    f"--- output (last 6000 characters) ---\n{out[-6000:]}")
    assert proc.returncode == 0, (
        f"README line {block.line}: the block exited {proc.returncode}\n"
        f"--- block ---\n{block.text}--- output (last 6000 characters) ---\n{out[-6000:]}")
    return out


@pytest.mark.slow
def test_every_readme_shell_block_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("bash") is None:  # pragma: no cover - every supported machine has bash
        _cannot("bash is not installed")
    env = _user_environment(tmp_path)
    probe = subprocess.run(  # the quickstart's `python3 -m venv` needs 3.11+ with venv/pip
        ["python3", "-c", "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"],
        env=env, capture_output=True)
    if probe.returncode != 0:
        _cannot("the README needs python3 >= 3.11 with venv and ensurepip on PATH")
    repo = tmp_path / "clone"
    _checkout_copy(repo)
    assert not (repo / ".venv").exists()
    blocks = [b for b in readme_blocks((repo / "README.md").read_text())
              if b.lang in {"bash", "sh", "shell"} and not b.test_command]
    assert len(blocks) >= 4, "the README's shell blocks were not found"
    outputs = {block.line: _run_block(block, repo, env, timeout=1800) for block in blocks}
    # What the blocks promise, checked on what they left behind.
    quickstart = outputs[blocks[0].line]
    assert re.search(r"best training job: xgb-digits-\d{3}-\w+ validation:accuracy=[01](\.\d+)?",
                     quickstart), quickstart[-3000:]
    for name in ("alpha", "eta", "min_child_weight", "max_depth"):  # the best job's values
        assert f"  {name} = " in quickstart, name
    models = repo.glob("examples/xgboost_digits/runs/xgb-digits/training-jobs/*/model/"
                       "xgboost-model.json")
    assert len(list(models)) == 50  # every training job saved its model (SM_MODEL_DIR)
    assert (repo / "report.html").stat().st_size > 10_000
    with (repo / "trials.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["TrainingJobName", "Status", "Objective"], rows[0]
    assert len(rows) == 51 and {r[1] for r in rows[1:]} == {"Completed"}  # the 50 jobs
    assert len(list((repo / "examples/own_script/runs/own-script/training-jobs").iterdir())) == 12
    assert len(list((repo / "runs/own-script-2/training-jobs").iterdir())) == 12
    shutil.rmtree(repo, ignore_errors=True)  # a virtualenv of ~1 GB; kept when a block fails
