"""A user script for SageMaker framework containers: prints what the sagemaker-training
toolkit's ``Environment()`` sees, as one ``VIEW {json}`` line, then behaves as told.

Hyperparameter ``fail`` = ``"yes"`` makes it exit 3 (the toolkit writes ``output/failure``).
"""

import json
import os
import socket
import sys

from sagemaker_training import environment

env = environment.Environment()
try:
    resolved = socket.gethostbyname(env.current_host)
except OSError:
    resolved = None
view = {
    "hyperparameters": env.hyperparameters,
    "framework_params": env.additional_framework_parameters,
    "channel_input_dirs": env.channel_input_dirs,
    "input_data_config": env.input_data_config,
    "dirs": {k: getattr(env, k) for k in ("model_dir", "input_dir", "input_config_dir",
                                          "output_dir", "output_data_dir",
                                          "output_intermediate_dir")},
    "current_host": env.current_host, "hosts": env.hosts, "job_name": env.job_name,
    "argv": sys.argv[1:], "resolved": resolved, "hostname": socket.gethostname(),
    "sm_env": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
    "toolkit_env": env.to_env_vars(),
    "channel_files": {c: sorted(os.listdir(d)) for c, d in env.channel_input_dirs.items()},
}
print("VIEW " + json.dumps(view, sort_keys=True), flush=True)
with open(os.path.join(env.model_dir, "model.txt"), "w") as f:
    f.write("trained\n")
print(f"validation:accuracy={float(env.hyperparameters.get('eta', 0)):.4f}", flush=True)
if env.hyperparameters.get("fail") == "yes":
    print("failing on purpose", file=sys.stderr, flush=True)
    sys.exit(3)
