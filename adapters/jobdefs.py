"""Which AMT training-job definition a request belongs to (shared by the remote backends).

The Docker, SageMaker and Ray backends need fields of the job document that
:class:`~hpo_core.adapters.base.TrainingJobRequest` does not carry (TrainingImage,
ResourceConfig, EnableNetworkIsolation, RoleArn, ...). They are built with the document's raw
definitions (DefinitionName -> TrainingJobDefinition dict, ``"default"`` for a single
``TrainingJobDefinition``) and pick the one of each request: the request's ``definition``
attribute when it has one, else the only definition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest

__all__ = ["Definitions", "definitions_of", "lookup", "pick", "training_job_name"]

Definitions = Mapping[str, Mapping[str, Any]]


def definitions_of(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """DefinitionName -> raw TrainingJobDefinition of a job document (``"default"`` for a
    single ``TrainingJobDefinition``)."""
    if isinstance(document.get("TrainingJobDefinition"), Mapping):
        return {"default": dict(document["TrainingJobDefinition"])}
    out: dict[str, dict[str, Any]] = {}
    for d in document.get("TrainingJobDefinitions") or ():
        if isinstance(d, Mapping):
            out[str(d.get("DefinitionName", "default"))] = dict(d)
    return out


def pick(definitions: Definitions, request: TrainingJobRequest) -> tuple[str, Mapping[str, Any]]:
    """The (name, raw definition) of ``request``.

    Raises:
        KeyError: with a message naming what is missing (the caller turns it into an
            ExecutionError with action ``abort``).
    """
    wanted = getattr(request, "definition", None)
    if wanted is not None:
        if wanted not in definitions:
            raise KeyError(f"training job {request.name}: no definition named {wanted!r} "
                           f"(known: {sorted(definitions)})")
        return wanted, definitions[wanted]
    if len(definitions) == 1:
        name = next(iter(definitions))
        return name, definitions[name]
    if not definitions:
        return "default", {}
    raise KeyError(f"training job {request.name}: {len(definitions)} definitions and the request "
                   "does not say which one it runs (TrainingJobRequest.definition)")


def lookup(obj: Mapping[str, Any], *path: str, default: Any = None) -> Any:
    """``obj[path[0]][path[1]]...`` or ``default`` when a step is missing or not a mapping."""
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping) or key not in cur:
            return default
        cur = cur[key]
    return cur


_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def training_job_name(name: str, attempt: int = 1, limit: int = 63) -> str:
    """A name within AWS limits (``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``) for ``name``'s
    ``attempt``: other characters become ``-``, attempts after the first get ``-r<n>`` (names
    are unique per account and region, so a retry needs its own), and a name over ``limit`` is
    cut and given an 8-character digest of the full name so it stays unique.
    """
    import hashlib

    base = _INVALID.sub("-", name).strip("-") or "job"
    base = re.sub("-{2,}", "-", base)
    suffix = f"-r{attempt}" if attempt > 1 else ""
    if len(base) + len(suffix) > limit:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        base = base[: limit - len(suffix) - 9].rstrip("-") + "-" + digest
    return base + suffix
