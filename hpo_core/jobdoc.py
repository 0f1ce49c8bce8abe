"""The tuning-job document: SageMaker's ``CreateHyperParameterTuningJob`` request body plus one
``"Local"`` block, read and validated up front into a :class:`JobSpec`.

Every field is checked before anything runs; the first problem raises
:class:`~hpo_core.job_errors.JobConfigError` whose ``path`` names the field::

    HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs: expected an integer
    >= 1, got '3x' (str)

Unknown fields are errors (with a "did you mean" hint). Fields only SageMaker needs (RoleArn,
OutputDataConfig, ResourceConfig, TrainingImage, ...) are optional for the local backends and
accepted (checked for shape only). The ``"Local"`` block::

    "Local": {"Backend": "local" | "python" | "docker" | "sagemaker" | "ray",
              "Directory": "runs/<job name>", "Command": ["python", "train.py"],
              "Channels": {"train": "data/train"},
              "Definitions": {"<DefinitionName>": {"Command": [...], "Channels": {...}}}}

Relative paths are relative to the document's folder. ``Command`` is an argv list (never a
shell string); for Backend ``python`` it is ``["package.module:function"]``. Only ``local`` and
``python`` run today; the other backends fail validation with a clear "not available yet".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_core.errors import OptimizerError, SearchSpaceError
from hpo_core.job_errors import JobConfigError
from hpo_core.jobdoc_fields import Obj, show
from hpo_core.metrics import MetricDefinition, compile_regex, default_regex
from hpo_core.space import Continuous, SearchSpace

__all__ = ["STRATEGIES", "Completion", "Definition", "JobSpec", "WarmStart", "load_document",
           "parse_document"]

#: AMT strategy name -> hpo_core strategy name.
STRATEGIES = {"Bayesian": "bayesian", "Random": "random", "Grid": "grid",
              "Hyperband": "hyperband"}
BACKENDS = ("local", "python", "docker", "sagemaker", "ray")
RUNNABLE_BACKENDS = ("local", "python")
_JOB_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
_DEF_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}"
_TOP = ("HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition",
        "TrainingJobDefinitions", "WarmStartConfig", "Tags", "Autotune", "Local")
_CONFIG = ("Strategy", "StrategyConfig", "HyperParameterTuningJobObjective", "ResourceLimits",
           "ParameterRanges", "TrainingJobEarlyStoppingType", "TuningJobCompletionCriteria",
           "RandomSeed")
_DEFINITION = ("DefinitionName", "TuningObjective", "HyperParameterRanges",
               "StaticHyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig",
               "VpcConfig", "OutputDataConfig", "ResourceConfig",
               "HyperParameterTuningResourceConfig", "StoppingCondition",
               "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
               "EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy", "Environment")
_CHANNEL = ("ChannelName", "DataSource", "ContentType", "CompressionType", "RecordWrapperType",
            "InputMode", "ShuffleConfig")
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


@dataclass(frozen=True)
class JobSpec:
    """A validated tuning job. ``document`` is the document as given (JSON-ready)."""

    name: str
    strategy: str
    objective_type: str
    max_jobs: int
    max_parallel: int
    max_runtime_s: int | None
    early_stopping: str
    completion: Completion
    seed: int | None
    definitions: tuple[Definition, ...]
    warm_start: WarmStart | None
    backend: str
    directory: Path
    base_dir: Path
    document: dict[str, Any] = field(repr=False)

    @property
    def optimizer_strategy(self) -> str:
        """The hpo_core strategy name of :attr:`strategy`."""
        return STRATEGIES[self.strategy]


def load_document(path: str | Path) -> dict[str, Any]:
    """Read a job document from a ``.json`` or ``.yaml``/``.yml`` file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise JobConfigError("", f"cannot read job document {str(p)!r}: {e.strerror or e}") \
            from None
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise JobConfigError("", f"{p}: invalid YAML: {e}") from None
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise JobConfigError("", f"{p}: invalid JSON at line {e.lineno} column {e.colno}: "
                                 f"{e.msg}") from None
    if not isinstance(doc, dict):
        raise JobConfigError("", f"{p}: expected a JSON/YAML object at the top, got "
                             f"{type(doc).__name__}")
    return doc


def parse_document(doc: Any, base_dir: str | Path = ".", directory: str | Path | None = None,
                   has_function: bool = False) -> JobSpec:
    """Validate a job document.

    Args:
        doc: the document (parsed JSON/YAML).
        base_dir: folder that relative paths are relative to (the document's folder).
        directory: job directory overriding ``Local.Directory`` (``hpo tune --dir``).
        has_function: a Python callable was given for the ``python`` backend, so its
            ``Command`` may be absent.

    Raises:
        JobConfigError: the first invalid field, with its path.
    """
    base = Path(base_dir).resolve()
    top = Obj(doc, "", _TOP)
    if top.has("Autotune"):
        raise JobConfigError("Autotune", "not supported; give explicit ParameterRanges")
    name = top.string("HyperParameterTuningJobName", required=True, pattern=_JOB_NAME,
                      what="1-32 letters, digits and hyphens, starting and ending with a letter "
                           "or digit")
    assert name is not None
    check_tags(top)
    local = _local(top.obj("Local", ("Backend", "Directory", "Command", "Channels",
                                     "Definitions")), base)
    backend = local["backend"]
    config = top.obj("HyperParameterTuningJobConfig", _CONFIG, required=True)
    assert config is not None
    strategy = config.enum("Strategy", list(STRATEGIES), required=True)
    assert strategy is not None
    _strategy_config(config, strategy)
    limits = config.obj("ResourceLimits", ("MaxNumberOfTrainingJobs", "MaxParallelTrainingJobs",
                                           "MaxRuntimeInSeconds"), required=True)
    assert limits is not None
    max_jobs = limits.integer("MaxNumberOfTrainingJobs", lo=1, required=strategy != "Grid")
    max_parallel = limits.integer("MaxParallelTrainingJobs", lo=1, required=True)
    max_runtime = limits.integer("MaxRuntimeInSeconds", lo=1)
    early = config.enum("TrainingJobEarlyStoppingType", ("Off", "Auto"), default="Off")
    completion = _completion(config)
    seed = config.integer("RandomSeed", lo=0)

    definitions = _definitions(top, config, local, base, has_function)
    types = {d.objective_type for d in definitions}
    if len(types) > 1:
        raise JobConfigError("TrainingJobDefinitions", "every TuningObjective.Type must be the "
                             f"same, got {sorted(types)}")
    objective_type = types.pop()
    if strategy == "Hyperband" and early == "Auto":
        raise JobConfigError("HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType",
                             "must be 'Off' with Strategy 'Hyperband' (Hyperband stops "
                             "training jobs itself), got 'Auto'")
    if early == "Auto":
        raise JobConfigError("HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType",
                             "'Auto' is not available yet (it needs the multi-fidelity "
                             "optimizer); use 'Off'")
    max_jobs = _check_strategy(strategy, definitions, objective_type, seed, max_jobs)
    warm = _warm_start(top)
    if backend not in RUNNABLE_BACKENDS:
        raise JobConfigError("Local.Backend", f"backend {backend!r} is not available yet; "
                             f"available: {', '.join(RUNNABLE_BACKENDS)}")
    folder = Path(directory) if directory is not None else Path(
        local["directory"] or f"runs/{name}")
    folder = (base / folder).resolve() if not folder.is_absolute() else folder
    return JobSpec(name=name, strategy=strategy, objective_type=objective_type,
                   max_jobs=max_jobs, max_parallel=max_parallel, max_runtime_s=max_runtime,
                   early_stopping=early or "Off", completion=completion, seed=seed,
                   definitions=tuple(definitions), warm_start=warm, backend=backend,
                   directory=folder, base_dir=base, document=json.loads(json.dumps(doc)))


def _local(block: Obj | None, base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"backend": "local", "directory": None, "command": None,
                           "channels": None, "definitions": {}}
    if block is None:
        return out
    out["backend"] = block.enum("Backend", BACKENDS, default="local")
    out["directory"] = block.string("Directory")
    out["command"] = block.strings("Command", lo=1)
    out["channels"] = _channels(block, base) if block.has("Channels") else None
    defs = block.raw("Definitions")
    if defs is not None:
        if not isinstance(defs, Mapping):
            raise JobConfigError(block.at("Definitions"), f"expected an object of "
                                 f"DefinitionName -> {{Command, Channels}}, got {show(defs)}")
        for key, value in defs.items():
            sub = Obj(value, f"{block.at('Definitions')}.{key}", ("Command", "Channels"))
            out["definitions"][key] = {
                "command": sub.strings("Command", lo=1),
                "channels": _channels(sub, base) if sub.has("Channels") else None}
    return out


def _channels(block: Obj, base: Path) -> dict[str, Path]:
    value = block.raw("Channels")
    path = block.at("Channels")
    if not isinstance(value, Mapping):
        raise JobConfigError(path, f"expected an object of channel name -> local directory, "
                             f"got {show(value)}")
    out = {}
    for channel, folder in value.items():
        if not isinstance(folder, str) or not folder:
            raise JobConfigError(f"{path}.{channel}", f"expected a directory path, got "
                                 f"{show(folder)}")
        resolved = (base / folder).resolve()
        if not resolved.is_dir():
            raise JobConfigError(f"{path}.{channel}", f"directory {folder!r} does not exist "
                                 f"(looked for {resolved})")
        out[channel] = resolved
    return out


def _strategy_config(config: Obj, strategy: str) -> None:
    sc = config.obj("StrategyConfig", ("HyperbandStrategyConfig",))
    if sc is None:
        return
    if strategy != "Hyperband":
        raise JobConfigError(sc.path, f"only allowed with Strategy 'Hyperband', got Strategy "
                             f"{strategy!r}")
    hb = sc.obj("HyperbandStrategyConfig", ("MinResource", "MaxResource"))
    if hb is not None:
        lo = hb.integer("MinResource", lo=1)
        hi = hb.integer("MaxResource", lo=1)
        if lo is not None and hi is not None and lo > hi:
            raise JobConfigError(hb.at("MinResource"), f"expected <= MaxResource ({hi}), got "
                                 f"{lo}")


def _completion(config: Obj) -> Completion:
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


def _definitions(top: Obj, config: Obj, local: dict[str, Any], base: Path,
                 has_function: bool) -> list[Definition]:
    single, many = top.has("TrainingJobDefinition"), top.has("TrainingJobDefinitions")
    if single == many:
        raise JobConfigError("TrainingJobDefinition", "give exactly one of "
                             "TrainingJobDefinition and TrainingJobDefinitions" if single
                             else "required field is missing (or TrainingJobDefinitions)")
    if single:
        entries = [("TrainingJobDefinition", top.raw("TrainingJobDefinition"))]
    else:
        entries = top.items("TrainingJobDefinitions", lo=1, hi=10)
        for key in ("HyperParameterTuningJobObjective", "ParameterRanges"):
            if config.has(key):
                raise JobConfigError(config.at(key), "not allowed with TrainingJobDefinitions; "
                                     "give TuningObjective / HyperParameterRanges in each "
                                     "definition")
    out: list[Definition] = []
    for path, entry in entries:
        d = _definition(Obj(entry, path, _DEFINITION), config if single else None, local, base,
                        has_function, multi=many)
        if any(d.name == o.name for o in out):
            raise JobConfigError(f"{path}.DefinitionName", f"duplicate name {d.name!r}")
        out.append(d)
    unknown = sorted(set(local["definitions"]) - {d.name for d in out})
    if unknown:
        raise JobConfigError(f"Local.Definitions.{unknown[0]}", "no training-job definition has "
                             f"this DefinitionName; known: {[d.name for d in out]}")
    return out


def _definition(d: Obj, config: Obj | None, local: dict[str, Any], base: Path,
                has_function: bool, multi: bool) -> Definition:
    name = d.string("DefinitionName", required=multi, pattern=_DEF_NAME,
                    what="1-64 letters, digits and hyphens") or "default"
    objective = _objective(d, config)
    ranges_key = "HyperParameterRanges"
    if config is not None and config.has("ParameterRanges"):
        if d.has(ranges_key):
            raise JobConfigError(d.at(ranges_key), "give the ranges in "
                                 "HyperParameterTuningJobConfig.ParameterRanges or here, not both")
        ranges_path, ranges = config.at("ParameterRanges"), config.raw("ParameterRanges")
    else:
        ranges_path, ranges = d.at(ranges_key), d.raw(ranges_key, required=True)
    statics = d.string_map("StaticHyperParameters")
    space = _space(ranges, statics, ranges_path, d.at("StaticHyperParameters"))
    metrics = _metrics(d, objective[0])
    stop = d.obj("StoppingCondition", ("MaxRuntimeInSeconds", "MaxWaitTimeInSeconds",
                                       "MaxPendingTimeInSeconds"))
    runtime = _DEFAULT_RUNTIME if stop is None else stop.integer(
        "MaxRuntimeInSeconds", lo=1, default=_DEFAULT_RUNTIME)
    retry = d.obj("RetryStrategy", ("MaximumRetryAttempts",))
    retries = 0 if retry is None else retry.integer("MaximumRetryAttempts", lo=1, hi=30,
                                                    required=True)
    for key in ("VpcConfig", "OutputDataConfig", "ResourceConfig", "CheckpointConfig",
                "HyperParameterTuningResourceConfig"):
        d.obj(key, _AnyKeys())
    d.string("RoleArn")
    for key in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                "EnableManagedSpotTraining"):
        d.boolean(key)
    env = d.string_map("Environment")
    own = local["definitions"].get(name, {})
    command = own.get("command") or local["command"]
    channels = own.get("channels") if own.get("channels") is not None else local["channels"]
    if not command and not has_function:
        where = f"Local.Definitions.{name}.Command" if multi else "Local.Command"
        raise JobConfigError(where, "required field is missing: the argv that runs one "
                             "training job, e.g. [\"python\", \"train.py\"]")
    if local["backend"] == "python" and command and (len(command) != 1 or ":" not in command[0]):
        raise JobConfigError("Local.Command", "Backend 'python' expects "
                             f"[\"package.module:function\"], got {command!r}")
    idc = _input_data_config(d, channels or {})
    return Definition(name=name, space=space, objective_metric=objective[0],
                      objective_type=objective[1], metrics=metrics,
                      command=tuple(command or ()), channels=dict(channels or {}),
                      input_data_config=idc, max_runtime_s=runtime or _DEFAULT_RUNTIME,
                      max_retries=retries or 0, environment=env)


class _AnyKeys(list):  # type: ignore[type-arg]
    """Allowed-fields stand-in for SageMaker-only objects we do not read: any key passes."""

    def __contains__(self, key: object) -> bool:
        return True


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
        if obj is None:
            raise JobConfigError("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective",
                                 "required field is missing")
    assert obj is not None
    kind = obj.enum("Type", ("Maximize", "Minimize"), required=True)
    metric = obj.string("MetricName", required=True)
    assert kind is not None and metric is not None
    return metric, kind


def _space(ranges: Any, statics: dict[str, str], path: str, statics_path: str) -> SearchSpace:
    for name in statics:
        if name.startswith("_tuning"):
            raise JobConfigError(f"{statics_path}.{name}", "names starting with '_tuning' are "
                                 "reserved (the tuner sets _tuning_objective_metric)")
    try:
        return SearchSpace.from_sagemaker(ranges, statics)
    except SearchSpaceError as e:
        raise _space_error(str(e), path, statics_path) from None


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


def _metrics(d: Obj, objective: str) -> tuple[MetricDefinition, ...]:
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


def _input_data_config(d: Obj, channels: dict[str, Path]) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for path, entry in d.items("InputDataConfig", hi=20):
        c = Obj(entry, path, _CHANNEL)
        name = c.string("ChannelName", required=True, pattern=r"[A-Za-z0-9\.\-_]+",
                        what="letters, digits, '.', '-' and '_'")
        assert name is not None
        if name in entries:
            raise JobConfigError(c.at("ChannelName"), f"duplicate channel {name!r}")
        if name not in channels:
            raise JobConfigError(c.at("ChannelName"), f"channel {name!r} has no local directory;"
                                 f" add it to Local.Channels (known: {sorted(channels)})")
        c.obj("DataSource", _AnyKeys())
        c.obj("ShuffleConfig", _AnyKeys())
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


def _check_strategy(strategy: str, definitions: list[Definition], objective_type: str,
                    seed: int | None, max_jobs: int | None) -> int:
    path = "HyperParameterTuningJobConfig.Strategy"
    if strategy == "Grid":
        if len(definitions) > 1:
            raise JobConfigError(path, "'Grid' with several TrainingJobDefinitions is not "
                                 "supported; use Random or one definition")
        space = definitions[0].space
        for n, p in space.params.items():
            if isinstance(p, Continuous) and not p.is_fixed:
                raise JobConfigError(path, f"'Grid' needs categorical or integer ranges; "
                                     f"parameter {n!r} is continuous")
        size = space.size or 1
        if max_jobs is not None and max_jobs > size:
            raise JobConfigError(
                "HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs",
                f"Grid has {size} combinations, fewer than MaxNumberOfTrainingJobs={max_jobs}; "
                f"expected at most {size} (or leave it out)")
        max_jobs = size if max_jobs is None else max_jobs
    from hpo_core.optimizer import Optimizer

    try:  # let the Optimizer say which strategies exist
        Optimizer(definitions[0].space, STRATEGIES[strategy], objective_type, seed or 0)
    except OptimizerError as e:
        raise JobConfigError(path, f"{strategy!r}: {e}") from None
    assert max_jobs is not None
    return max_jobs


def _warm_start(top: Obj) -> WarmStart | None:
    ws = top.obj("WarmStartConfig", ("ParentHyperParameterTuningJobs", "WarmStartType"))
    if ws is None:
        return None
    kind = ws.enum("WarmStartType", ("IdenticalDataAndAlgorithm", "TransferLearning"),
                   required=True)
    parents = []
    for path, entry in ws.items("ParentHyperParameterTuningJobs", required=True, lo=1, hi=5):
        p = Obj(entry, path, ("HyperParameterTuningJobName",))
        parents.append(p.string("HyperParameterTuningJobName", required=True, pattern=_JOB_NAME,
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

