"""Metric regexes that cannot stall the tuner, whatever the pattern and the log line.

A MetricDefinition regex is written in Python's ``re`` syntax (the job document is validated
with ``re``). :class:`PatternSet` compiles a definition's regexes once, for all its training
jobs, on two engines:

- **RE2** (the ``google-re2`` package) runs every pattern it supports in time linear in the
  line's length, whatever the pattern: ``(a+)+$`` on 100,000 ``a`` and a ``!`` takes well under
  a millisecond, where ``re`` backtracks for hours. A line is first matched against all of a
  definition's RE2 patterns in one pass (an ``re2.Set``); only those that match are searched
  again for their first group. RE2's ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only.
- Patterns RE2 cannot run (look-around, backreferences, atomic groups and possessive
  quantifiers, ``(?x)``, ``\\Z``, ``{,n}``, ``[[:alpha:]]``, repeats over 1000) run on the
  ``regex`` package, which follows ``re``'s semantics, releases the GIL while it searches and
  gives up after :data:`BUDGET_S` seconds of CPU time.

A pattern that takes more than :data:`BUDGET_S` CPU seconds on one line (a ``regex`` search is
cut there; an RE2 search, linear, is timed) is dropped for that training job: :meth:`scan`
says so once, with the reason, and later lines are not searched with it. The budget is CPU
time, so a loaded machine does not drop a pattern that is merely slow to be scheduled.

Notation: ``text`` is a log line (``str``, at most :data:`LINE_LIMIT` characters are
searched); ``data`` is its UTF-8 encoding, what RE2 searches.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2
import regex

from hpo_core.adapters.base import LINE_LIMIT

__all__ = ["BUDGET_S", "LINE_LIMIT", "PatternSet", "Scan", "check_runnable", "engine_of"]

#: CPU seconds one regex may spend on one line before it is dropped for the training job.
BUDGET_S = 0.5
#: Python syntax that RE2 parses with another meaning: ``{,n}`` (RE2: literal text) and
#: ``[[:alpha:]]`` (Python: a set of characters; RE2: a POSIX class).
_RE2_READS_OTHERWISE = re.compile(r"\{,|\[:")
_RE2_MAX_MEM = 1 << 20  # DFA memory of one pattern (past it RE2 uses its NFA: still linear)
_SET_MAX_MEM = 8 << 20


def _re2_options(max_mem: int) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = max_mem
    return options


def _on_re2(pattern: str) -> Any | None:
    """The RE2 compilation of ``pattern`` when RE2 reads it as Python does, else None."""
    if _RE2_READS_OTHERWISE.search(pattern):
        return None
    try:
        compiled = re2.compile(pattern, _re2_options(_RE2_MAX_MEM))
    except re2.error:
        return None
    return compiled if compiled.groups == re.compile(pattern).groups else None


def engine_of(pattern: str) -> str:
    """``"re2"`` or ``"regex"``: the engine that runs ``pattern`` (a valid ``re`` pattern)."""
    return "re2" if _on_re2(pattern) is not None else "regex"


def check_runnable(pattern: str) -> None:
    """Raise ValueError when neither engine can run ``pattern`` (valid for ``re``)."""
    if _on_re2(pattern) is not None:
        return
    try:
        regex.compile(pattern)
    except regex.error as e:
        raise ValueError(f"regular expression {pattern!r} cannot be run with a time limit "
                         f"(RE2 does not support it and the regex module rejects it: {e})") \
            from None


@dataclass
class Scan:
    """What one line held: ``found`` ``(metric, captured text or None)`` for every regex that
    matched; ``dropped`` ``(metric, why)`` for every regex that ran over its budget."""

    found: list[tuple[str, str | None]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


class PatternSet:
    """The compiled regexes of one training-job definition; safe to share between threads.

    Args:
        definitions: ``(metric name, regex)`` pairs, each regex valid for ``re`` with at
            least one group.
    """

    def __init__(self, definitions: Sequence[tuple[str, str]]) -> None:
        # (definition index, name, regex, compiled): RE2 patterns, regex-module patterns
        self._fast: list[tuple[int, str, str, Any]] = []
        self._slow: list[tuple[int, str, str, Any]] = []
        for i, (name, pattern) in enumerate(definitions):
            compiled = _on_re2(pattern)
            if compiled is not None:
                self._fast.append((i, name, pattern, compiled))
            else:
                check_runnable(pattern)
                self._slow.append((i, name, pattern, regex.compile(pattern)))
        self._set = self._one_pass() if len(self._fast) > 1 else None

    def _one_pass(self) -> Any | None:
        one = re2.Set.SearchSet(_re2_options(_SET_MAX_MEM))
        try:
            for _, _, pattern, _ in self._fast:
                one.Add(pattern)
            one.Compile()
        except re2.error:
            return None  # each pattern is then searched on its own
        return one

    @property
    def engines(self) -> dict[str, str]:
        """Metric name -> ``"re2"`` or ``"regex"``."""
        return {**{n: "re2" for _, n, _, _ in self._fast},
                **{n: "regex" for _, n, _, _ in self._slow}}

    def scan(self, text: str, skip: Collection[str] = ()) -> Scan:
        """Search ``text`` (its first :data:`LINE_LIMIT` characters) with every regex whose
        metric is not in ``skip``; each regex's first match counts."""
        text = text[:LINE_LIMIT]
        found: list[tuple[int, str, str | None]] = []
        dropped: list[tuple[str, str]] = []
        if self._fast:
            data = text.encode("utf-8", errors="replace")
            hits = range(len(self._fast)) if self._set is None else self._set.Match(data)
            for k in hits or ():
                i, name, pattern, compiled = self._fast[k]
                if name in skip:
                    continue
                start = time.thread_time()
                m = compiled.search(data)
                spent = time.thread_time() - start
                if spent > BUDGET_S:
                    dropped.append((name, _overrun(pattern, f"took {spent:.2f} s")))
                elif m is not None:
                    value = m.group(1)
                    found.append((i, name, None if value is None else
                                  value.decode("utf-8", errors="replace")))
        for i, name, pattern, compiled in self._slow:
            if name in skip:
                continue
            try:
                m = compiled.search(text, timeout=BUDGET_S, concurrent=True)
            except TimeoutError:
                dropped.append((name, _overrun(pattern, f"ran past {BUDGET_S:g} s")))
                continue
            if m is not None:
                found.append((i, name, m.group(1)))
        if len(found) > 1:
            found.sort(key=lambda f: f[0])  # in definition order
        return Scan([(name, value) for _, name, value in found], dropped)

def _overrun(pattern: str, spent: str) -> str:
    return (f"regex {pattern!r} {spent} on one line (more than the {BUDGET_S:g} CPU seconds a "
            "regex may take per line: catastrophic backtracking?); not used for the rest of "
            "this training job")
