"""Job-document validation: a corpus of broken documents, each giving one clear error naming
its field path (also through ``hpo tune``: exit code 2, one line on stderr, no traceback)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from hpo_core.cli import main
from hpo_core.errors import JobConfigError, OptimizerError
from hpo_core.jobs.document import parse_document
from hpo_core.optimizer import Optimizer
from hpo_core.space import Categorical, SearchSpace
from tests.jobs.helpers import DELETE, base_doc, dump, with_change

C = "HyperParameterTuningJobConfig"
R = f"{C}.ResourceLimits"
PR = f"{C}.ParameterRanges.ContinuousParameterRanges"
D = "TrainingJobDefinition"
CAT = {"CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "b"]}]}


def _multi(names: tuple[str, str] = ("a", "a")) -> dict[str, Any]:
    doc = base_doc()
    obj = doc[C].pop("HyperParameterTuningJobObjective")
    ranges = doc[C].pop("ParameterRanges")
    doc.pop(D)
    doc["TrainingJobDefinitions"] = [{"DefinitionName": n, "TuningObjective": obj,
                                      "HyperParameterRanges": ranges} for n in names]
    return doc


#: (id, document, expected JobConfigError.path)
BAD: list[tuple[str, Any, str]] = [
    ("not-an-object", [1, 2], ""),
    ("missing-name", with_change(base_doc(), "HyperParameterTuningJobName", DELETE),
     "HyperParameterTuningJobName"),
    ("bad-name", with_change(base_doc(), "HyperParameterTuningJobName", "bad_name!"),
     "HyperParameterTuningJobName"),
    ("long-name", with_change(base_doc(), "HyperParameterTuningJobName", "a" * 33),
     "HyperParameterTuningJobName"),
    ("unknown-top", with_change(base_doc(), "Foo", 1), "Foo"),
    ("typo-config", {**with_change(base_doc(), C, DELETE),
                     "HyperParameterTuningJobConfg": base_doc()[C]},
     "HyperParameterTuningJobConfg"),
    ("missing-config", with_change(base_doc(), C, DELETE), C),
    ("config-not-object", with_change(base_doc(), C, "Random"), C),
    ("bad-strategy", with_change(base_doc(), f"{C}.Strategy", "Bayes"), f"{C}.Strategy"),
    ("missing-strategy", with_change(base_doc(), f"{C}.Strategy", DELETE), f"{C}.Strategy"),
    ("parallel-3x", with_change(base_doc(), f"{R}.MaxParallelTrainingJobs", "3x"),
     f"{R}.MaxParallelTrainingJobs"),
    ("parallel-0", with_change(base_doc(), f"{R}.MaxParallelTrainingJobs", 0),
     f"{R}.MaxParallelTrainingJobs"),
    ("max-jobs-float", with_change(base_doc(), f"{R}.MaxNumberOfTrainingJobs", 2.5),
     f"{R}.MaxNumberOfTrainingJobs"),
    ("max-jobs-missing", with_change(base_doc(), f"{R}.MaxNumberOfTrainingJobs", DELETE),
     f"{R}.MaxNumberOfTrainingJobs"),
    ("limits-unknown", with_change(base_doc(), f"{R}.MaxJobs", 3), f"{R}.MaxJobs"),
    ("runtime-bool", with_change(base_doc(), f"{R}.MaxRuntimeInSeconds", True),
     f"{R}.MaxRuntimeInSeconds"),
    ("objective-type", with_change(base_doc(), f"{C}.HyperParameterTuningJobObjective.Type",
                                   "Max"), f"{C}.HyperParameterTuningJobObjective.Type"),
    ("objective-metric-missing", with_change(
        base_doc(), f"{C}.HyperParameterTuningJobObjective.MetricName", DELETE),
     f"{C}.HyperParameterTuningJobObjective.MetricName"),
    ("objective-missing", with_change(base_doc(), f"{C}.HyperParameterTuningJobObjective",
                                      DELETE), f"{C}.HyperParameterTuningJobObjective"),
    ("range-bound-not-a-number", with_change(base_doc(), f"{PR}.0.MinValue", [0]),
     f"{PR}[0].MinValue"),
    ("range-not-a-number", with_change(base_doc(), f"{PR}.0.MinValue", "abc"),
     f"{PR}[0].MinValue"),
    ("range-min-above-max", with_change(base_doc(), f"{PR}.0.MinValue", "5"), f"{PR}[0]"),
    ("range-log-at-zero", with_change(with_change(base_doc(), f"{PR}.0.MinValue", "0"),
                                      f"{PR}.0.ScalingType", "Logarithmic"), f"{PR}[0]"),
    ("range-bad-scaling", with_change(base_doc(), f"{PR}.0.ScalingType", "Log"), f"{PR}[0]"),
    ("range-unknown-field", with_change(base_doc(), f"{PR}.0.Step", "1"), f"{PR}[0]"),
    ("categorical-values-string", with_change(
        base_doc(), f"{C}.ParameterRanges.CategoricalParameterRanges",
        [{"Name": "c", "Values": "a,b"}]), f"{C}.ParameterRanges.CategoricalParameterRanges[0]"),
    ("static-int", with_change(base_doc(), f"{D}.StaticHyperParameters.epochs", 3),
     f"{D}.StaticHyperParameters.epochs"),
    ("static-also-tuned", with_change(base_doc(), f"{D}.StaticHyperParameters.x", "1"),
     f"{D}.StaticHyperParameters.x"),
    ("static-reserved", with_change(base_doc(), f"{D}.StaticHyperParameters._tuning_x", "1"),
     f"{D}.StaticHyperParameters._tuning_x"),
    ("regex-invalid", with_change(base_doc(), f"{D}.AlgorithmSpecification", {
        "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9"}]}),
     f"{D}.AlgorithmSpecification.MetricDefinitions[0].Regex"),
    ("regex-no-group", with_change(base_doc(), f"{D}.AlgorithmSpecification", {
        "MetricDefinitions": [{"Name": "loss", "Regex": "loss=[0-9.]+"}]}),
     f"{D}.AlgorithmSpecification.MetricDefinitions[0].Regex"),
    ("regex-missing", with_change(base_doc(), f"{D}.AlgorithmSpecification", {
        "MetricDefinitions": [{"Name": "loss"}]}),
     f"{D}.AlgorithmSpecification.MetricDefinitions[0].Regex"),
    ("objective-not-defined", with_change(base_doc(), f"{D}.AlgorithmSpecification", {
        "MetricDefinitions": [{"Name": "acc", "Regex": "acc=(.*)"}]}),
     f"{D}.AlgorithmSpecification.MetricDefinitions"),
    ("grid-too-few", with_change(with_change(base_doc(max_jobs=5), f"{C}.Strategy", "Grid"),
                                 f"{C}.ParameterRanges", CAT), f"{R}.MaxNumberOfTrainingJobs"),
    ("grid-continuous", with_change(base_doc(), f"{C}.Strategy", "Grid"), f"{C}.Strategy"),
    ("hyperband-with-auto", with_change(with_change(
        base_doc(), f"{C}.Strategy", "Hyperband"), f"{C}.TrainingJobEarlyStoppingType", "Auto"),
     f"{C}.TrainingJobEarlyStoppingType"),
    ("hyperband-no-max-resource", with_change(with_change(
        base_doc(), f"{C}.Strategy", "Hyperband"), f"{D}.StaticHyperParameters", {}),
     f"{C}.StrategyConfig.HyperbandStrategyConfig.MaxResource"),
    ("hyperband-epochs-not-int", with_change(with_change(
        base_doc(), f"{C}.Strategy", "Hyperband"), f"{D}.StaticHyperParameters.epochs", "x"),
     f"{C}.StrategyConfig.HyperbandStrategyConfig.MaxResource"),
    ("early-stopping-on", with_change(base_doc(), f"{C}.TrainingJobEarlyStoppingType", "On"),
     f"{C}.TrainingJobEarlyStoppingType"),
    ("strategy-config-random", with_change(base_doc(), f"{C}.StrategyConfig", {
        "HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 9}}),
     f"{C}.StrategyConfig"),
    ("hyperband-min-above-max", with_change(with_change(
        base_doc(), f"{C}.Strategy", "Hyperband"), f"{C}.StrategyConfig", {
        "HyperbandStrategyConfig": {"MinResource": 10, "MaxResource": 9}}),
     f"{C}.StrategyConfig.HyperbandStrategyConfig.MinResource"),
    ("target-string", with_change(base_doc(), f"{C}.TuningJobCompletionCriteria", {
        "TargetObjectiveMetricValue": "0.9"}),
     f"{C}.TuningJobCompletionCriteria.TargetObjectiveMetricValue"),
    ("not-improving-2", with_change(base_doc(), f"{C}.TuningJobCompletionCriteria", {
        "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 2}}),
     f"{C}.TuningJobCompletionCriteria.BestObjectiveNotImproving."
     "MaxNumberOfTrainingJobsNotImproving"),
    ("convergence-yes", with_change(base_doc(), f"{C}.TuningJobCompletionCriteria", {
        "ConvergenceDetected": {"CompleteOnConvergence": "Yes"}}),
     f"{C}.TuningJobCompletionCriteria.ConvergenceDetected.CompleteOnConvergence"),
    ("seed-negative", with_change(base_doc(), f"{C}.RandomSeed", -1), f"{C}.RandomSeed"),
    ("both-definition-forms", {**base_doc(), "TrainingJobDefinitions": [{}]},
     "TrainingJobDefinition"),
    ("no-definition", with_change(base_doc(), D, DELETE), "TrainingJobDefinition"),
    ("definitions-empty", {**with_change(_multi(), "TrainingJobDefinitions", [])},
     "TrainingJobDefinitions"),
    ("definitions-duplicate", _multi(), "TrainingJobDefinitions[1].DefinitionName"),
    ("definitions-with-config-objective", with_change(
        _multi(("a", "b")), f"{C}.HyperParameterTuningJobObjective",
        base_doc()[C]["HyperParameterTuningJobObjective"]),
     f"{C}.HyperParameterTuningJobObjective"),
    ("runtime-0", with_change(base_doc(), f"{D}.StoppingCondition",
                              {"MaxRuntimeInSeconds": 0}),
     f"{D}.StoppingCondition.MaxRuntimeInSeconds"),
    ("retry-31", with_change(base_doc(), f"{D}.RetryStrategy", {"MaximumRetryAttempts": 31}),
     f"{D}.RetryStrategy.MaximumRetryAttempts"),
    ("unknown-backend", with_change(base_doc(), "Local.Backend", "kubernetes"),
     "Local.Backend"),
    ("docker-needs-image", with_change(base_doc(), "Local.Backend", "docker"),
     f"{D}.AlgorithmSpecification.TrainingImage"),
    ("sagemaker-needs-role", with_change(with_change(base_doc(), "Local.Backend", "sagemaker"),
                                         f"{D}.AlgorithmSpecification",
                                         {"TrainingImage": "img"}), f"{D}.RoleArn"),
    ("ray-needs-command", with_change(with_change(base_doc(), "Local.Backend", "ray"),
                                      "Local.Command", DELETE), "Local.Command"),
    ("command-string", with_change(base_doc(), "Local.Command", "python train.py"),
     "Local.Command"),
    ("command-missing", with_change(base_doc(), "Local.Command", DELETE), "Local.Command"),
    ("channel-missing-dir", with_change(base_doc(), "Local.Channels",
                                        {"train": "no/such/dir"}), "Local.Channels.train"),
    ("channel-without-local-dir", with_change(base_doc(), f"{D}.InputDataConfig", [
        {"ChannelName": "train", "DataSource": {}}]), f"{D}.InputDataConfig[0].ChannelName"),
    ("local-unknown-field", with_change(base_doc(), "Local.Cmd", ["x"]), "Local.Cmd"),
    ("local-definitions-unknown", with_change(base_doc(), "Local.Definitions",
                                              {"nope": {"Command": ["x"]}}),
     "Local.Definitions.nope"),
    ("warm-start-type", with_change(base_doc(), "WarmStartConfig", {
        "WarmStartType": "Identical", "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": "p"}]}), "WarmStartConfig.WarmStartType"),
    ("warm-start-6-parents", with_change(base_doc(), "WarmStartConfig", {
        "WarmStartType": "TransferLearning", "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": f"p{i}"} for i in range(6)]}),
     "WarmStartConfig.ParentHyperParameterTuningJobs"),
    ("tag-value-int", with_change(base_doc(), "Tags", [{"Key": "team", "Value": 3}]),
     "Tags[0].Value"),
    ("autotune", with_change(base_doc(), "Autotune", {"Mode": "Enabled"}), "Autotune"),
]


def test_corpus_is_large_and_distinct() -> None:
    assert len(BAD) >= 30
    assert len({case[0] for case in BAD}) == len(BAD)


@pytest.mark.parametrize(("doc", "path"), [(d, p) for _, d, p in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_document_gives_one_error_with_its_path(doc: Any, path: str,
                                                    tmp_path: Path) -> None:
    with pytest.raises(JobConfigError) as info:
        parse_document(doc, tmp_path)
    err = info.value
    assert err.path == path, str(err)
    assert str(err).startswith(path)
    assert "\n" not in str(err)
    assert len(str(err)) > len(path) + 10  # says more than where


@pytest.mark.parametrize(("doc", "path"), [(d, p) for _, d, p in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_document_through_hpo_tune(doc: Any, path: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "job.json"
    file.write_text(json.dumps(doc))
    assert main(["tune", str(file)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.err
    assert lines[0].startswith("hpo tune: error: ")
    assert path in lines[0]
    assert not (tmp_path / "runs").exists()  # nothing ran, nothing was created


def test_hpo_tune_subprocess_no_traceback(tmp_path: Path) -> None:
    import subprocess

    file = dump(with_change(base_doc(), f"{R}.MaxParallelTrainingJobs", "3x"), tmp_path)
    proc = subprocess.run([sys.executable, "-m", "hpo_core.cli", "tune", str(file)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"hpo tune: error: {R}.MaxParallelTrainingJobs: expected an integer >= 1, "
        "got '3x' (str)")


def test_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"HyperParameterTuningJobName": ')
    assert main(["tune", str(bad)]) == 2
    assert "invalid JSON at line 1" in capsys.readouterr().err
    assert main(["tune", str(tmp_path / "missing.json")]) == 2
    assert "cannot read job document" in capsys.readouterr().err


def test_valid_document_json_and_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    doc = base_doc()
    spec = parse_document(doc, tmp_path)
    assert spec.strategy == "Random" and spec.max_jobs == 4 and spec.max_parallel == 2
    assert spec.directory == (tmp_path / "runs" / "job").resolve()
    d = spec.definitions[0]
    assert d.name == "default" and d.objective_metric == "loss"
    assert d.metrics[0].name == "loss"  # the default regex
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(doc))
    from hpo_core.jobs.tuning_job import TuningJob

    job = TuningJob.from_file(tmp_path / "job.yaml", directory=tmp_path / "elsewhere")
    assert job.directory == tmp_path / "elsewhere"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # --dir is relative to the current directory, Local.Directory
    assert TuningJob.from_file(tmp_path / "job.yaml", directory="d").directory == cwd / "d"
    doc["Local"]["Directory"] = "d"  # ... to the document's folder
    assert parse_document(doc, tmp_path).directory == tmp_path / "d"


def test_grid_defaults_max_jobs_to_its_size(tmp_path: Path) -> None:
    doc = with_change(with_change(base_doc(), f"{C}.Strategy", "Grid"), f"{C}.ParameterRanges",
                      CAT)
    doc[C]["ResourceLimits"].pop("MaxNumberOfTrainingJobs")
    assert parse_document(doc, tmp_path).max_jobs == 2


def test_every_amt_strategy_and_auto_early_stopping_are_accepted(tmp_path: Path) -> None:
    """Bayesian, Hyperband and early stopping Auto are all offered by the Optimizer, so the
    document accepts each of them and keeps what it asked for."""
    space = SearchSpace({"c": Categorical(["a", "b"])})
    cases = [("Bayesian", "bayesian", {}, "Off"),
             ("Hyperband", "hyperband", {"max_resource": 3}, "Off"),
             ("Random", "random", {"early_stopping": "auto"}, "Auto")]
    for amt, name, options, early in cases:
        Optimizer(space, name, "minimize", 0, **options)  # offered: no error
        doc = with_change(base_doc(), f"{C}.Strategy", amt)
        doc[C]["TrainingJobEarlyStoppingType"] = early
        spec = parse_document(doc, tmp_path)
        assert (spec.strategy, spec.early_stopping) == (amt, early)



def test_a_strategy_the_optimizer_refuses_is_an_error_at_the_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Availability is the Optimizer's answer: its refusal (of a strategy, of early stopping
    Auto) is a JobConfigError at that field carrying the Optimizer's message."""
    import hpo_core.jobs.document

    class Refusing(Optimizer):
        def __init__(self, space: Any, strategy: str, *args: Any, **kw: Any) -> None:
            if strategy == "bayesian" or kw.get("early_stopping") == "auto":
                raise OptimizerError("not in this build")
            super().__init__(space, strategy, *args, **kw)

    monkeypatch.setattr(hpo_core.jobs.document, "Optimizer", Refusing)
    bayesian = with_change(base_doc(), f"{C}.Strategy", "Bayesian")
    auto = with_change(base_doc(), f"{C}.Strategy", "Random")
    auto[C]["TrainingJobEarlyStoppingType"] = "Auto"
    for doc, path in [(bayesian, f"{C}.Strategy"), (auto, f"{C}.TrainingJobEarlyStoppingType")]:
        with pytest.raises(JobConfigError) as info:
            parse_document(doc, tmp_path)
        assert info.value.path == path and "not in this build" in str(info.value)

def test_hyperband_options_come_from_the_document(tmp_path: Path) -> None:
    spec = parse_document(with_change(base_doc(), f"{C}.Strategy", "Hyperband"), tmp_path)
    assert spec.strategy_options == {"min_resource": 1, "max_resource": 3,  # epochs "3"
                                     "mode": "stopping"}
