"""A CreateHyperParameterTuningJob request, as the SageMaker SDK sends it, as a local job
document: the request unchanged plus the ``"Local"`` block that says how to run it here.

- A definition whose static hyperparameters name a ``sagemaker_program`` (an estimator with an
  ``entry_point``: framework estimators, or ``Estimator(entry_point=...)``) runs on the local
  backend under the sagemaker-training toolkit's entry point
  (``python -m sagemaker_training.cli.train``), as a framework container runs it; its
  ``sagemaker_submit_directory`` ``file://`` URI (what the SDK sends in local-code mode) becomes
  the directory path the toolkit copies the code from.
- Any other definition (an image estimator) runs on the Docker backend: its TrainingImage's
  ``train``, as SDK local mode runs it. A job mixing the two is refused (one backend a job).
- Each channel's ``S3Uri`` must be a ``file://`` URI or a path of a local directory.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

__all__ = ["TOOLKIT_COMMAND", "RequestError", "document_from_request", "local_path"]

#: How a definition with a ``sagemaker_program`` runs: the toolkit's entry point.
TOOLKIT_COMMAND = ("-m", "sagemaker_training.cli.train")
_TOP = ("HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition",
        "TrainingJobDefinitions", "WarmStartConfig", "Tags", "Autotune")


class RequestError(ValueError):
    """A request this local service cannot run (the service's ValidationException)."""


def local_path(uri: str, where: str) -> Path:
    """The local path of a ``file://`` URI or a plain path.

    Raises:
        RequestError: an ``s3://`` (or other remote) URI.
    """
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.netloc + parsed.path)).resolve()
    if parsed.scheme == "":
        return Path(uri).resolve()
    raise RequestError(f"{where}: {uri!r} is not local; LocalTuningSession reads channels and "
                       "code from file:// URIs or local paths (upload nothing: pass "
                       "TrainingInput('file:///path/to/dir') or the path)")


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _channels(definition: dict[str, Any], where: str) -> dict[str, str]:
    out = {}
    for i, channel in enumerate(definition.get("InputDataConfig") or []):
        at = f"{where}.InputDataConfig[{i}]"
        data = channel.get("DataSource") or {}
        # TrainingInput("file://...") gives an S3DataSource; a plain "file://..." string the
        # SDK's local-mode FileDataSource
        uri = (data.get("S3DataSource") or {}).get("S3Uri") or (
            data.get("FileDataSource") or {}).get("FileUri")
        if not uri:
            raise RequestError(f"{at}.DataSource.S3DataSource.S3Uri: required (a file:// URI)")
        path = local_path(uri, f"{at}.DataSource")
        if not path.is_dir():
            raise RequestError(f"{at}: {uri!r} is not a local directory (looked for {path})")
        out[str(channel["ChannelName"])] = str(path)
    return out


def _local_code(definition: dict[str, Any], where: str) -> bool:
    """Rewrite a ``file://`` submit directory to its path; whether a program is named."""
    statics = definition.setdefault("StaticHyperParameters", {})
    if "sagemaker_program" not in statics:
        return False
    submit = statics.get("sagemaker_submit_directory")
    if submit is not None:
        value = _decoded(submit)
        path = local_path(str(value), f"{where}.StaticHyperParameters.sagemaker_submit_directory")
        statics["sagemaker_submit_directory"] = json.dumps(str(path))
    return True


def document_from_request(request: dict[str, Any], directory: Path,
                          python: str = sys.executable) -> dict[str, Any]:
    """The job document of ``request``, run in ``directory``.

    Raises:
        RequestError: a definition reads remote data or code, or definitions need different
            backends.
    """
    unknown = sorted(set(request) - set(_TOP))
    if unknown:
        raise RequestError(f"unknown request member(s) {unknown}")
    doc = copy.deepcopy(dict(request))
    if "TrainingJobDefinitions" in doc:
        entries = [(f"TrainingJobDefinitions[{i}]", d)
                   for i, d in enumerate(doc["TrainingJobDefinitions"])]
    else:
        entries = [("TrainingJobDefinition", doc.get("TrainingJobDefinition") or {})]
    backends = set()
    local: dict[str, Any] = {"Directory": str(directory)}
    command = [python, *TOOLKIT_COMMAND]
    for where, definition in entries:
        program = _local_code(definition, where)
        backends.add("local" if program else "docker")
        channels = _channels(definition, where)
        if "TrainingJobDefinitions" in doc:
            own: dict[str, Any] = {"Channels": channels}
            if program:
                own["Command"] = command
            local.setdefault("Definitions", {})[definition.get("DefinitionName")] = own
        else:
            local["Channels"] = channels
            if program:
                local["Command"] = command
    if len(backends) > 1:
        raise RequestError("TrainingJobDefinitions: some definitions run a sagemaker_program "
                           "(local backend) and others only an image (Docker backend); a "
                           "local tuning job runs on one backend")
    local["Backend"] = backends.pop()
    doc["Local"] = local
    return doc
