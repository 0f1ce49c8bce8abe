"""The training side of the container contract, for training scripts.

    from hpo_core import training

    hp = training.hyperparameters()          # {"max_depth": 5, "eta": 0.3, ...}, typed
    train_dir = training.channel("train")    # input/data/train
    ...
    training.report({"validation:accuracy": acc})   # prints "validation:accuracy=0.93"
    training.save_dir()                       # model/ (SM_MODEL_DIR)

It reads what the tuner's local backend (or SageMaker itself) provides: the ``SM_*`` variables,
else the files under ``/opt/ml``. :func:`report` prints one line that the default metric
regex (:func:`hpo_core.jobs.metrics.default_regex`) matches; call it once per epoch to give early
stopping one point per epoch. :func:`fail` writes ``output/failure`` and exits, so the reason
shows in ``hpo trials``.

This module has no dependency beyond the standard library.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["channel", "fail", "hyperparameters", "objective_metric", "report", "root",
           "save_dir"]

_DEFAULT_ROOT = "/opt/ml"


def root() -> Path:
    """The ``/opt/ml``-like root of this training job."""
    config = os.environ.get("SM_INPUT_CONFIG_DIR")
    return Path(config).parent.parent if config else Path(_DEFAULT_ROOT)


def _parse(value: str) -> Any:
    """An AMT hyperparameter string as the value it spells: int, float, bool, JSON, else str."""
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        return number
    if text[:1] in ("[", "{", '"'):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return value


def _raw() -> dict[str, str]:
    path = root() / "input" / "config" / "hyperparameters.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def hyperparameters(strings: bool = False) -> dict[str, Any]:
    """This job's hyperparameters, typed (``"5"`` -> 5, ``"0.3"`` -> 0.3, ``"true"`` -> True);
    the tuner's reserved ``_tuning*`` entries and the SageMaker SDK's ``sagemaker_*`` ones
    (``sagemaker_program``, ...) are left out, as the sagemaker-training toolkit leaves them out
    of a script's hyperparameters.

    Args:
        strings: return the AMT strings as they are.
    """
    data = _raw()
    return {k: v if strings else _parse(v) for k, v in data.items()
            if not k.startswith(("_tuning", "sagemaker_"))}


def objective_metric() -> str | None:
    """The tuning objective's metric name (``_tuning_objective_metric``), if tuned."""
    return _raw().get("_tuning_objective_metric")


def channel(name: str) -> Path:
    """The directory of input channel ``name`` (``SM_CHANNEL_<NAME>``)."""
    env = os.environ.get(f"SM_CHANNEL_{name.upper()}")
    return Path(env) if env else root() / "input" / "data" / name


def save_dir() -> Path:
    """The directory the model is saved to (``SM_MODEL_DIR``)."""
    env = os.environ.get("SM_MODEL_DIR")
    return Path(env) if env else root() / "model"


def report(metrics: Mapping[str, float] | None = None, **more: float) -> str:
    """Print one metric line: ``name=value`` pairs separated by ``"; "``.

    ``report({"validation:accuracy": 0.93})`` (names with ``:``) or ``report(loss=0.1)``.
    Every call is one step (epoch) of each metric. Returns the line printed.
    """
    values = {**(metrics or {}), **more}
    parts = []
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"report: metric {k!r} must be a finite number, got {v!r}")
        parts.append(f"{k}={float(v)!r}")
    line = "; ".join(parts)
    print(line, flush=True)
    return line


def fail(reason: str, code: int = 1) -> NoReturn:
    """Write ``reason`` to ``output/failure`` (the failure reason the tuner records) and exit."""
    out = root() / "output"
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "failure").write_text(reason, encoding="utf-8")
    except OSError:
        pass
    print(reason, file=sys.stderr, flush=True)
    raise SystemExit(code)
