"""Pure rules of the tuner: completion criteria, multi-algorithm spaces, warm-start mapping.

Completion criteria (AMT ``TuningJobCompletionCriteria``), checked after every completed
training job, on objective values in completion order:

- ``TargetObjectiveMetricValue``: the best value reached the target (>= for Maximize, <= for
  Minimize).
- ``BestObjectiveNotImproving``: the last ``MaxNumberOfTrainingJobsNotImproving`` completed
  jobs did not improve on the best value before them.
- ``ConvergenceDetected`` (``CompleteOnConvergence: Enabled``): with
  ``W = max(10, ceil(MaxNumberOfTrainingJobs / 10))`` and at least ``W + 1`` completed jobs, the
  best value improved by less than 1% (relative to ``|best before the last W jobs|``; absolute
  1e-12 when that is 0) over the last ``W`` completed jobs.

Resuming checks the document is the same job (:func:`check_same_job`: equal after sorting keys,
``Local.Directory`` aside).

Multi-algorithm jobs are tuned in one space: a categorical ``_definition`` (the
DefinitionName) plus every definition's parameters named ``<DefinitionName>.<name>``; a trial
uses the parameters of the definition it drew (the others are ignored).

Warm start (parents' *completed* training jobs become observations of the new Optimizer, told
before the first ask; they are not training jobs of this job and do not count toward
MaxNumberOfTrainingJobs). A parent observation is mapped per parameter of the child:

======================  ===========================  ====================================
child parameter         IdenticalDataAndAlgorithm    TransferLearning
======================  ===========================  ====================================
same name, in range     parent value                 parent value
same name, out of range observation dropped          clipped to the child range (a
                                                     categorical value not in the child's
                                                     values: observation dropped)
added (not in parent)   not allowed (config error)   the range's centre (unit cube 0.5)
removed (not in child)  not allowed (config error)   ignored
static                  must be equal (config error) the child's static value
======================  ===========================  ====================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hpo_core.errors import JobStateError
from hpo_core.space import Categorical, Continuous, Integer, Param, SearchSpace, Static

__all__ = ["DEFINITION_PARAM", "check_same_job", "combined_space", "completion_reason",
           "convergence_window", "map_observation", "not_improving_count", "split_params"]

DEFINITION_PARAM = "_definition"


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def not_improving_count(values: Sequence[float], maximize: bool) -> int:
    """How many completed jobs (in completion order) came after the last improvement."""
    best, since = None, 0
    for v in values:
        if best is None or _better(v, best, maximize):
            best, since = v, 0
        else:
            since += 1
    return since


def convergence_window(max_jobs: int) -> int:
    """``W = max(10, ceil(MaxNumberOfTrainingJobs / 10))``."""
    return max(10, math.ceil(max_jobs / 10))


def converged(values: Sequence[float], maximize: bool, max_jobs: int) -> bool:
    """The ConvergenceDetected rule (see the module docstring)."""
    w = convergence_window(max_jobs)
    if len(values) < w + 1:
        return False
    pick = max if maximize else min
    before, now = pick(values[:-w]), pick(values)
    gain = (now - before) if maximize else (before - now)
    return gain < (0.01 * abs(before) if before != 0 else 1e-12)


def completion_reason(values: Sequence[float], maximize: bool, max_jobs: int,
                      target: float | None, not_improving: int | None,
                      convergence: bool) -> str | None:
    """The first completion criterion met by ``values`` (completion order), or None."""
    if not values:
        return None
    best = max(values) if maximize else min(values)
    if target is not None and (best >= target if maximize else best <= target):
        return (f"TargetObjectiveMetricValue reached: best objective {best:g} "
                f"{'>=' if maximize else '<='} {target:g}")
    if not_improving is not None and not_improving_count(values, maximize) >= not_improving:
        return (f"BestObjectiveNotImproving: the best objective ({best:g}) did not improve in "
                f"the last {not_improving} training jobs")
    if convergence and converged(values, maximize, max_jobs):
        return (f"ConvergenceDetected: the best objective ({best:g}) improved by less than 1% "
                f"over the last {convergence_window(max_jobs)} completed training jobs")
    return None


def combined_space(spaces: Mapping[str, SearchSpace]) -> SearchSpace:
    """One space for several definitions (see the module docstring); one definition: its own."""
    if len(spaces) == 1:
        return next(iter(spaces.values()))
    params: dict[str, Param] = {DEFINITION_PARAM: Categorical(list(spaces))}
    for name, space in spaces.items():
        for p, spec in space.params.items():
            params[f"{name}.{p}"] = spec
    return SearchSpace(params)


def split_params(params: Mapping[str, Any], names: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """``(definition name, its parameters)`` of a point of :func:`combined_space`."""
    if len(names) == 1:
        return names[0], dict(params)
    chosen = str(params[DEFINITION_PARAM])
    prefix = chosen + "."
    return chosen, {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def _parse(p: Param, text: str) -> Any:
    if isinstance(p, Integer):
        return int(float(text))
    if isinstance(p, Continuous):
        return float(text)
    return text


def map_observation(child: SearchSpace, parent_strings: Mapping[str, str],
                    kind: str) -> dict[str, Any] | None:
    """A parent's hyperparameter strings as a point of ``child`` (None: dropped).

    Args:
        child: the new job's space (of the matching definition).
        parent_strings: the parent training job's hyperparameters (AMT strings).
        kind: ``"IdenticalDataAndAlgorithm"`` or ``"TransferLearning"``.
    """
    out: dict[str, Any] = {}
    transfer = kind == "TransferLearning"
    for name, p in child.params.items():
        if isinstance(p, Static):
            out[name] = p.value
            continue
        if name not in parent_strings:
            if not transfer:
                return None
            out[name] = child.decode([0.5] * child.dims)[name]
            continue
        try:
            value = _parse(p, parent_strings[name])
        except ValueError:
            return None
        if isinstance(p, Categorical):
            match = [v for v in p.values if str(v) == str(value)]
            if not match:
                return None
            out[name] = match[0]
            continue
        lo, hi = p.min_value, p.max_value
        if not lo <= value <= hi:
            if not transfer:
                return None
            value = min(max(value, lo), hi)
        out[name] = value
    return out


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(doc, sort_keys=True))
    out.get("Local", {}).pop("Directory", None)
    return out


def check_same_job(saved: dict[str, Any], new: dict[str, Any], directory: Path) -> None:
    a, b = _canonical(saved), _canonical(new)
    if a == b:
        return
    path = _first_difference(a, b, "")
    raise JobStateError(f"{directory} holds a run of a different job document (first "
                        f"difference at {path or 'the top level'}); use another --dir, or "
                        "delete the directory to start over")


def _first_difference(a: Any, b: Any, path: str) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path

