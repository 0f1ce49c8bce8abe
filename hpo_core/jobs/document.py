"""The tuning-job document: SageMaker's ``CreateHyperParameterTuningJob`` request body plus one
``"Local"`` block, read and validated up front into a :class:`JobSpec`.

Every field is checked before anything runs, and every problem is reported in one run (each
part of the document is read on its own: :mod:`hpo_core.jobs.problems`): one problem raises
:class:`~hpo_core.errors.JobConfigError` whose ``path`` names the field, several raise
:class:`~hpo_core.errors.JobConfigErrors` holding each::

    HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs: expected an integer
    >= 1, got '3x' (str)

Unknown fields, and values outside a list of choices, are errors with a "did you mean" hint.
Fields only SageMaker needs (RoleArn, OutputDataConfig, ResourceConfig, TrainingImage, ...) are
optional for the local backends and accepted (checked for shape only). The ``"Local"`` block::

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
from hpo_core.jobs.definitions import Definition, read_definitions
from hpo_core.jobs.fields import Obj
from hpo_core.jobs.names import check_document_text, check_path_text
from hpo_core.jobs.problems import Section, collecting, raise_collected, report
from hpo_core.jobs.rules import combined_space
from hpo_core.jobs.sections import (
    BACKENDS,
    JOB_NAME,
    Completion,
    WarmStart,
    check_tags,
    hyperband_options,
    read_completion,
    read_local,
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
_TOP = ("HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition",
        "TrainingJobDefinitions", "WarmStartConfig", "Tags", "Autotune", "Local")
_CONFIG = ("Strategy", "StrategyConfig", "HyperParameterTuningJobObjective", "ResourceLimits",
           "ParameterRanges", "TrainingJobEarlyStoppingType", "TuningJobCompletionCriteria",
           "RandomSeed")
_LIMITS = ("MaxNumberOfTrainingJobs", "MaxParallelTrainingJobs", "MaxRuntimeInSeconds")


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
        JobConfigError: an invalid field, with its path; several problems (every part of the
            document is read before raising) come as one
            :class:`~hpo_core.errors.JobConfigErrors` holding each.
    """
    check_document_text(doc)
    check_path_text(base_dir, "base_dir")
    if directory is not None:
        check_path_text(directory, "directory")
    base = Path(base_dir).resolve()
    with collecting() as found:
        parts = _read_parts(Obj(doc, "", _TOP), base, has_function)
    raise_collected(found)
    name, local, strategy, definitions = (parts["name"], parts["local"], parts["strategy"],
                                          parts["definitions"])
    backend = local["backend"]
    early = parts["early"]
    # Checks across parts: they run once every part is valid.
    types = {d.objective_type for d in definitions}
    if len(types) > 1:
        raise JobConfigError("TrainingJobDefinitions", "every TuningObjective.Type must be the "
                             f"same, got {sorted(types)}")
    objective_type = types.pop()
    if strategy == "Hyperband" and early == "Auto":
        raise JobConfigError("HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType",
                             "must be 'Off' with Strategy 'Hyperband' (Hyperband stops "
                             "training jobs itself), got 'Auto'")
    hb_min, hb_max = parts["hyperband"]
    options = {} if strategy != "Hyperband" else hyperband_options(
        hb_min, hb_max, [d.space.static_hyperparameters() for d in definitions])
    max_jobs = _check_strategy(strategy, definitions, objective_type, parts["seed"],
                               parts["max_jobs"], early, options)
    if directory is not None:  # a command-line / Python argument: relative to the cwd
        folder = Path(directory).resolve()
    else:
        folder = (base / (local["directory"] or f"runs/{name}")).resolve()
    return JobSpec(name=name, strategy=strategy, objective_type=objective_type,
                   max_jobs=max_jobs, max_parallel=parts["max_parallel"],
                   max_runtime_s=parts["max_runtime"], early_stopping=early or "Off",
                   completion=parts["completion"], seed=parts["seed"],
                   definitions=tuple(definitions), warm_start=parts["warm"], backend=backend,
                   directory=folder, base_dir=base, document=json.loads(json.dumps(doc)),
                   strategy_options=options)


def _read_parts(top: Obj, base: Path, has_function: bool) -> dict[str, Any]:
    """Every part of the document, each on its own (so every problem is recorded); the
    values are complete when nothing was recorded."""
    out: dict[str, Any] = {"name": None, "local": None, "strategy": None, "hyperband":
                           (None, None), "max_jobs": None, "max_parallel": None,
                           "max_runtime": None, "early": None, "completion": None,
                           "seed": None, "definitions": [], "warm": None}
    if top.has("Autotune"):
        report(JobConfigError("Autotune", "not supported; give explicit ParameterRanges"))
    with Section():
        out["name"] = top.string("HyperParameterTuningJobName", required=True, pattern=JOB_NAME,
                                 what="1-32 letters, digits and hyphens, starting and ending "
                                      "with a letter or digit")
    with Section():
        check_tags(top)
    local = _LOCAL_UNREAD
    with Section():
        local = read_local(top.obj("Local", ("Backend", "Directory", "Command", "Channels",
                                             "Definitions")), base)
    out["local"] = local
    config = None
    with Section():
        config = top.obj("HyperParameterTuningJobConfig", _CONFIG, required=True)
    if config is not None:
        _read_config(config, out)
    with Section():
        out["definitions"] = read_definitions(top, config, local, base, has_function)
    with Section():
        out["warm"] = read_warm_start(top)
    if not local["incomplete"] and local["backend"] not in runnable_backends():
        report(JobConfigError("Local.Backend", f"backend {local['backend']!r} is not available "
                              f"yet; available: {', '.join(runnable_backends())}"))
    return out


#: The Local block as far as the definitions need it, when the block could not be read.
_LOCAL_UNREAD: dict[str, Any] = {"backend": "local", "directory": None, "command": None,
                                 "channels": None, "definitions": {}, "incomplete": True}


def _read_config(config: Obj, out: dict[str, Any]) -> None:
    with Section():
        out["strategy"] = config.enum("Strategy", list(STRATEGIES), required=True)
    if out["strategy"] is not None:
        with Section():
            out["hyperband"] = read_strategy_config(config, out["strategy"])
    with Section():
        limits = config.obj("ResourceLimits", _LIMITS, required=True)
        assert limits is not None
        with Section():
            out["max_jobs"] = limits.integer("MaxNumberOfTrainingJobs", lo=1,
                                             required=out["strategy"] not in ("Grid", None))
        with Section():
            out["max_parallel"] = limits.integer("MaxParallelTrainingJobs", lo=1,
                                                 required=True)
        with Section():
            out["max_runtime"] = limits.integer("MaxRuntimeInSeconds", lo=1)
    with Section():
        out["early"] = config.enum("TrainingJobEarlyStoppingType", ("Off", "Auto"),
                                   default="Off")
    with Section():
        out["completion"] = read_completion(config)
    with Section():
        out["seed"] = config.integer("RandomSeed", lo=0)


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
