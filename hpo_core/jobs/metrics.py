"""Metric extraction from training-job log lines (AMT ``MetricDefinitions`` semantics).

Each definition's regex is searched in every stdout and stderr line; its first capture group is
the value. Every match is one step of that metric (1, 2, ...: an epoch, for early stopping and
Hyperband); the last match is the final value. A line that is a JSON object is read as metric
values instead: each key naming a defined metric with a numeric value is a match (and regexes
are not run on that line, so one line never counts twice).

The objective metric fails its training job when it never matched, or when a capture was not a
number (the regex is wrong); other metrics skip non-numeric captures.

:func:`default_regex` is the definition used when a job defines no regex for its objective; it
matches ``name=value`` and ``name: value``, which :func:`hpo_core.training.report` prints.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

__all__ = ["NUMBER", "MetricDefinition", "MetricScraper", "MetricUpdate", "compile_regex",
           "default_regex"]

#: A decimal or scientific number, also ``nan``/``inf`` (those are captured, then rejected).
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def default_regex(name: str) -> str:
    """The regex used for metric ``name`` when the job gives none: ``name=0.93`` or
    ``name: 0.93`` preceded by the line start, a space, a comma or a semicolon."""
    return rf"(?:^|[\s,;]){re.escape(name)}\s*[=:]\s*({NUMBER})"


def compile_regex(regex: str) -> re.Pattern[str]:
    """Compile a MetricDefinition regex; it needs at least one capture group.

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
class MetricScraper:
    """Reads one training job's log lines, keeps every metric's history.

    Args:
        definitions: the job's metric definitions.
        objective: the objective metric's name (it must be among ``definitions``).
    """

    definitions: list[MetricDefinition]
    objective: str
    history: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None
    _patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._patterns = [(d.name, d.compiled()) for d in self.definitions]
        self._names = {d.name for d in self.definitions}
        if self.objective not in self._names:
            raise ValueError(f"objective metric {self.objective!r} has no definition")

    def feed(self, line: str) -> list[MetricUpdate]:
        """Read one log line (without its newline); return the matches it holds."""
        found = self._json_metrics(line)
        if found is None:
            found = []
            for name, pattern in self._patterns:
                m = pattern.search(line)
                if m is not None:
                    found.append((name, m.group(1)))
        updates = []
        for name, captured in found:
            value = _to_float(captured)
            if value is None:
                if name == self.objective and self.error is None:
                    self.error = (f"objective metric {name!r}: captured {captured!r}, which is "
                                  f"not a number, from line {line.strip()[:200]!r}")
                continue
            steps = self.history.setdefault(name, [])
            steps.append(value)
            updates.append(MetricUpdate(name, len(steps), value))
        return updates

    def _json_metrics(self, line: str) -> list[tuple[str, object]] | None:
        text = line.strip()
        if not (text.startswith("{") and text.endswith("}")):
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return [(k, v) for k, v in data.items() if k in self._names]

    def drop_last(self, name: str) -> None:
        """Forget the last value of metric ``name`` (a step the tuner does not accept)."""
        values = self.history.get(name)
        if values:
            values.pop()

    def final(self) -> dict[str, float]:
        """The last value of every metric that matched."""
        return {name: values[-1] for name, values in self.history.items() if values}

    def objective_value(self) -> tuple[float | None, str | None]:
        """``(value, None)`` or ``(None, why the objective is unusable)``."""
        if self.error is not None:
            return None, self.error
        values = self.history.get(self.objective)
        if not values:
            regex = next(d.regex for d in self.definitions if d.name == self.objective)
            return None, (f"objective metric {self.objective!r} was never found in the log "
                          f"(regex {regex!r} matched no line)")
        return values[-1], None


def _to_float(captured: object) -> float | None:
    if isinstance(captured, bool):
        return None
    if isinstance(captured, int | float):
        value = float(captured)
    elif isinstance(captured, str):
        try:
            value = float(captured.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None
