"""The tuning-job document: SageMaker's ``CreateHyperParameterTuningJob`` request body plus one
``"Local"`` block, read and validated up front into a :class:`JobSpec`.

Every field is checked before anything runs; the first problem raises
:class:`~hpo_core.errors.JobConfigError` whose ``path`` names the field::

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
shell string); for Backend ``python`` it is ``["package.module:function"]``. Validation follows
the backend: ``docker`` needs AlgorithmSpecification.TrainingImage (no Command); ``sagemaker``
also RoleArn, OutputDataConfig, ResourceConfig and StoppingCondition (channels come from each
DataSource, not Local.Channels); a backend whose adapter is not installed fails with "not
available yet".

Strategies map to the Optimizer's (Bayesian -> ``bayesian``, Random, Grid, Hyperband); whether
a strategy or early stopping ``Auto`` is available is the Optimizer's answer, surfaced at the
field's path. Hyperband runs in stopping mode with MinResource (default 1) and MaxResource
(default: a static ``epochs``-like hyperparameter, as AMT infers it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_core.errors import JobConfigError, OptimizerError
from hpo_core.jobs.fields import Obj
from hpo_core.jobs.metrics import MetricDefinition
from hpo_core.jobs.names import (
    check_document_text,
    check_environment_key,
    check_path_text,
    key_path,
)
from hpo_core.jobs.rules import combined_space
from hpo_core.jobs.sections import (
    BACKENDS,
    JOB_NAME,
    AnyKeys,
    Completion,
    WarmStart,
    check_backend_fields,
    check_tags,
    hyperband_options,
    read_completion,
    read_input_data_config,
    read_local,
    read_metrics,
    read_space,
    read_strategy_config,
    read_warm_start,
)
from hpo_core.optimizer import Optimizer
from hpo_core.space import Continuous, SearchSpace

__all__ = ["STRATEGIES", "Completion", "Definition", "JobSpec", "WarmStart", "document_from_space",
           "load_document",
           "parse_document"]

#: AMT strategy name -> hpo_core strategy name.
STRATEGIES = {"Bayesian": "bayesian", "Random": "random", "Grid": "grid",
              "Hyperband": "hyperband"}
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
class JobSpec:
    """A validated tuning job. ``document`` is the document as given (JSON-ready);
    ``strategy_options`` are the Optimizer's options (Hyperband's resources)."""

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
    strategy_options: dict[str, Any] = field(default_factory=dict)

    @property
    def optimizer_strategy(self) -> str:
        """The hpo_core strategy name of :attr:`strategy`."""
        return STRATEGIES[self.strategy]


def runnable_backends() -> tuple[str, ...]:
    """The backends this installation can run (an adapter module exists for each)."""
    import importlib.util

    return tuple(b for b in BACKENDS if b in ("local", "python") or
                 importlib.util.find_spec(f"hpo_core.adapters.{b}") is not None)


def load_document(path: str | Path) -> dict[str, Any]:
    """Read a job document from a ``.json`` or ``.yaml``/``.yml`` file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise JobConfigError("", f"cannot read job document {str(p)!r}: {e.strerror or e}") \
            from None
    except UnicodeDecodeError as e:
        raise JobConfigError("", f"{p}: not UTF-8 text (byte {e.object[e.start]:#04x} at "
                             f"offset {e.start})") from None
    try:
        doc = _parsed(text, p)
    except JobConfigError:  # invalid YAML; a ValueError too, so let it pass first
        raise
    except json.JSONDecodeError as e:
        raise JobConfigError("", f"{p}: invalid JSON at line {e.lineno} column {e.colno}: "
                             f"{e.msg}") from None
    except RecursionError:
        raise JobConfigError("", f"{p}: nested too deeply to be a job document") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise JobConfigError("", f"{p}: unreadable: {e}") from None
    if not isinstance(doc, dict):
        raise JobConfigError("", f"{p}: expected a JSON/YAML object at the top, got "
                             f"{type(doc).__name__}")
    return doc


def _parsed(text: str, p: Path) -> Any:
    if p.suffix.lower() not in (".yaml", ".yml"):
        return json.loads(text)
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise JobConfigError("", f"{p}: invalid YAML: {e}") from None


def parse_document(doc: Any, base_dir: str | Path = ".", directory: str | Path | None = None,
                   has_function: bool = False) -> JobSpec:
    """Validate a job document.

    Args:
        doc: the document (parsed JSON/YAML).
        base_dir: folder that relative paths are relative to (the document's folder).
        directory: job directory overriding ``Local.Directory`` (``hpo tune --dir``); a
            relative one is relative to the current directory.
        has_function: a Python callable was given for the ``python`` backend, so its
            ``Command`` may be absent.

    Raises:
        JobConfigError: the first invalid field, with its path.
    """
    check_document_text(doc)
    check_path_text(base_dir, "base_dir")
    if directory is not None:
        check_path_text(directory, "directory")
    base = Path(base_dir).resolve()
    top = Obj(doc, "", _TOP)
    if top.has("Autotune"):
        raise JobConfigError("Autotune", "not supported; give explicit ParameterRanges")
    name = top.string("HyperParameterTuningJobName", required=True, pattern=JOB_NAME,
                      what="1-32 letters, digits and hyphens, starting and ending with a letter "
                           "or digit")
    assert name is not None
    check_tags(top)
    local = read_local(top.obj("Local", ("Backend", "Directory", "Command", "Channels",
                                     "Definitions")), base)
    backend = local["backend"]
    config = top.obj("HyperParameterTuningJobConfig", _CONFIG, required=True)
    assert config is not None
    strategy = config.enum("Strategy", list(STRATEGIES), required=True)
    assert strategy is not None
    hb_min, hb_max = read_strategy_config(config, strategy)
    limits = config.obj("ResourceLimits", ("MaxNumberOfTrainingJobs", "MaxParallelTrainingJobs",
                                           "MaxRuntimeInSeconds"), required=True)
    assert limits is not None
    max_jobs = limits.integer("MaxNumberOfTrainingJobs", lo=1, required=strategy != "Grid")
    max_parallel = limits.integer("MaxParallelTrainingJobs", lo=1, required=True)
    assert max_parallel is not None
    max_runtime = limits.integer("MaxRuntimeInSeconds", lo=1)
    early = config.enum("TrainingJobEarlyStoppingType", ("Off", "Auto"), default="Off")
    completion = read_completion(config)
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
    options = {} if strategy != "Hyperband" else hyperband_options(
        hb_min, hb_max, [d.space.static_hyperparameters() for d in definitions])
    max_jobs = _check_strategy(strategy, definitions, objective_type, seed, max_jobs, early,
                               options)
    warm = read_warm_start(top)
    if backend not in runnable_backends():
        raise JobConfigError("Local.Backend", f"backend {backend!r} is not available yet; "
                             f"available: {', '.join(runnable_backends())}")
    if directory is not None:  # a command-line / Python argument: relative to the cwd
        folder = Path(directory).resolve()
    else:
        folder = (base / (local["directory"] or f"runs/{name}")).resolve()
    return JobSpec(name=name, strategy=strategy, objective_type=objective_type,
                   max_jobs=max_jobs, max_parallel=max_parallel, max_runtime_s=max_runtime,
                   early_stopping=early or "Off", completion=completion, seed=seed,
                   definitions=tuple(definitions), warm_start=warm, backend=backend,
                   directory=folder, base_dir=base, document=json.loads(json.dumps(doc)),
                   strategy_options=options)


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
    space = read_space(ranges, statics, ranges_path, d.at("StaticHyperParameters"))
    metrics = read_metrics(d, objective[0])
    stop = d.obj("StoppingCondition", ("MaxRuntimeInSeconds", "MaxWaitTimeInSeconds",
                                       "MaxPendingTimeInSeconds"))
    runtime = _DEFAULT_RUNTIME if stop is None else stop.integer(
        "MaxRuntimeInSeconds", lo=1, default=_DEFAULT_RUNTIME)
    retry = d.obj("RetryStrategy", ("MaximumRetryAttempts",))
    retries = 0 if retry is None else retry.integer("MaximumRetryAttempts", lo=1, hi=30,
                                                    required=True)
    for key in ("VpcConfig", "OutputDataConfig", "ResourceConfig", "CheckpointConfig",
                "HyperParameterTuningResourceConfig"):
        d.obj(key, AnyKeys())
    d.string("RoleArn")
    for key in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                "EnableManagedSpotTraining"):
        d.boolean(key)
    env = d.string_map("Environment")
    for key in env:
        check_environment_key(key, key_path(d.at("Environment"), key))
    own = local["definitions"].get(name, {})
    command = own.get("command") or local["command"]
    channels = own.get("channels") if own.get("channels") is not None else local["channels"]
    backend = local["backend"]
    check_backend_fields(d, backend)
    if not command and not has_function and backend in ("local", "python", "ray"):
        where = f"Local.Definitions.{name}.Command" if multi else "Local.Command"
        raise JobConfigError(where, "required field is missing: the argv that runs one "
                             "training job, e.g. [\"python\", \"train.py\"]")
    if backend == "python" and command and (len(command) != 1 or ":" not in command[0]):
        raise JobConfigError("Local.Command", "Backend 'python' expects "
                             f"[\"package.module:function\"], got {command!r}")
    idc = read_input_data_config(d, channels or {}, local_data=backend != "sagemaker")
    return Definition(name=name, space=space, objective_metric=objective[0],
                      objective_type=objective[1], metrics=metrics,
                      command=tuple(command or ()), channels=dict(channels or {}),
                      input_data_config=idc, max_runtime_s=runtime or _DEFAULT_RUNTIME,
                      max_retries=retries or 0, environment=env)


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


def _check_strategy(strategy: str, definitions: list[Definition], objective_type: str,
                    seed: int | None, max_jobs: int | None, early: str | None,
                    options: dict[str, Any]) -> int:
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
    space = combined_space({d.name: d.space for d in definitions})
    try:  # let the Optimizer say which strategies (and early stopping) it has
        Optimizer(space, STRATEGIES[strategy], objective_type, seed or 0, **options)
    except OptimizerError as e:
        raise JobConfigError(path, f"{strategy!r}: {e}") from None
    if early == "Auto":
        try:
            Optimizer(space, STRATEGIES[strategy], objective_type, seed or 0,
                      early_stopping="auto", **options)
        except (OptimizerError, TypeError) as e:
            raise JobConfigError("HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType",
                                 f"'Auto' is not available: {e}") from None
    assert max_jobs is not None
    return max_jobs


def document_from_space(name: str, space: SearchSpace, *, metric: str, objective: str,
                        command: list[str] | None, python: bool, max_jobs: int,
                        max_parallel: int, strategy: str, regex: str | None,
                        channels: dict[str, str] | None, directory: str | Path | None,
                        seed: int | None, max_runtime_s: int | None) -> dict[str, Any]:
    """The job document of :class:`~hpo_core.jobs.TuningJob`'s Python form (see there)."""
    limits: dict[str, Any] = {"MaxNumberOfTrainingJobs": max_jobs,
                              "MaxParallelTrainingJobs": max_parallel}
    if max_runtime_s is not None:
        limits["MaxRuntimeInSeconds"] = max_runtime_s
    config: dict[str, Any] = {
        "Strategy": strategy, "ResourceLimits": limits,
        "HyperParameterTuningJobObjective": {"Type": objective, "MetricName": metric},
        "ParameterRanges": space.to_sagemaker()}
    if seed is not None:
        config["RandomSeed"] = seed
    definition: dict[str, Any] = {"StaticHyperParameters": space.static_hyperparameters()}
    if regex is not None:
        definition["AlgorithmSpecification"] = {
            "MetricDefinitions": [{"Name": metric, "Regex": regex}]}
    local: dict[str, Any] = {"Backend": "python" if python else "local"}
    for key, value in (("Command", command), ("Channels", channels),
                       ("Directory", None if directory is None else str(directory))):
        if value is not None:
            local[key] = value
    return {"HyperParameterTuningJobName": name, "HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": definition, "Local": local}
