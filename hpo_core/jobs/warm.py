"""Warm start: the parents' completed training jobs as observations for a new tuning job.

A parent named in ``WarmStartConfig.ParentHyperParameterTuningJobs`` is looked up as a job
directory next to this job's directory (``runs/<parent name>`` for ``runs/<child name>``).
Its objective (metric name and type) must equal the child's. Each parent training job of a
definition with the same ``DefinitionName`` is mapped with
:func:`hpo_core.jobs.rules.map_observation` (the table there says what happens to changed
ranges and added or removed parameters); for ``IdenticalDataAndAlgorithm`` the parent's
hyperparameter names, static values and command must also equal the child's.
"""

from __future__ import annotations

from typing import Any

from hpo_core.errors import JobConfigError
from hpo_core.jobs.document import JobSpec, parse_document
from hpo_core.jobs.rules import DEFINITION_PARAM, map_observation
from hpo_core.jobs.store import Store, is_job_dir
from hpo_core.space import SearchSpace, Static

__all__ = ["warm_start_observations"]


def warm_start_observations(spec: JobSpec, space: SearchSpace) -> list[tuple[dict[str, Any],
                                                                              float]]:
    """``[(point of space, objective value), ...]`` from every parent, in parent order."""
    assert spec.warm_start is not None
    out: list[tuple[dict[str, Any], float]] = []
    kind = spec.warm_start.type
    for i, parent in enumerate(spec.warm_start.parents):
        path = f"WarmStartConfig.ParentHyperParameterTuningJobs[{i}].HyperParameterTuningJobName"
        folder = spec.directory.parent / parent
        if not is_job_dir(folder):
            raise JobConfigError(path, f"no job directory for parent {parent!r} (looked in "
                                 f"{folder})")
        store = Store(folder)
        try:
            doc = store.get("document")
            rows = store.trials("Completed")
        finally:
            store.close()
        try:
            pspec = parse_document(doc, spec.base_dir, folder, has_function=True)
        except JobConfigError as e:
            raise JobConfigError(path, f"the parent's document is no longer valid: {e}") \
                from None
        _check_parent(spec, pspec, kind, path)
        pdefs = {d.name: d for d in pspec.definitions}
        for row in rows:
            d = next((c for c in spec.definitions if c.name == row["definition"]), None)
            if d is None or row["definition"] not in pdefs or row["value"] is None:
                continue
            point = map_observation(d.space, row["hyperparameters"], kind)
            if point is None:
                continue
            out.append((_to_combined(point, d.name, space, len(spec.definitions)),
                        float(row["value"])))
    return out


def _check_parent(spec: JobSpec, parent: JobSpec, kind: str, path: str) -> None:
    mine = spec.definitions[0]
    theirs = parent.definitions[0]
    if (mine.objective_metric, mine.objective_type) != (theirs.objective_metric,
                                                        theirs.objective_type):
        raise JobConfigError(path, f"the parent's objective ({theirs.objective_type} "
                             f"{theirs.objective_metric!r}) differs from this job's "
                             f"({mine.objective_type} {mine.objective_metric!r}); warm start "
                             "needs the same objective")
    if kind != "IdenticalDataAndAlgorithm":
        return
    for d in spec.definitions:
        p = next((x for x in parent.definitions if x.name == d.name), None)
        if p is None:
            continue
        statics = {n: v for n, v in d.space.params.items() if isinstance(v, Static)}
        pstatics = {n: v for n, v in p.space.params.items() if isinstance(v, Static)}
        if set(d.space.names) != set(p.space.names) or statics != pstatics or \
                d.command != p.command:
            raise JobConfigError("WarmStartConfig.WarmStartType", "IdenticalDataAndAlgorithm "
                                 f"needs the parent's hyperparameter names, static values and "
                                 f"command unchanged (definition {d.name!r} differs from "
                                 f"parent {parent.name!r}); use TransferLearning")


def _to_combined(point: dict[str, Any], definition: str, space: SearchSpace,
                 n_definitions: int) -> dict[str, Any]:
    if n_definitions == 1:
        return point
    full = space.decode([0.5] * space.dims)  # other definitions' parameters: any valid value
    full[DEFINITION_PARAM] = definition
    for k, v in point.items():
        full[f"{definition}.{k}"] = v
    return full

