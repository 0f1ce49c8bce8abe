"""Metric scraping: AMT regex semantics, JSON metric lines, failures."""

from __future__ import annotations

import re

import pytest

from hpo_core import training
from hpo_core.jobs.metrics import MetricDefinition, MetricScraper, compile_regex, default_regex


def _scraper(regex: str = r"loss=([^ ;]+)", extra: list[MetricDefinition] | None = None
             ) -> MetricScraper:
    return MetricScraper([MetricDefinition("loss", regex), *(extra or [])], "loss")


def test_every_match_is_a_step_and_the_last_wins() -> None:
    s = _scraper()
    steps = []
    for line in ["starting", "epoch 1 loss=0.9", "noise", "epoch 2 loss=0.5",
                 "epoch 3 loss=0.7"]:
        steps += s.feed(line)
    assert [(u.step, u.value) for u in steps] == [(1, 0.9), (2, 0.5), (3, 0.7)]
    assert s.objective_value() == (0.7, None)  # last, not best
    assert s.final() == {"loss": 0.7}


def test_first_group_is_the_value() -> None:
    s = _scraper(r"(loss)=([0-9.]+)")
    s.feed("loss=0.3")
    value, why = s.objective_value()
    assert value is None and "not a number" in why  # group 1 is 'loss'


def test_no_match_fails_with_the_regex() -> None:
    s = _scraper()
    s.feed("accuracy=0.9")
    value, why = s.objective_value()
    assert value is None
    assert "never found" in why and "loss=" in why


def test_non_numeric_capture_fails_the_objective_only() -> None:
    s = _scraper(extra=[MetricDefinition("acc", r"acc=(\S+)")])
    s.feed("acc=high")  # other metrics: skipped
    s.feed("loss=0.5")
    assert s.objective_value() == (0.5, None)
    s.feed("loss=abc")
    value, why = s.objective_value()
    assert value is None and "'abc'" in why and "not a number" in why


def test_nan_capture_is_not_a_number() -> None:
    s = _scraper()
    s.feed("loss=nan")
    assert s.objective_value()[0] is None


def test_json_lines_count_once() -> None:
    s = _scraper(r'"loss": ([0-9.]+)', extra=[MetricDefinition("acc", r"acc=(\S+)")])
    ups = s.feed('{"loss": 0.25, "acc": 0.75, "other": 1}')
    assert sorted((u.name, u.value) for u in ups) == [("acc", 0.75), ("loss", 0.25)]
    assert s.steps == {"loss": 1, "acc": 1}
    assert s.final() == {"loss": 0.25, "acc": 0.75}
    assert s.feed("{not json") == []


def test_default_regex_matches_training_report(capsys: pytest.CaptureFixture[str]) -> None:
    line = training.report({"validation:accuracy": 0.93}, loss=1e-3)
    assert capsys.readouterr().out == line + "\n"
    s = MetricScraper([MetricDefinition("validation:accuracy",
                                        default_regex("validation:accuracy")),
                       MetricDefinition("loss", default_regex("loss"))], "validation:accuracy")
    assert {(u.name, u.value) for u in s.feed(line)} == {("validation:accuracy", 0.93),
                                                          ("loss", 0.001)}
    assert s.feed("train-loss=5") == []  # the name must start a word
    assert [u.value for u in s.feed("loss: -2.5e-1")] == [-0.25]


@pytest.mark.parametrize("regex", ["loss=([0-9", "loss=[0-9]+", "(?P<x"])
def test_invalid_regexes_are_rejected(regex: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(regex))):
        compile_regex(regex)


def test_training_report_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        training.report(loss=float("nan"))


# ---------------------------------------------------------------- hostile values and lines
BIG = "1" + "0" * 400


@pytest.mark.parametrize(("line", "expected"), [
    ('{"loss": ' + BIG + "}", "an integer of about 401 digits, which is beyond the float range"),
    ("loss=" + BIG, "which is beyond the float range"),
    ("loss=1e400", "which is beyond the float range"),
    ("loss=-1e400", "which is beyond the float range"),
    ("loss=inf", "which is infinite"),
    ("loss=-Infinity", "which is infinite"),
    ('{"loss": Infinity}', "which is infinite"),
    ("loss=nan", "which is NaN"),
    ('{"loss": NaN}', "which is NaN"),
    ('{"loss": true}', "which is not a number"),
    ('{"loss": [1]}', "which is not a number"),
    ('{"loss": null}', "which is not a number"),
])
def test_values_that_are_not_finite_floats_fail_the_objective_with_a_reason(
        line: str, expected: str) -> None:
    s = _scraper()
    assert s.feed(line) == []
    value, why = s.objective_value()
    assert value is None
    assert why.startswith("objective metric 'loss': captured ") and expected in why
    assert len(why) < 400 and "\n" not in why  # one short line, even for 400 digits
    s.feed("loss=0.5")  # a later good value does not undo the failure
    assert s.objective_value()[0] is None


def test_values_that_are_not_finite_floats_are_skipped_for_other_metrics_with_a_note() -> None:
    s = _scraper(extra=[MetricDefinition("acc", r"acc=(\S+)")])
    s.feed('{"acc": ' + BIG + ', "loss": 0.5}')
    s.feed("acc=nan")
    s.feed("acc=0.75 loss=0.25")
    assert s.objective_value() == (0.25, None)
    assert s.final() == {"loss": 0.25, "acc": 0.75}
    assert s.steps == {"loss": 2, "acc": 1}
    notes = s.pop_notes()
    assert notes == [("acc", "captured an integer of about 401 digits, which is beyond the "
                      "float range (about ±1.8e308): value skipped")]  # the first reason only
    assert s.pop_notes() == []


@pytest.mark.parametrize("line", [
    "{" + "[" * 100_000 + "]" * 100_000 + "}",           # nesting past the recursion limit
    '{"loss": 1' + "0" * 5000 + "}",                     # digits past int()'s 4300 limit
    '{"loss": 0.5',                                      # not JSON
    "{" + "x" * 300_000 + "}",                           # longer than LINE_LIMIT
])
def test_json_like_lines_that_json_cannot_read_fall_back_to_the_regexes(line: str) -> None:
    s = _scraper(r'"loss": ([0-9.]+)')
    s.feed(line)  # no exception
    value, why = s.objective_value()
    if "0" * 5000 in line:
        assert value is None and "beyond the float range" in why  # the regex's capture
    elif line.endswith("0.5"):
        assert value == 0.5


def test_a_long_line_is_scraped_on_its_start() -> None:
    s = _scraper()
    s.feed("loss=0.5 " + "x" * 1_000_000 + " loss=0.9")
    assert s.objective_value() == (0.5, None)


def test_extract_then_apply_equals_feed() -> None:
    a, b = _scraper(), _scraper()
    lines = ["loss=0.9", "noise", "loss=abc", "loss=0.1"]
    found = [a.extract(line) for line in lines]  # (a reader thread)
    ups = [u for f in found for u in a.apply(f)]  # (the tuner's thread)
    assert ups == [u for line in lines for u in b.feed(line)]
    assert a.objective_value() == b.objective_value()
    assert not a.extract("noise")  # nothing to hand over


def test_drop_last_forgets_one_step() -> None:
    s = _scraper()
    for line in ("loss=3", "loss=2", "loss=1"):
        s.feed(line)
    s.drop_last("loss")
    assert s.steps == {"loss": 2} and s.objective_value() == (2.0, None)
    assert [(u.step, u.value) for u in s.feed("loss=5")] == [(3, 5.0)]
