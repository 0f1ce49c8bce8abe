"""The live display of hpo_core.progress and the tuner's Progress built on it: rich's bar on a
terminal, the plain redrawn line without rich, nothing live off a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from hpo_core.jobs.views import Progress
from hpo_core.progress import CountProgress, clock_text, open_display, time_left
from tests.optional import require


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import rich`` fails, as without the ``progress`` extra."""
    for name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rich", None)


def test_clock_and_time_left() -> None:
    assert [clock_text(s) for s in (None, -1.0, 0.4, 65, 3725)] == ["-", "-", "0:00", "1:05",
                                                                     "1:02:05"]
    assert time_left(30.0, 0, 6) is None
    assert time_left(30.0, 3, 6) == 30.0
    assert time_left(30.0, 6, 6) == 0.0


def _tuner_output(stream: io.StringIO) -> str:
    p = Progress(stream=stream)
    assert p.live
    p.status(3, 1, 1, 6, 0.25, elapsed=30.0)
    p.event("job-003: Completed 0.25")
    p.status(4, 1, 1, 6, 0.125, elapsed=40.0)
    p.close()
    return stream.getvalue()


def test_tuner_progress_with_rich() -> None:
    require("rich")
    text = _tuner_output(_Terminal())
    for part in ("3/6", "4/6", "running 1", "failed 1", "best 0.25", "best 0.125",
                 "elapsed 0:30", "left 0:30", "left 0:20", "job-003: Completed 0.25"):
        assert part in text, (part, text)


def test_tuner_progress_without_rich_is_a_plain_redrawn_line(no_rich: None) -> None:
    text = _tuner_output(_Terminal())
    assert "\r\x1b[K[##########----------] 3/6  running 1  failed 1  best 0.25  " \
           "elapsed 0:30  left 0:30" in text
    assert "job-003: Completed 0.25\n" in text and "4/6" in text


def test_off_a_terminal_only_the_event_lines() -> None:
    stream = io.StringIO()
    p = Progress(stream=stream)
    assert not p.live
    p.status(3, 1, 0, 6, 0.5, elapsed=3.0)
    p.event("job-003: Completed 0.5")
    p.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith(" job-003: Completed 0.5")
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_quiet_prints_nothing() -> None:
    stream = _Terminal()
    p = Progress(quiet=True, stream=stream)
    p.status(1, 0, 0, 2, None, elapsed=1.0)
    p.event("x")
    p.close()
    assert stream.getvalue() == ""


def test_markup_in_a_line_is_printed_as_is() -> None:
    require("rich")
    stream = _Terminal()
    d = open_display(2, stream)
    d.write("job [bold]x[/bold]: failed")
    d.close()
    assert "job [bold]x[/bold]: failed" in stream.getvalue()


def test_count_progress_off_a_terminal_prints_every_tenth() -> None:
    stream = io.StringIO()
    bar = CountProgress(20, stream=stream, label="optimize")
    for done in range(1, 21):
        bar.update(done, {"best": str(done)})
    bar.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [f"optimize: {n}/20" for n in range(2, 21, 2)]
    assert lines[-1].startswith("optimize: 20/20, best 20, elapsed ")
