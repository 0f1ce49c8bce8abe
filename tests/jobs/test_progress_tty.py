"""``hpo tune``'s progress: a live bar under a pseudo-terminal (done/total, running, failed,
best, elapsed, time left), the old plain lines off a terminal, nothing but the result with
``--quiet``."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.jobs.helpers import base_doc, dump, write_script
from tests.optional import require

#: The plain line of a training job event: ``HH:MM:SS <text>``.
EVENT = re.compile(r"^\d\d:\d\d:\d\d \S")


def _job(tmp_path: Path) -> Path:
    write_script(tmp_path)
    return dump(base_doc(max_jobs=6, parallel=1), tmp_path)


def _env() -> dict[str, str]:
    return {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "NO_COLOR": "1"}


def _tune_on_a_terminal(file: Path) -> tuple[int, str]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "hpo_core.cli", "tune", str(file)],
                            stdin=follower, stdout=follower, stderr=follower, env=_env(),
                            close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_tune_on_a_terminal_shows_live_progress(tmp_path: Path) -> None:
    require("rich")
    rc, text = _tune_on_a_terminal(_job(tmp_path))
    assert rc == 0, text
    for part in ("3/6", "5/6", "running 1", "failed 0", "best ", "elapsed ", "left "):
        assert part in text, (part, text[-3000:])
    assert re.search(r"job-00\d-\w+: Completed \d", text)  # the per-job lines stay
    assert "training jobs: 6 completed, 0 failed, 0 stopped" in text


def test_tune_off_a_terminal_prints_the_plain_lines(tmp_path: Path) -> None:
    file = _job(tmp_path)
    done = subprocess.run([sys.executable, "-m", "hpo_core.cli", "tune", str(file)],
                          capture_output=True, text=True, timeout=120, env=_env(),
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    assert all(EVENT.match(line) for line in lines), lines
    assert sum(": started" in line for line in lines) == 6
    assert sum(re.search(r": Completed \d", line) is not None for line in lines) == 6
    assert not any("/6" in line for line in lines)
    assert done.stdout.startswith("job: Completed")

    quiet = subprocess.run([sys.executable, "-m", "hpo_core.cli", "tune", str(file), "--dir",
                            str(tmp_path / "again"), "--quiet"], capture_output=True,
                           text=True, timeout=120, env=_env(), stdin=subprocess.DEVNULL)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith("job: Completed")
