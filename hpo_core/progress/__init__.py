"""Live progress on a terminal: a bar with done/total, free-form fields and lines above it.

    display = open_display(total=50, stream=sys.stderr)   # rich when installed, else plain
    display.update(12, {"best": "0.93", "left": "1:20"})  # redrawn in place
    display.write("job-012: Completed 0.93")              # a line above the bar
    display.close()

The bar is drawn with `rich <https://github.com/Textualize/rich>`_ (extra ``progress``) when it
is installed and ``stream`` is a terminal; otherwise one plain status line is redrawn with
``\\r``. Callers decide whether a live display is wanted at all (off a terminal they print plain
lines of their own). Importing this module loads no third-party package.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from typing import IO, Any, Protocol

__all__ = ["CountProgress", "Display", "clock_text", "is_terminal", "open_display", "time_left"]


class Display(Protocol):
    """What :func:`open_display` returns."""

    def update(self, done: int, fields: Mapping[str, str]) -> None:
        """Redraw: ``done`` of the total, then ``name value`` for each field, in order."""

    def write(self, line: str) -> None:
        """Print one line above the bar (as is: no markup)."""

    def close(self) -> None:
        """Remove the bar (lines written stay)."""


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


def clock_text(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss`` below an hour); ``-`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def time_left(elapsed: float, done: int, total: int) -> float | None:
    """Seconds left at the rate so far (``elapsed / done`` per unit); None before the first
    unit is done."""
    if done <= 0 or total <= 0:
        return None
    return max(total - done, 0) * elapsed / done


def open_display(total: int, stream: IO[str] | None = None, label: str = "",
                 keep: bool = False) -> Display:
    """A live display on ``stream`` (stderr by default): rich's bar when rich is installed,
    else a plain line redrawn in place. ``keep``: leave the last bar on screen at ``close``."""
    stream = stream or sys.stderr
    try:
        return _RichDisplay(total, stream, label, keep)
    except ImportError:
        return _PlainDisplay(total, stream, label, keep)


class _PlainDisplay:
    """No dependency: ``[#####-----] 3/6 running 1 ...`` redrawn with ``\\r``."""

    def __init__(self, total: int, stream: IO[str], label: str, keep: bool) -> None:
        self._total, self._stream, self._label, self._keep = total, stream, label, keep
        self._shown = False

    def update(self, done: int, fields: Mapping[str, str]) -> None:
        width = 20
        filled = min(width, int(width * done / self._total)) if self._total else 0
        extra = "  ".join(f"{k} {v}" for k, v in fields.items())
        label = f"{self._label} " if self._label else ""
        self._stream.write(f"\r\x1b[K{label}[{'#' * filled}{'-' * (width - filled)}] "
                           f"{done}/{self._total}  {extra}")
        self._stream.flush()
        self._shown = True

    def write(self, line: str) -> None:
        self._stream.write(f"\r\x1b[K{line}\n")
        self._stream.flush()
        self._shown = False

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n" if self._keep else "\r\x1b[K")
            self._stream.flush()
            self._shown = False


class _RichDisplay:
    """rich's Progress with one task; the fields are one text column."""

    def __init__(self, total: int, stream: IO[str], label: str, keep: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._console = Console(file=stream, highlight=False, soft_wrap=False)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[extra]}", markup=False), console=self._console,
            auto_refresh=False, transient=not keep)
        self._task = self._progress.add_task(label, total=total or None, extra="")
        self._progress.start()

    def update(self, done: int, fields: Mapping[str, str]) -> None:
        extra = "  ".join(f"{k} {v}" for k, v in fields.items())
        self._progress.update(self._task, completed=done, extra=extra)
        self._progress.refresh()

    def write(self, line: str) -> None:
        self._console.print(line, markup=False, highlight=False, emoji=False)

    def close(self) -> None:
        self._progress.stop()


class CountProgress:
    """Units done out of a total, with elapsed time and an estimate of the time left: a live
    bar on a terminal, else a plain line every ``every`` units (and at the last one).

    Args:
        total: units expected (the bar's end).
        stream: where it goes (stderr by default).
        label: the first word of each line, e.g. ``"optimize"``.
        every: units between plain lines off a terminal (default: a tenth of ``total``).
    """

    def __init__(self, total: int, stream: IO[str] | None = None, label: str = "",
                 every: int | None = None) -> None:
        self._total, self._label = total, label
        self._stream = stream or sys.stderr
        self._every = every or max(1, total // 10)
        self._start = time.monotonic()
        self._display = open_display(total, self._stream, label, keep=True) \
            if is_terminal(self._stream) else None

    def update(self, done: int, fields: Mapping[str, str]) -> None:
        elapsed = time.monotonic() - self._start
        shown = {**fields, "elapsed": clock_text(elapsed),
                 "left": clock_text(time_left(elapsed, done, self._total))}
        if self._display is not None:
            self._display.update(done, shown)
        elif done % self._every == 0 or done == self._total:
            extra = ", ".join(f"{k} {v}" for k, v in shown.items())
            self._stream.write(f"{self._label}: {done}/{self._total}, {extra}\n")
            self._stream.flush()

    def close(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None
