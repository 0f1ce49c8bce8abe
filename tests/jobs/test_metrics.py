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
    assert s.history == {"loss": [0.25], "acc": [0.75]}
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
