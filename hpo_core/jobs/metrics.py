"""Metric extraction from training-job log lines (AMT ``MetricDefinitions`` semantics).

Each definition's regex is searched in every stdout and stderr line; its first capture group is
the value. Every match is one step of that metric (1, 2, ...: an epoch, for early stopping and
Hyperband); the last match is the final value. A line that is a JSON object is read as metric
values instead: each key naming a defined metric with a numeric value is a match (and regexes
are not run on that line, so one line never counts twice).

Limits (:mod:`hpo_core.jobs.patterns`): a line is searched on its first
:data:`~hpo_core.jobs.patterns.LINE_LIMIT` characters; regexes run on RE2 (linear time) or,
for what RE2 cannot run, with a time budget per line, past which the regex is dropped for the
training job.

A value must be a finite float: a capture that is not a number, ``nan``, ``inf``, or a number
beyond the float range (``1e400``, a 400-digit integer) is not a value. For the objective metric
that fails the training job, with a reason naming the metric and the capture; so does an
objective that never matched, or whose regex was dropped. Other metrics skip such a value (or
lose their dropped regex) with a note (:meth:`MetricScraper.pop_notes`), which the tuner
records as an event of the training job.

A scraper is used from two threads: :meth:`MetricScraper.extract` (pure search, on the
backend's reader thread, so no regex holds the tuner's loop) and :meth:`MetricScraper.apply`
(the metric's history, on the tuner's thread); :meth:`MetricScraper.feed` does both.

:func:`default_regex` is the definition used when a job defines no regex for its objective; it
matches ``name=value`` and ``name: value``, which :func:`hpo_core.training.report` prints.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from hpo_core.jobs.patterns import LINE_LIMIT, PatternSet, check_runnable

__all__ = ["NUMBER", "Extract", "MetricDefinition", "MetricScraper", "MetricUpdate",
           "compile_regex", "default_regex", "to_float"]

#: A decimal or scientific number, also ``nan``/``inf`` (those are captured, then rejected).
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def default_regex(name: str) -> str:
    """The regex used for metric ``name`` when the job gives none: ``name=0.93`` or
    ``name: 0.93`` preceded by the line start, a space, a comma or a semicolon."""
    return rf"(?:^|[\s,;]){re.escape(name)}\s*[=:]\s*({NUMBER})"


def compile_regex(regex: str) -> re.Pattern[str]:
    """Compile a MetricDefinition regex; it needs at least one capture group, and an engine
    of :mod:`hpo_core.jobs.patterns` must run it.

    Raises:
        ValueError: the regex is invalid or has no group (message says which).
    """
    try:
        pattern = re.compile(regex)
    except re.error as e:
        raise ValueError(f"invalid regular expression {regex!r}: {e}") from None
    if pattern.groups < 1:
        raise ValueError(f"regular expression {regex!r} has no capture group; the first group "
                         "captures the metric value, e.g. 'loss=([0-9.]+)'")
    check_runnable(regex)
    return pattern


@dataclass(frozen=True)
class MetricDefinition:
    """One AMT MetricDefinition: ``Name`` and ``Regex``."""

    name: str
    regex: str

    def compiled(self) -> re.Pattern[str]:
        return compile_regex(self.regex)


@dataclass(frozen=True)
class MetricUpdate:
    """One match: metric ``name`` took ``value`` at ``step`` (1, 2, ...)."""

    name: str
    step: int
    value: float


@dataclass
class Extract:
    """What one line held for a training job's metrics (falsy when nothing).

    Attributes:
        values: ``(metric, captured)``: the regex's text, or a JSON line's value.
        dropped: ``(metric, why)``: regexes dropped on this line (over their time budget).
        line: the line's start, for error messages.
    """

    values: list[tuple[str, object]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    line: str = ""

    def __bool__(self) -> bool:
        return bool(self.values or self.dropped)


class MetricScraper:
    """Reads one training job's log lines, keeps every metric's step count and last value.

    Args:
        definitions: the job's metric definitions.
        objective: the objective metric's name (it must be among ``definitions``).
        patterns: the definitions' compiled regexes, shared by the training jobs of one
            definition (compiled here when None).

    Attributes:
        steps: metric -> number of values read.
        error: why the objective is unusable (None: usable so far).
        notes: metric -> the first reason a value of it (or its regex) was not used.
    """

    def __init__(self, definitions: Sequence[MetricDefinition], objective: str,
                 patterns: PatternSet | None = None) -> None:
        self.definitions = list(definitions)
        self.objective = objective
        self._names = {d.name for d in self.definitions}
        if objective not in self._names:
            raise ValueError(f"objective metric {objective!r} has no definition")
        self._patterns = patterns or PatternSet([(d.name, d.regex) for d in self.definitions])
        self.steps: dict[str, int] = {}
        self.error: str | None = None
        self.notes: dict[str, str] = {}
        self._last: dict[str, list[float]] = {}  # the last two values (drop_last needs one more)
        self._dropped: set[str] = set()          # regexes dropped (added by reader threads)
        self._new_notes: list[tuple[str, str]] = []

    def feed(self, line: str) -> list[MetricUpdate]:
        """Read one log line (without its newline); return the matches it holds."""
        return self.apply(self.extract(line))

    def extract(self, line: str) -> Extract:
        """Search one line (its first :data:`LINE_LIMIT` characters); touches no history, so
        it runs on the thread that reads the job's output."""
        text = line[:LINE_LIMIT]
        pairs = self._json_metrics(text)
        if pairs is not None:
            return Extract(pairs, [], text[:200]) if pairs else Extract()
        scan = self._patterns.scan(text, self._dropped)
        self._dropped.update(name for name, _ in scan.dropped)
        if not scan.found and not scan.dropped:
            return Extract()
        return Extract(list(scan.found), scan.dropped, text[:200])

    def apply(self, found: Extract) -> list[MetricUpdate]:
        """Add what :meth:`extract` found to the metrics' history; return the new steps."""
        for name, why in found.dropped:
            if name == self.objective:
                self._fail(f"objective metric {name!r}: {why}")
            self._note(name, why)
        updates = []
        for name, captured in found.values:
            value, reason = to_float(captured)
            if value is None:
                shown = _short(captured)
                if name == self.objective:
                    self._fail(f"objective metric {name!r}: captured {shown}, {reason}, from "
                               f"line {found.line.strip()!r}")
                else:
                    self._note(name, f"captured {shown}, {reason}: value skipped")
                continue
            step = self.steps.get(name, 0) + 1
            self.steps[name] = step
            last = self._last.setdefault(name, [])
            last.append(value)
            del last[:-2]
            updates.append(MetricUpdate(name, step, value))
        return updates

    def pop_notes(self) -> list[tuple[str, str]]:
        """``(metric, note)`` for the notes added since the last call."""
        out, self._new_notes = self._new_notes, []
        return out

    def _fail(self, reason: str) -> None:
        if self.error is None:
            self.error = reason

    def _note(self, name: str, why: str) -> None:
        if name not in self.notes:
            self.notes[name] = why
            self._new_notes.append((name, why))

    def _json_metrics(self, text: str) -> list[tuple[str, object]] | None:
        text = text.strip()
        if not (text.startswith("{") and text.endswith("}")):
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, digits past int's limit, deep nesting
            return None
        if not isinstance(data, dict):
            return None
        return [(k, v) for k, v in data.items() if k in self._names]

    def drop_last(self, name: str) -> None:
        """Forget the last value of metric ``name`` (a step the tuner does not accept)."""
        values = self._last.get(name)
        if values:
            values.pop()
            self.steps[name] -= 1

    def final(self) -> dict[str, float]:
        """The last value of every metric that matched."""
        return {name: values[-1] for name, values in self._last.items() if values}

    def objective_value(self) -> tuple[float | None, str | None]:
        """``(value, None)`` or ``(None, why the objective is unusable)``."""
        if self.error is not None:
            return None, self.error
        values = self._last.get(self.objective)
        if not values:
            regex = next(d.regex for d in self.definitions if d.name == self.objective)
            return None, (f"objective metric {self.objective!r} was never found in the log "
                          f"(regex {regex!r} matched no line)")
        return values[-1], None


_FLOAT_RANGE = "beyond the float range (about ±1.8e308)"
_INFINITY = re.compile(r"[-+]?(?:inf|infinity)", re.IGNORECASE)


def to_float(captured: object) -> tuple[float | None, str | None]:
    """``(value, None)`` for a finite float, else ``(None, why)``: ``"which is not a number"``,
    ``"which is NaN"``, ``"which is infinite"``, or beyond the float range (a JSON integer of
    400 digits, the text ``1e400``)."""
    if isinstance(captured, bool) or not isinstance(captured, int | float | str):
        return None, "which is not a number"
    if isinstance(captured, int):
        try:
            value = float(captured)
        except OverflowError:
            return None, f"which is {_FLOAT_RANGE}"
    elif isinstance(captured, str):
        text = captured.strip()
        try:
            value = float(text)
        except ValueError:
            return None, "which is not a number"
        if math.isinf(value) and not _INFINITY.fullmatch(text):
            return None, f"which is {_FLOAT_RANGE}"
    else:
        value = captured
    if math.isnan(value):
        return None, "which is NaN"
    if math.isinf(value):
        return None, "which is infinite"
    return value, None


def _short(captured: object) -> str:
    """``captured`` for a message, at most about 80 characters."""
    if isinstance(captured, int) and not isinstance(captured, bool) and \
            captured.bit_length() > 128:
        return f"an integer of about {int(captured.bit_length() * math.log10(2)) + 1} digits"
    text = repr(captured)
    return text if len(text) <= 60 else f"{text[:40]}...{text[-10:]} ({len(text)} characters)"
