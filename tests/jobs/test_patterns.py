"""Metric regexes on RE2 and on the budgeted ``regex`` engine: same answers as ``re``, no
stall on hostile patterns or lines."""

from __future__ import annotations

import re
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.jobs import patterns
from hpo_core.jobs.patterns import BUDGET_S, LINE_LIMIT, PatternSet, check_runnable, engine_of

EVIL = "a" * 100_000 + "!"


def test_catastrophic_pattern_runs_on_re2_in_linear_time() -> None:
    ps = PatternSet([("loss", r"loss=([0-9.]+)"), ("evil", r"(a+)+$")])
    assert ps.engines == {"loss": "re2", "evil": "re2"}
    start = time.thread_time()
    assert ps.scan(EVIL).found == []
    assert ps.scan("loss=0.5").found == [("loss", "0.5")]
    assert time.thread_time() - start < 0.1  # Python's re: hours


@pytest.mark.parametrize("regex", [
    r"(?<=loss=)([0-9.]+)", r"(a)\1", r"(?=x)(\d+)", r"(\d+)\Z", r"(?x) loss = (\d+)",
    r"(a{,3})", r"([[:alpha:]]+)", r"(\d++)", r"(?>a)(b)", r"(a{1001})"])
def test_what_re2_cannot_run_or_reads_otherwise_goes_to_the_budgeted_engine(regex: str) -> None:
    assert engine_of(regex) == "regex"
    check_runnable(regex)


def test_fallback_pattern_with_catastrophic_backtracking_is_dropped_with_its_reason() -> None:
    ps = PatternSet([("loss", r"loss=([0-9.]+)"), ("evil", r"(?=a)(a+)+$")])
    assert ps.engines["evil"] == "regex"
    start = time.thread_time()
    scan = ps.scan(EVIL)
    assert time.thread_time() - start < BUDGET_S + 0.5  # CPU seconds (wall: more when loaded)
    assert scan.found == []
    [(name, why)] = scan.dropped
    assert name == "evil" and "(?=a)(a+)+$" in why and "per line" in why
    assert ps.scan("loss=0.25", skip={"evil"}).found == [("loss", "0.25")]  # no second wait


def test_the_budgeted_engine_leaves_other_threads_running() -> None:
    ps = PatternSet([("evil", r"(?=a)(a+)+$")])
    ticks = []

    def tick() -> None:
        end = time.monotonic() + BUDGET_S
        while time.monotonic() < end:
            ticks.append(1)
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    ps.scan(EVIL)
    t.join()
    assert len(ticks) > BUDGET_S / 0.01 / 4  # the GIL was released while it searched


def test_an_re2_search_over_the_budget_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    ps = PatternSet([("loss", r"loss=([0-9.]+)")])
    clock = iter([0.0, BUDGET_S + 1.0])
    monkeypatch.setattr(patterns.time, "thread_time", lambda: next(clock))
    scan = ps.scan("loss=1")
    assert scan.found == [] and scan.dropped[0][0] == "loss"
    assert "took 1.50 s" in scan.dropped[0][1]


def test_long_lines_are_searched_on_their_first_line_limit_characters() -> None:
    ps = PatternSet([("head", r"^(start)"), ("tail", r"(end)$")])
    line = "start" + "x" * (2 * LINE_LIMIT) + "end"
    assert ps.scan(line).found == [("head", "start")]


def test_found_values_come_in_definition_order_whatever_the_engine() -> None:
    ps = PatternSet([("a", r"(?<=a=)(\d)"), ("b", r"b=(\d)"), ("c", r"c=(\d)")])
    assert ps.scan("c=3 b=2 a=1").found == [("a", "1"), ("b", "2"), ("c", "3")]


def test_non_ascii_lines_and_captures() -> None:
    ps = PatternSet([("loss", r"perte=([0-9.]+)"), ("tag", r"tag=(\S+)")])
    assert ps.scan("époque 1 perte=0.5 tag=évalué").found == [("loss", "0.5"), ("tag", "évalué")]
    assert ps.scan("bad \udcff surrogate perte=1").found == [("loss", "1")]


def test_optional_group_that_did_not_take_part_is_none() -> None:
    ps = PatternSet([("m", r"m(=(\d))?")])
    assert ps.scan("m").found == [("m", None)]


_ATOMS = st.sampled_from(["a", "b", "0", r"\.", "=", "[ab]", "[0-9]", r"\d", ".", "x?"])


def _regex(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.lists(_ATOMS, min_size=1, max_size=3).map("".join)
    if depth == 0:
        return leaf
    inner = _regex(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,2}", "*?", "+?"])).map(
            lambda t: f"(?:{t[0]}){t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"(?:{t[0]}|{t[1]})"),
        st.tuples(inner, inner).map("".join),
    )


_LINES = st.text(alphabet="ab0.=x ", max_size=30)


@given(st.tuples(_regex(), _regex(), _regex()), _LINES)
def test_re2_answers_as_re_does(parts: tuple[str, str, str], line: str) -> None:
    pattern = f"{parts[0]}({parts[1]}){parts[2]}"
    ps = PatternSet([("m", pattern)])
    assert ps.engines["m"] == "re2"
    m = re.search(pattern, line)
    assert ps.scan(line).found == ([] if m is None else [("m", m.group(1))])


@given(st.tuples(_regex(), _regex()), _LINES)
def test_the_budgeted_engine_answers_as_re_does(parts: tuple[str, str], line: str) -> None:
    pattern = f"(?<![x])({parts[0]})(?=\\s|$){parts[1]}"  # look-around: not for RE2
    ps = PatternSet([("m", pattern)])
    assert ps.engines["m"] == "regex"
    m = re.search(pattern, line)
    assert ps.scan(line).found == ([] if m is None else [("m", m.group(1))])
