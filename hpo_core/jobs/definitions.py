"""Training-job definitions of a job document (``TrainingJobDefinition`` or each of
``TrainingJobDefinitions``), read into :class:`Definition` for
:func:`~hpo_core.jobs.document.parse_document`.

Each part of a definition (objective, ranges, metrics, stopping condition, retries, the
SageMaker-only fields, environment, command, input channels) is read on its own, so every
problem of every definition is reported in one pass (:mod:`hpo_core.jobs.problems`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_core.errors import JobConfigError, did_you_mean
from hpo_core.jobs.fields import Obj
from hpo_core.jobs.metrics import MetricDefinition
from hpo_core.jobs.names import check_environment_key, key_path
from hpo_core.jobs.problems import Recorded, Section, report
from hpo_core.jobs.sections import (
    AnyKeys,
    check_backend_fields,
    read_input_data_config,
    read_metrics,
    read_space,
)
from hpo_core.space import SearchSpace

__all__ = ["Definition", "read_definitions"]

_DEF_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}"
_DEFINITION = ("DefinitionName", "TuningObjective", "HyperParameterRanges",
               "StaticHyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig",
               "VpcConfig", "OutputDataConfig", "ResourceConfig",
               "HyperParameterTuningResourceConfig", "StoppingCondition",
               "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
               "EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy", "Environment")
_DEFAULT_RUNTIME = 86400  # AMT's default StoppingCondition.MaxRuntimeInSeconds


@dataclass(frozen=True)
class Definition:
    """One training-job definition, resolved for running.

    Attributes:
        name: ``DefinitionName`` (``"default"`` for a single ``TrainingJobDefinition``).
        space: ranges and static hyperparameters.
        objective_metric, objective_type: ``MetricName`` and ``"Maximize" | "Minimize"``.
        metrics: the metric definitions (the objective's default added when none was given).
        command: argv (``python``/``python3`` as the first word mean the running interpreter).
        channels: channel name -> absolute local directory.
        input_data_config: channel name -> the ``inputdataconfig.json`` entry.
        max_runtime_s: StoppingCondition.MaxRuntimeInSeconds.
        max_retries: RetryStrategy.MaximumRetryAttempts (0 without one).
        environment: the definition's Environment variables.
    """

    name: str
    space: SearchSpace
    objective_metric: str
    objective_type: str
    metrics: tuple[MetricDefinition, ...]
    command: tuple[str, ...]
    channels: dict[str, Path]
    input_data_config: dict[str, dict[str, Any]]
    max_runtime_s: int
    max_retries: int
    environment: dict[str, str]


def read_definitions(top: Obj, config: Obj | None, local: dict[str, Any], base: Path,
                     has_function: bool) -> list[Definition]:
    """Every definition of the document. A definition with a problem is left out (the
    problem is recorded when collecting), so the result may be shorter than the document's
    list; it is complete when nothing was recorded. ``config`` None means the tuning-job
    config could not be read (its problem is recorded): what may come from it is not
    checked."""
    single, many = top.has("TrainingJobDefinition"), top.has("TrainingJobDefinitions")
    if not single and not many and any(k in top.misspelled for k in (
            "TrainingJobDefinition", "TrainingJobDefinitions")):
        raise Recorded()
    if single == many:
        raise JobConfigError("TrainingJobDefinition", "give exactly one of "
                             "TrainingJobDefinition and TrainingJobDefinitions" if single
                             else "required field is missing (or TrainingJobDefinitions)")
    if single:
        entries = [("TrainingJobDefinition", top.raw("TrainingJobDefinition"))]
    else:
        entries = top.items("TrainingJobDefinitions", lo=1, hi=10)
        for key in ("HyperParameterTuningJobObjective", "ParameterRanges"):
            if config is not None and config.has(key):
                report(JobConfigError(config.at(key), "not allowed with TrainingJobDefinitions; "
                                      "give TuningObjective / HyperParameterRanges in each "
                                      "definition"))
    out: list[Definition] = []
    names: list[str] = []
    for path, entry in entries:
        with Section():
            d = _definition(Obj(entry, path, _DEFINITION), config if single else None, local,
                            base, has_function, multi=many, config_unread=single and
                            config is None)
            if d.name in names:
                raise JobConfigError(f"{path}.DefinitionName", f"duplicate name {d.name!r}")
            names.append(d.name)
            out.append(d)
    if len(out) == len(entries):
        for unknown in sorted(set(local["definitions"]) - set(names)):
            report(JobConfigError(f"Local.Definitions.{unknown}", "no training-job definition "
                                  f"has this DefinitionName{did_you_mean(unknown, names)}; "
                                  f"known: {names}"))
    return out


def _definition(d: Obj, config: Obj | None, local: dict[str, Any], base: Path,
                has_function: bool, multi: bool, config_unread: bool = False) -> Definition:
    """One definition; raises its first problem after reading (and recording) every part."""
    parts: list[Section] = []

    def part() -> Section:
        parts.append(Section())
        return parts[-1]

    name = "default"
    with part():
        name = d.string("DefinitionName", required=multi, pattern=_DEF_NAME,
                        what="1-64 letters, digits and hyphens") or "default"
    objective: tuple[str, str] | None = None
    space: SearchSpace | None = None
    if not config_unread or d.has("TuningObjective"):
        with part():
            objective = _objective(d, config)
    if not config_unread or d.has("HyperParameterRanges"):
        with part():
            space = _space(d, config)
    metrics: tuple[MetricDefinition, ...] = ()
    if objective is not None:
        with part():
            metrics = read_metrics(d, objective[0])
    runtime, retries = _DEFAULT_RUNTIME, 0
    with part():
        stop = d.obj("StoppingCondition", ("MaxRuntimeInSeconds", "MaxWaitTimeInSeconds",
                                           "MaxPendingTimeInSeconds"))
        runtime = _DEFAULT_RUNTIME if stop is None else stop.integer(
            "MaxRuntimeInSeconds", lo=1, default=_DEFAULT_RUNTIME) or _DEFAULT_RUNTIME
    with part():
        retry = d.obj("RetryStrategy", ("MaximumRetryAttempts",))
        retries = 0 if retry is None else retry.integer("MaximumRetryAttempts", lo=1, hi=30,
                                                        required=True) or 0
    for key in ("VpcConfig", "OutputDataConfig", "ResourceConfig", "CheckpointConfig",
                "HyperParameterTuningResourceConfig"):
        with part():
            d.obj(key, AnyKeys())
    with part():
        d.string("RoleArn")
    for key in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                "EnableManagedSpotTraining"):
        with part():
            d.boolean(key)
    env: dict[str, str] = {}
    with part():
        env = d.string_map("Environment")
        for key in env:
            with part():
                check_environment_key(key, key_path(d.at("Environment"), key))
    own = local["definitions"].get(name, {})
    command = own.get("command") or local["command"]
    channels = own.get("channels") if own.get("channels") is not None else local["channels"]
    backend = local["backend"]
    with part():
        check_backend_fields(d, backend)
    idc: dict[str, dict[str, Any]] = {}
    if not local["incomplete"]:  # the Local block's problem is recorded already
        with part():
            _check_command(command, has_function, backend, name, multi)
        with part():
            idc = read_input_data_config(d, channels or {}, local_data=backend != "sagemaker")
    first = next((p for p in parts if p.failed), None)
    if first is not None or objective is None or space is None:
        raise Recorded()
    return Definition(name=name, space=space, objective_metric=objective[0],
                      objective_type=objective[1], metrics=metrics,
                      command=tuple(command or ()), channels=dict(channels or {}),
                      input_data_config=idc, max_runtime_s=runtime, max_retries=retries,
                      environment=env)


def _space(d: Obj, config: Obj | None) -> SearchSpace:
    ranges_key = "HyperParameterRanges"
    if config is not None and config.has("ParameterRanges"):
        if d.has(ranges_key):
            raise JobConfigError(d.at(ranges_key), "give the ranges in "
                                 "HyperParameterTuningJobConfig.ParameterRanges or here, not both")
        ranges_path, ranges = config.at("ParameterRanges"), config.raw("ParameterRanges")
    else:
        if config is not None and "ParameterRanges" in config.misspelled and \
                not d.has(ranges_key):
            raise Recorded()  # reported as the misspelled name
        ranges_path, ranges = d.at(ranges_key), d.raw(ranges_key, required=True)
    statics = d.string_map("StaticHyperParameters")
    return read_space(ranges, statics, ranges_path, d.at("StaticHyperParameters"))


def _check_command(command: list[str] | None, has_function: bool, backend: str, name: str,
                   multi: bool) -> None:
    if not command and not has_function and backend in ("local", "python", "ray"):
        where = f"Local.Definitions.{name}.Command" if multi else "Local.Command"
        raise JobConfigError(where, "required field is missing: the argv that runs one "
                             "training job, e.g. [\"python\", \"train.py\"]")
    if backend == "python" and command and (len(command) != 1 or ":" not in command[0]):
        raise JobConfigError("Local.Command", "Backend 'python' expects "
                             f"[\"package.module:function\"], got {command!r}")


def _objective(d: Obj, config: Obj | None) -> tuple[str, str]:
    keys = ("Type", "MetricName")
    if config is not None and config.has("HyperParameterTuningJobObjective"):
        if d.has("TuningObjective"):
            raise JobConfigError(d.at("TuningObjective"), "give the objective in "
                                 "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective "
                                 "or here, not both")
        obj = config.obj("HyperParameterTuningJobObjective", keys)
    else:
        obj = d.obj("TuningObjective", keys, required=config is None)
        if obj is None and config is not None and \
                "HyperParameterTuningJobObjective" in config.misspelled:
            raise Recorded()
        if obj is None:
            raise JobConfigError("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective",
                                 "required field is missing")
    assert obj is not None
    kind = obj.enum("Type", ("Maximize", "Minimize"), required=True)
    metric = obj.string("MetricName", required=True)
    assert kind is not None and metric is not None
    return metric, kind
