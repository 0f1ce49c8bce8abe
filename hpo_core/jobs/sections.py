"""Sections of the job document, each read and validated by one function for
:mod:`hpo_core.jobs.document`: the ``Local`` block, strategy config, completion criteria,
warm start, tags, ranges, metric definitions and input channels. Errors are
:class:`~hpo_core.errors.JobConfigError` naming the field path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_core.errors import JobConfigError, JobConfigErrors, SearchSpaceError
from hpo_core.jobs.fields import Obj, show
from hpo_core.jobs.metrics import MetricDefinition, compile_regex, default_regex
from hpo_core.jobs.names import check_channel_name, check_hyperparameter_name, key_path
from hpo_core.jobs.problems import Section, report
from hpo_core.space import SearchSpace
from hpo_core.space.amt_ranges import params_from_sagemaker

__all__ = ["BACKENDS", "EPOCH_NAMES", "JOB_NAME", "AnyKeys", "Completion", "WarmStart",
           "check_backend_fields", "check_tags", "hyperband_options", "read_channels",
           "read_completion", "read_input_data_config", "read_local", "read_metrics",
           "read_space", "read_strategy_config", "read_warm_start"]

BACKENDS = ("local", "python", "docker", "sagemaker", "ray")
JOB_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
_CHANNEL = ("ChannelName", "DataSource", "ContentType", "CompressionType", "RecordWrapperType",
            "InputMode", "ShuffleConfig")


@dataclass(frozen=True)
class Completion:
    """TuningJobCompletionCriteria (None / False: not set)."""

    target: float | None = None
    not_improving: int | None = None
    convergence: bool = False


@dataclass(frozen=True)
class WarmStart:
    """WarmStartConfig: the type and the parents' job names."""

    type: str
    parents: tuple[str, ...]


def read_local(block: Obj | None, base: Path) -> dict[str, Any]:
    """The ``Local`` block; ``"incomplete"`` is True when a part of it had a problem (recorded
    when collecting), so checks that need it are skipped."""
    out: dict[str, Any] = {"backend": "local", "directory": None, "command": None,
                           "channels": None, "definitions": {}, "incomplete": False}
    if block is None:
        return out
    parts = [Section() for _ in range(4)]
    with parts[0]:
        out["backend"] = block.enum("Backend", BACKENDS, default="local")
    with parts[1]:
        out["directory"] = block.string("Directory")
    with parts[2]:
        out["command"] = block.strings("Command", lo=1)
    with parts[3]:
        out["channels"] = read_channels(block, base) if block.has("Channels") else None
    defs = block.raw("Definitions")
    if defs is not None and not isinstance(defs, Mapping):
        report(JobConfigError(block.at("Definitions"), f"expected an object of "
                              f"DefinitionName -> {{Command, Channels}}, got {show(defs)}"))
        out["incomplete"] = True
    for key, value in (defs or {}).items() if isinstance(defs, Mapping) else ():
        with Section() as part:
            sub = Obj(value, f"{block.at('Definitions')}.{key}", ("Command", "Channels"))
            out["definitions"][key] = {
                "command": sub.strings("Command", lo=1),
                "channels": read_channels(sub, base) if sub.has("Channels") else None}
        parts.append(part)
    out["incomplete"] = out["incomplete"] or bool(block.misspelled) or any(
        p.failed for p in parts)
    return out


def read_channels(block: Obj, base: Path) -> dict[str, Path]:
    value = block.raw("Channels")
    path = block.at("Channels")
    if not isinstance(value, Mapping):
        raise JobConfigError(path, f"expected an object of channel name -> local directory, "
                             f"got {show(value)}")
    out = {}
    for channel, folder in value.items():
        where = key_path(path, channel)
        check_channel_name(channel, where)
        if not isinstance(folder, str) or not folder:
            raise JobConfigError(where, f"expected a directory path, got {show(folder)}")
        resolved = (base / folder).resolve()
        if not resolved.is_dir():
            raise JobConfigError(where, f"directory {folder!r} does not exist (looked for "
                                 f"{resolved})")
        out[channel] = resolved
    return out


def read_strategy_config(config: Obj, strategy: str) -> tuple[int | None, int | None]:
    """StrategyConfig: ``(MinResource, MaxResource)`` of HyperbandStrategyConfig (None when
    not given)."""
    sc = config.obj("StrategyConfig", ("HyperbandStrategyConfig",))
    if sc is None:
        return None, None
    if strategy != "Hyperband":
        raise JobConfigError(sc.path, f"only allowed with Strategy 'Hyperband', got Strategy "
                             f"{strategy!r}")
    hb = sc.obj("HyperbandStrategyConfig", ("MinResource", "MaxResource"))
    if hb is None:
        return None, None
    lo = hb.integer("MinResource", lo=1)
    hi = hb.integer("MaxResource", lo=1)
    if lo is not None and hi is not None and lo > hi:
        raise JobConfigError(hb.at("MinResource"), f"expected <= MaxResource ({hi}), got {lo}")
    return lo, hi


#: Static hyperparameters AMT reads MaxResource from when HyperbandStrategyConfig has none.
EPOCH_NAMES = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")


def hyperband_options(lo: int | None, hi: int | None, statics: list[dict[str, str]]
                      ) -> dict[str, Any]:
    """The Optimizer options of AMT's Hyperband (stopping mode): MinResource (default 1) and
    MaxResource, else the value of a static ``epochs``-like hyperparameter of every
    definition (:data:`EPOCH_NAMES`, as AMT infers it)."""
    path = "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig"
    if hi is None:
        found = {s[k] for s in statics for k in EPOCH_NAMES if k in s}
        if len(found) != 1 or not all(any(k in s for k in EPOCH_NAMES) for s in statics):
            raise JobConfigError(f"{path}.MaxResource", "required with Strategy 'Hyperband' "
                                 "unless every definition has one static hyperparameter among "
                                 f"{list(EPOCH_NAMES)} to infer it from")
        text = found.pop()
        try:
            hi = int(text)
        except ValueError:
            raise JobConfigError(f"{path}.MaxResource", f"cannot infer it from the static "
                                 f"epochs value {text!r}: expected an integer") from None
    lo = 1 if lo is None else lo
    if lo > hi:
        raise JobConfigError(f"{path}.MinResource", f"expected <= MaxResource ({hi}), got {lo}")
    return {"min_resource": lo, "max_resource": hi, "mode": "stopping"}


def read_completion(config: Obj) -> Completion:
    cc = config.obj("TuningJobCompletionCriteria", ("TargetObjectiveMetricValue",
                                                    "BestObjectiveNotImproving",
                                                    "ConvergenceDetected"))
    if cc is None:
        return Completion()
    target = cc.number("TargetObjectiveMetricValue")
    ni = cc.obj("BestObjectiveNotImproving", ("MaxNumberOfTrainingJobsNotImproving",))
    not_improving = None if ni is None else ni.integer(
        "MaxNumberOfTrainingJobsNotImproving", lo=3, required=True)
    cd = cc.obj("ConvergenceDetected", ("CompleteOnConvergence",))
    convergence = cd is not None and cd.enum("CompleteOnConvergence", ("Disabled", "Enabled"),
                                             default="Disabled") == "Enabled"
    return Completion(target, not_improving, convergence)


def read_warm_start(top: Obj) -> WarmStart | None:
    ws = top.obj("WarmStartConfig", ("ParentHyperParameterTuningJobs", "WarmStartType"))
    if ws is None:
        return None
    kind = ws.enum("WarmStartType", ("IdenticalDataAndAlgorithm", "TransferLearning"),
                   required=True)
    parents = []
    for path, entry in ws.items("ParentHyperParameterTuningJobs", required=True, lo=1, hi=5):
        p = Obj(entry, path, ("HyperParameterTuningJobName",))
        parents.append(p.string("HyperParameterTuningJobName", required=True, pattern=JOB_NAME,
                                what="a tuning job name"))
    assert kind is not None
    return WarmStart(kind, tuple(p for p in parents if p))


def check_tags(top: Obj) -> None:
    """Tags: up to 50 ``{"Key", "Value"}`` objects."""
    for path, entry in top.items("Tags", hi=50):
        t = Obj(entry, path, ("Key", "Value"))
        t.string("Key", required=True)
        value = t.raw("Value", required=True)
        if not isinstance(value, str):
            raise JobConfigError(t.at("Value"), f"expected a string, got {show(value)}")


class AnyKeys(list):  # type: ignore[type-arg]
    """Allowed-fields stand-in for SageMaker-only objects we do not read: any key passes."""

    def __contains__(self, key: object) -> bool:
        return True


def read_space(ranges: Any, statics: dict[str, str], path: str, statics_path: str) -> SearchSpace:
    """The definition's space; every bad range entry and static name is one problem (raised
    together as :class:`~hpo_core.errors.JobConfigErrors`)."""
    found: list[JobConfigError] = []
    for name in statics:
        where = key_path(statics_path, name)
        if name.startswith("_tuning"):
            found.append(JobConfigError(where, "names starting with '_tuning' are reserved (the "
                                        "tuner sets _tuning_objective_metric)"))
            continue
        try:
            check_hyperparameter_name(name, where)
        except JobConfigError as e:
            found.append(e)
    bad: list[SearchSpaceError] = []
    try:
        params_from_sagemaker(ranges, statics, bad)
    except SearchSpaceError as e:  # the shape of ParameterRanges itself
        bad.append(e)
    found.extend(_space_error(str(e), path, statics_path) for e in bad)
    if len(found) > 1:
        raise JobConfigErrors(found)
    if found:
        raise found[0]
    try:
        space = SearchSpace.from_sagemaker(ranges, statics)
    except SearchSpaceError as e:
        raise _space_error(str(e), path, statics_path) from None
    for kind, entries in ranges.items():  # well-formed: from_sagemaker read them
        for i, entry in enumerate(entries):
            check_hyperparameter_name(entry["Name"], f"{path}.{kind}[{i}].Name")
    return space


def _space_error(message: str, path: str, statics_path: str) -> JobConfigError:
    """A SearchSpaceError message (``ParameterRanges.X[0] (Name='x'): ...``, possibly
    nested) as a JobConfigError at the deepest field it names."""
    parts = message.split(": ")
    where, name, cut = "", "", 0
    for i, part in enumerate(parts[:-1]):
        head, _, tail = part.partition(" (Name=")
        if head.startswith(("ParameterRanges", "StaticHyperParameters")):
            where, cut = head, i + 1
            name = tail.rstrip(")") or name
    if not where:
        return JobConfigError(path, message)
    rest = ": ".join(parts[cut:])
    if where.startswith("ParameterRanges"):
        where = path + where[len("ParameterRanges"):]
    else:  # StaticHyperParameters['x'] -> <path>.x, as the other fields are named
        where = statics_path + re.sub(r"\['(.*)'\]", r".\1", where[len("StaticHyperParameters"):])
    return JobConfigError(where, f"parameter {name}: {rest}" if name else rest)


def read_metrics(d: Obj, objective: str) -> tuple[MetricDefinition, ...]:
    algo = d.obj("AlgorithmSpecification", ("TrainingImage", "TrainingInputMode",
                                            "AlgorithmName", "MetricDefinitions"))
    out: list[MetricDefinition] = []
    if algo is not None:
        algo.string("TrainingImage")
        algo.string("AlgorithmName")
        algo.enum("TrainingInputMode", ("File", "Pipe", "FastFile"))
        for path, entry in algo.items("MetricDefinitions", hi=40):
            m = Obj(entry, path, ("Name", "Regex"))
            name = m.string("Name", required=True)
            regex = m.string("Regex", required=True)
            assert name is not None and regex is not None
            if len(regex) > 500:
                raise JobConfigError(m.at("Regex"), f"expected at most 500 characters, got "
                                     f"{len(regex)}")
            try:
                compile_regex(regex)
            except ValueError as e:
                raise JobConfigError(m.at("Regex"), str(e)) from None
            if any(o.name == name for o in out):
                raise JobConfigError(m.at("Name"), f"duplicate metric name {name!r}")
            out.append(MetricDefinition(name, regex))
        if out and all(o.name != objective for o in out):
            raise JobConfigError(algo.at("MetricDefinitions"), f"no definition for the objective "
                                 f"metric {objective!r}; defined: {[o.name for o in out]} (leave "
                                 "MetricDefinitions out to use the default 'name=value' regex)")
    if not out:
        out.append(MetricDefinition(objective, default_regex(objective)))
    return tuple(out)


def read_input_data_config(d: Obj, channels: dict[str, Path], local_data: bool = True
                           ) -> dict[str, dict[str, Any]]:
    """The ``inputdataconfig.json`` entries; with ``local_data`` every channel needs a local
    directory (all backends but SageMaker, which reads each channel's DataSource)."""
    entries: dict[str, dict[str, Any]] = {}
    for path, entry in d.items("InputDataConfig", hi=20):
        c = Obj(entry, path, _CHANNEL)
        name = check_channel_name(c.raw("ChannelName", required=True), c.at("ChannelName"))
        if name in entries:
            raise JobConfigError(c.at("ChannelName"), f"duplicate channel {name!r}")
        if not local_data:
            c.obj("DataSource", AnyKeys(), required=True)
        elif name not in channels:
            raise JobConfigError(c.at("ChannelName"), f"channel {name!r} has no local directory;"
                                 f" add it to Local.Channels (known: {sorted(channels)})")
        c.obj("DataSource", AnyKeys())
        c.obj("ShuffleConfig", AnyKeys())
        c.string("ContentType")
        item = {"TrainingInputMode": c.enum("InputMode", ("File", "Pipe", "FastFile"),
                                            default="File"),
                "S3DistributionType": "FullyReplicated",
                "RecordWrapperType": c.enum("RecordWrapperType", ("None", "RecordIO"),
                                            default="None"),
                "CompressionType": c.enum("CompressionType", ("None", "Gzip"), default="None")}
        if c.has("ContentType"):
            item["ContentType"] = c.raw("ContentType")
        entries[name] = item
    for name in channels:
        entries.setdefault(name, {"TrainingInputMode": "File",
                                  "S3DistributionType": "FullyReplicated",
                                  "RecordWrapperType": "None", "CompressionType": "None"})
    return entries


def check_backend_fields(d: Obj, backend: str) -> None:
    """The fields a backend needs in a training-job definition: TrainingImage for Docker; for
    SageMaker also RoleArn, OutputDataConfig, a ResourceConfig and a StoppingCondition."""
    algo = d.raw("AlgorithmSpecification") or {}
    image = isinstance(algo, Mapping) and (algo.get("TrainingImage") or
                                           (backend == "sagemaker" and algo.get("AlgorithmName")))
    if backend in ("docker", "sagemaker") and not image:
        raise JobConfigError(d.at("AlgorithmSpecification.TrainingImage"),
                             f"required for Backend {backend!r}: the image to run")
    if backend != "sagemaker":
        return
    for key in ("RoleArn", "OutputDataConfig", "StoppingCondition"):
        d.raw(key, required=True)
    if not (d.has("ResourceConfig") or d.has("HyperParameterTuningResourceConfig")):
        raise JobConfigError(d.at("ResourceConfig"), "required for Backend 'sagemaker' (or "
                             "HyperParameterTuningResourceConfig): the instances to train on")
