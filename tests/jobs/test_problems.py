"""Every problem of a job document in one run: several mistakes give one error per mistake
(each with its field path and a "did you mean" for an unknown name), a misspelled required
field is one problem (not also "missing"), and ``hpo tune`` prints them all with exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hpo_core.cli import main
from hpo_core.errors import JobConfigError, JobConfigErrors, did_you_mean, suggestion
from hpo_core.jobs.document import parse_document
from tests.jobs.helpers import base_doc, with_change

C = "HyperParameterTuningJobConfig"
PR = f"{C}.ParameterRanges.ContinuousParameterRanges"


def _three_mistakes() -> dict[str, Any]:
    """The first hour's document: ``Comand`` for ``Command``, ``Scaling`` for
    ``ScalingType``, and a string where MaxParallelTrainingJobs takes an integer."""
    doc = base_doc()
    doc["Local"] = {"Comand": doc["Local"]["Command"]}
    doc = with_change(doc, f"{PR}.0.Scaling", "Logarithmic")
    return with_change(doc, f"{C}.ResourceLimits.MaxParallelTrainingJobs", "3x")


def _errors(doc: Any, tmp_path: Path) -> list[JobConfigError]:
    with pytest.raises(JobConfigError) as info:
        parse_document(doc, tmp_path)
    err = info.value
    return list(err.errors) if isinstance(err, JobConfigErrors) else [err]


def test_three_mistakes_three_errors(tmp_path: Path) -> None:
    errors = _errors(_three_mistakes(), tmp_path)
    by_path = {e.path: e.detail for e in errors}
    assert set(by_path) == {"Local.Comand", f"{PR}[0]",
                            f"{C}.ResourceLimits.MaxParallelTrainingJobs"}, by_path
    assert "did you mean 'Command'?" in by_path["Local.Comand"]
    assert "did you mean 'ScalingType'?" in by_path[f"{PR}[0]"]
    assert "'3x' (str)" in by_path[f"{C}.ResourceLimits.MaxParallelTrainingJobs"]


def test_errors_object_is_a_job_config_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigErrors) as info:
        parse_document(_three_mistakes(), tmp_path)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, JobConfigError)
    assert err.path == err.errors[0].path
    lines = str(err).splitlines()
    assert lines[0] == "3 problems in the job document:"
    assert [line.strip() for line in lines[1:]] == [str(e) for e in err.errors]


def test_hpo_tune_prints_every_problem(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "job.json"
    file.write_text(json.dumps(_three_mistakes()))
    assert main(["tune", str(file)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err and out.out == ""
    for needle in ("Local.Comand", "did you mean 'Command'", "Scaling", "'3x'"):
        assert needle in out.err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("path", "wrong", "right"), [
    ("", "HyperParameterTuningJobConfg", "HyperParameterTuningJobConfig"),
    ("", "TrainingJobDefiniton", "TrainingJobDefinition"),
    (C, "HyperParameterTuningJobObjectiv", "HyperParameterTuningJobObjective"),
    (C, "ParameterRange", "ParameterRanges"),
    (f"{C}.ResourceLimits", "MaxParallelTrainingJob", "MaxParallelTrainingJobs"),
    ("Local", "Comand", "Command"),
])
def test_misspelled_required_field_is_one_problem(path: str, wrong: str, right: str,
                                                  tmp_path: Path) -> None:
    doc = base_doc()
    node = doc
    for key in filter(None, path.split(".")):
        node = node[key]
    node[wrong] = node.pop(right)
    errors = _errors(doc, tmp_path)
    where = f"{path}.{wrong}" if path else wrong
    assert [e.path for e in errors] == [where], [str(e) for e in errors]
    assert f"did you mean {right!r}?" in errors[0].detail


def test_every_bad_range_is_reported(tmp_path: Path) -> None:
    doc = with_change(base_doc(), f"{C}.ParameterRanges.ContinuousParameterRanges", [
        {"Name": "a", "MinValue": "1", "MaxValue": "0"},
        {"Name": "b", "MinValue": "0", "MaxValue": "1"},
        {"Name": "c", "MinValue": "x", "MaxValue": "1"},
        {"Name": "b", "MinValue": "0", "MaxValue": "2"}])
    paths = [e.path for e in _errors(doc, tmp_path)]
    assert paths == [f"{PR}[0]", f"{PR}[2].MinValue", f"{PR}[3].Name"], paths


def test_problems_in_separate_sections(tmp_path: Path) -> None:
    doc = base_doc()
    doc["HyperParameterTuningJobName"] = "bad_name!"
    doc[C]["Strategy"] = "bayesian"
    doc[C]["RandomSeed"] = -1
    doc["Tags"] = [{"Key": "k"}]
    doc["TrainingJobDefinition"]["Environment"] = {"1BAD": "x"}
    errors = _errors(doc, tmp_path)
    assert [e.path for e in errors] == [
        "HyperParameterTuningJobName", "Tags[0].Value", f"{C}.Strategy", f"{C}.RandomSeed",
        "TrainingJobDefinition.Environment.1BAD"], [str(e) for e in errors]
    assert "did you mean 'Bayesian'?" in errors[2].detail


def test_one_problem_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError) as info:
        parse_document(with_change(base_doc(), f"{C}.RandomSeed", -1), tmp_path)
    assert type(info.value) is JobConfigError
    assert "\n" not in str(info.value)


def test_valid_document_still_parses(tmp_path: Path) -> None:
    spec = parse_document(base_doc(), tmp_path)
    assert spec.max_parallel == 2 and spec.definitions[0].space.names == ["x", "epochs"]


@pytest.mark.parametrize(("word", "choices", "expected"), [
    ("comand", ["Command", "Channels"], "Command"),
    ("Scaling", ["Name", "MinValue", "MaxValue", "ScalingType"], "ScalingType"),
    ("bayesian", ["Bayesian", "Random"], "Bayesian"),
    ("Log", ["Linear", "Logarithmic", "Auto"], "Logarithmic"),
    ("Lo", ["Linear", "Logarithmic"], None),  # too short to be a prefix
    ("zzz", ["Command", "Channels"], None),
    (3, ["Command"], None),
])
def test_suggestion(word: Any, choices: list[str], expected: str | None) -> None:
    assert suggestion(word, choices) == expected
    assert did_you_mean(word, choices) == ("" if expected is None
                                           else f" (did you mean {expected!r}?)")
