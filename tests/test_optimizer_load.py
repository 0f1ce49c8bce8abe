"""Hostile saved states and values: ``Optimizer.load`` / ``from_state_dict`` check every field
and fail with one OptimizerError naming the field path and the value; ``tell`` and ``report``
refuse values that are not real numbers in float range the same way."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Categorical, Continuous, Optimizer, OptimizerError, SearchSpace


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """A saved run: trial 0 completed, 1 failed, 2 stopped (Hyperband), 3 pending."""
    space = SearchSpace({"x": Continuous(0.0, 1.0), "c": Categorical(["a", "b"])})
    opt = Optimizer(space, "hyperband", seed=3, min_resource=1, max_resource=9,
                    mode="stopping", sampler="random")
    trials = [opt.ask() for _ in range(4)]
    opt.tell(trials[0], 0.5)
    opt.tell(trials[1], failed=True, reason="boom")
    for step in range(1, 10):
        if opt.report(trials[2], step, 1.0 + step) == "stop":
            break
    opt.report(trials[3], 1, 0.25)
    saved = opt.state_dict()
    assert [t["status"] for t in saved["trials"]][:2] == ["completed", "failed"]
    assert saved["trials"][3]["status"] == "pending"
    return saved


def _set(state: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with ``a.b.0.c`` set (``...`` removes the field)."""
    out = copy.deepcopy(state)
    *head, last = path.split(".")
    node: Any = out
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return out


#: (id, path to change, new value, the field the message must name, a fragment of the value)
BAD: list[tuple[str, str, Any, str, str]] = [
    ("value-string", "trials.0.value", "abc", "trials[0].value", "'abc'"),
    ("value-list", "trials.0.value", [1], "trials[0].value", "[1]"),
    ("value-huge-int", "trials.0.value", 10**400, "trials[0].value", "1000"),
    ("value-bool", "trials.0.value", True, "trials[0].value", "True"),
    ("value-nan", "trials.0.value", float("nan"), "trials[0].value", "nan"),
    ("value-missing-completed", "trials.0.value", None, "trials[0].value", "None"),
    ("value-on-failed", "trials.1.value", 0.5, "trials[1].value", "0.5"),
    ("value-on-pending", "trials.3.value", 0.5, "trials[3].value", "0.5"),
    ("status-bogus", "trials.0.status", "bogus", "trials[0].status", "'bogus'"),
    ("status-list", "trials.0.status", ["completed"], "trials[0].status", "['completed']"),
    ("status-missing", "trials.0.status", ..., "trials[0].status", "missing"),
    ("finished-yesterday", "trials.0.finished_at", "yesterday", "trials[0].finished_at",
     "'yesterday'"),
    ("started-inf", "trials.0.started_at", float("inf"), "trials[0].started_at", "inf"),
    ("id-string", "trials.0.id", "0", "trials[0].id", "'0'"),
    ("id-out-of-order", "trials.1.id", 7, "trials[1].id", "got 7"),
    ("id-negative", "trials.0.id", -1, "trials[0].id", "-1"),
    ("trial-not-object", "trials.2", "x", "trials[2]", "'x'"),
    ("trial-unknown-field", "trials.0.colour", "red", "trials[0]", "colour"),
    ("params-outside-space", "trials.0.params.x", 7.0, "trials[0].params", "7.0"),
    ("params-unknown", "trials.0.params.y", 1, "trials[0].params", "'y'"),
    ("params-not-object", "trials.0.params", [1], "trials[0].params", "[1]"),
    ("reason-int", "trials.1.reason", 3, "trials[1].reason", "3"),
    ("enqueued-string", "trials.0.enqueued", "yes", "trials[0].enqueued", "'yes'"),
    ("resource-zero", "trials.0.resource", 0, "trials[0].resource", "0"),
    ("resource-string", "trials.0.resource", "9", "trials[0].resource", "'9'"),
    ("reports-not-list", "trials.3.reports", "x", "trials[3].reports", "'x'"),
    ("report-value-string", "trials.3.reports.0", [1, "a"], "trials[3].reports[0][1]", "'a'"),
    ("report-step-zero", "trials.3.reports.0", [0, 1.0], "trials[3].reports[0][0]", "0"),
    ("report-step-float", "trials.3.reports.0", [1.5, 1.0], "trials[3].reports[0][0]", "1.5"),
    ("report-triple", "trials.3.reports.0", [1, 1.0, 2], "trials[3].reports[0]", "[1, 1.0, 2]"),
    ("trials-not-list", "trials", {"0": {}}, "trials", "{'0': {}}"),
    ("queue-outside-space", "queue", [{"x": 5.0, "c": "a"}], "queue[0]", "5.0"),
    ("event-unknown", "events", [["z", 0]], "events[0]", "['z', 0]"),
    ("event-unknown-trial", "events", [["r", 99, 1, 1.0]], "events[0][1]", "99"),
    ("event-step-string", "events", [["r", 0, "1", 1.0]], "events[0][2]", "'1'"),
    ("event-value-huge", "events", [["r", 0, 1, 10**400]], "events[0][3]", "1000"),
    ("event-not-list", "events", "rrr", "events", "'rrr'"),
    ("space-not-object", "space", [1], "space", "[1]"),
    ("space-bad-param", "space.x", {"type": "Continuous", "min_value": 2, "max_value": 1},
     "min_value", "2"),
    ("strategy-missing", "strategy", ..., "strategy", "missing"),
    ("seed-string", "seed", "x", "seed", "'x'"),
    ("objective-int", "objective", 1, "objective", "1"),
    ("options-list", "options", [1], "options", "[1]"),
]


def test_corpus_is_distinct() -> None:
    assert len({c[0] for c in BAD}) == len(BAD) >= 40


@pytest.mark.parametrize(("path", "value", "field", "fragment"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_state_names_the_field(state: dict[str, Any], path: str, value: Any, field: str,
                                   fragment: str) -> None:
    with pytest.raises(OptimizerError) as info:
        Optimizer.from_state_dict(_set(state, path, value), "opt.json")
    message = str(info.value)
    assert message.startswith("load: opt.json is corrupt: "), message
    assert field in message and fragment in message, message
    assert "\n" not in message and len(message) < 400


def test_the_fixture_state_loads(state: dict[str, Any], tmp_path: Path) -> None:
    opt = Optimizer.from_state_dict(copy.deepcopy(state))
    assert opt.state_dict() == state
    opt.save(tmp_path / "opt.json")
    assert Optimizer.load(tmp_path / "opt.json").state_dict() == state


@pytest.mark.parametrize(("content", "fragment"), [
    (bytes(range(256)) * 8, "not UTF-8"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 200_000, "nested too deeply"),
    (b'{"format": "hpo_core.optimizer", "version": ' + b"1" * 5000 + b"}", "corrupt JSON"),
    (b'{"format": "hpo_core.optimizer", "version": 1, "trials": NaN', "corrupt JSON"),
    (b"", "corrupt JSON"),
    (b"[1, 2]", "not an hpo_core optimizer file"),
], ids=["random-bytes", "bom-utf16", "deep", "huge-int", "truncated", "empty", "list"])
def test_unreadable_files(content: bytes, fragment: str, tmp_path: Path) -> None:
    file = tmp_path / "opt.json"
    file.write_bytes(content)
    with pytest.raises(OptimizerError) as info:
        Optimizer.load(file)
    message = str(info.value)
    assert fragment in message and str(file) in message
    assert "\n" not in message and len(message) < 400


def test_huge_int_and_nan_in_a_written_file(state: dict[str, Any], tmp_path: Path) -> None:
    file = tmp_path / "opt.json"
    text = json.dumps(state).replace('"value": 0.5', '"value": ' + "9" * 400, 1)
    file.write_text(text)
    with pytest.raises(OptimizerError, match=r"trials\[0\]\.value: expected a finite number"):
        Optimizer.load(file)
    file.write_text(json.dumps(state).replace('"value": 0.5', '"value": NaN', 1))
    with pytest.raises(OptimizerError, match=r"trials\[0\]\.value"):
        Optimizer.load(file)


def test_deeply_nested_state_in_python(state: dict[str, Any]) -> None:
    deep: Any = 0.5
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(OptimizerError, match=r"trials\[0\]\.value"):
        Optimizer.from_state_dict(_set(state, "trials.0.value", deep))


@pytest.mark.parametrize("value", [10**400, -(10**400), "0.5", [1], Decimal("0.5"), None,
                                   b"1", complex(1, 0)],
                         ids=["huge", "huge-negative", "string", "list", "decimal", "none",
                              "bytes", "complex"])
def test_tell_and_report_refuse_values_that_are_not_floats(value: Any) -> None:
    opt = Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), seed=0)
    trial = opt.ask()
    with pytest.raises(OptimizerError) as info:
        opt.tell(trial, value)
    assert f"trial {trial.id}: value" in str(info.value)
    assert repr(value)[:20] in str(info.value) and len(str(info.value)) < 300
    with pytest.raises(OptimizerError) as info:
        opt.report(trial, 1, value)
    assert repr(value)[:20] in str(info.value)
    assert trial.status == "pending" and not trial.reports  # nothing recorded
    opt.tell(trial, 0.5)
    assert trial.value == 0.5
