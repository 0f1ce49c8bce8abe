"""The ``SM_*`` environment of a training job, derived as the sagemaker-training toolkit derives it.

Framework containers run the toolkit (``python -m sagemaker_training.cli.train``, installed as
``train``), which reads ``/opt/ml`` (or ``$SAGEMAKER_BASE_DIR``) and hands the user script
these variables; a script run directly by the local backend gets the same ones from here, so it
sees one contract whichever way it is run. The toolkit's rules, as this module applies them:

- each ``hyperparameters.json`` value is read as JSON when it parses (``"5"`` -> 5,
  ``"true"`` -> True), else kept as the string;
- the *framework* hyperparameters, every ``sagemaker_*`` name plus ``_tuning_objective_metric``
  and ``default_user_module_name``, are split off: ``SM_HPS``, ``SM_USER_ARGS`` and
  ``SM_HP_<NAME>`` hold only the user's; ``SM_FRAMEWORK_PARAMS`` holds the ``sagemaker_*``
  ones the toolkit does not reserve for itself (``sagemaker_mpi_enabled``, ...);
- a variable's value is the string itself, ``""`` for None, else compact JSON with sorted keys;
- ``SM_USER_ARGS`` is ``--name value`` (``-n`` for a one-letter name) in sorted name order,
  the value written with ``str`` (``True``, ``0.3``; a dict as ``k=v,k=v``).

Beyond the toolkit: ``SAGEMAKER_BASE_DIR`` (so the unmodified toolkit finds the job directory
when it is not ``/opt/ml``), ``TRAINING_JOB_NAME``, ``SM_CHECKPOINT_DIR`` and ``SM_LOG_LEVEL``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hpo_core.adapters.base import TrainingJobRequest

__all__ = ["FRAMEWORK_RESERVED", "HOST", "env_value", "resource_config", "split_hyperparameters",
           "toolkit_environment", "user_args"]

HOST = "algo-1"
#: Hyperparameters the toolkit takes for itself (besides every other ``sagemaker_*`` name).
FRAMEWORK_RESERVED = ("sagemaker_program", "sagemaker_submit_directory",
                      "sagemaker_enable_cloudwatch_metrics", "sagemaker_region",
                      "sagemaker_container_log_level", "sagemaker_job_name",
                      "default_user_module_name", "_tuning_objective_metric",
                      "sagemaker_s3_output")
_GROUP = "homogeneousCluster"


def resource_config(instance_type: str = "local") -> dict[str, Any]:
    """``resourceconfig.json`` of a one-host job on ``instance_type``."""
    return {"current_host": HOST, "hosts": [HOST], "current_group_name": _GROUP,
            "current_instance_type": instance_type, "network_interface_name": "eth0",
            "instance_groups": [{"instance_group_name": _GROUP, "instance_type": instance_type,
                                 "hosts": [HOST]}]}


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


def split_hyperparameters(hyperparameters: dict[str, str]) -> tuple[dict[str, Any],
                                                                     dict[str, Any]]:
    """(user, framework) hyperparameters, JSON-decoded, as the toolkit splits them."""
    user: dict[str, Any] = {}
    framework: dict[str, Any] = {}
    for name, text in hyperparameters.items():
        reserved = name.startswith("sagemaker_") or name in FRAMEWORK_RESERVED
        (framework if reserved else user)[name] = _decoded(text)
    return user, framework


def env_value(value: Any) -> str:
    """A value as the toolkit writes it into an environment variable."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def user_args(hyperparameters: dict[str, Any]) -> list[str]:
    """The user script's argv tail (``SM_USER_ARGS``) for decoded user hyperparameters."""
    out: list[str] = []
    for name in sorted(hyperparameters):
        value = hyperparameters[name]
        out.append(f"--{name}" if len(name) > 1 else f"-{name}")
        if isinstance(value, dict):
            out.append(",".join(f"{k}={v}" for k, v in sorted(value.items())))
        else:
            out.append("" if value is None else str(value))
    return out


def toolkit_environment(request: TrainingJobRequest, *, instance_type: str = "local",
                        num_cpus: int | None = None) -> dict[str, str]:
    """The environment variables a training job of ``request`` sees (see the module docstring).

    Args:
        request: the job; ``request.directory`` is the ``/opt/ml``-like root as the job sees
            it (the container path for Docker).
        instance_type: ``current_instance_type`` (``"local"`` for the local backend).
        num_cpus: ``SM_NUM_CPUS`` (default: this machine's CPU count).
    """
    root = Path(request.directory)
    user, framework = split_hyperparameters(request.hyperparameters)
    extra = {k: v for k, v in framework.items() if k not in FRAMEWORK_RESERVED}
    channels = sorted(request.input_data_config or request.channels)
    channel_dirs = {c: str(root / "input" / "data" / c) for c in channels}
    rc = resource_config(instance_type)
    program = framework.get("sagemaker_program")
    cpus = num_cpus if num_cpus is not None else (os.cpu_count() or 1)
    dirs = {"model_dir": root / "model", "input_dir": root / "input",
            "input_config_dir": root / "input" / "config", "output_dir": root / "output",
            "output_data_dir": root / "output" / "data",
            "output_intermediate_dir": root / "output" / "intermediate"}
    values: dict[str, Any] = {k: str(v) for k, v in dirs.items()}
    values.update({
        "hosts": [HOST], "current_host": HOST, "network_interface_name": "eth0",
        "hps": user, "framework_params": extra, "resource_config": rc,
        "input_data_config": request.input_data_config, "channels": channels,
        "current_instance_type": instance_type, "current_instance_group": _GROUP,
        "current_instance_group_hosts": [HOST], "instance_groups": [_GROUP],
        "instance_groups_dict": {_GROUP: rc["instance_groups"][0]},
        "distribution_instance_groups": [], "is_hetero": False,
        "log_level": framework.get("sagemaker_container_log_level", 20),
        "framework_module": request.environment.get("SAGEMAKER_TRAINING_MODULE"),
        "num_cpus": cpus, "num_gpus": 0, "num_neurons": 0,
        "module_dir": str(framework.get("sagemaker_submit_directory", root / "code")),
        "user_args": user_args(user)})
    if program is not None:
        name = str(program)
        values["user_entry_point"] = name
        values["module_name"] = name[:-3] if name.endswith(".py") else name
    training_env = {
        **{k: v for k, v in values.items() if k not in ("hps", "framework_params", "channels",
                                                         "user_args")},
        "hyperparameters": user, "additional_framework_parameters": extra,
        "channel_input_dirs": channel_dirs, "job_name": request.name,
        "distribution_hosts": [], "master_hostname": HOST, "is_master": True,
        "user_entry_point": str(program) if program is not None else " ".join(request.command)}
    values["training_env"] = training_env
    for channel, path in channel_dirs.items():
        values[f"channel_{channel}"] = path
    for name, value in user.items():
        values[f"hp_{name}"] = value
    env = {f"SM_{k.upper()}": env_value(v) for k, v in values.items()}
    env.update({"SAGEMAKER_BASE_DIR": str(root), "TRAINING_JOB_NAME": request.name,
                "SM_CHECKPOINT_DIR": str(root / "checkpoints")})
    return env
