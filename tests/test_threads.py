"""hpo_core.strategies.threads: XLA pinned for the hpo process only, its environment kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, os, sys
from hpo_core.strategies.threads import pin_xla_threads
first = pin_xla_threads()
print(json.dumps({"first": first, "again": pin_xla_threads(),
                  "flags": os.environ.get("XLA_FLAGS"), "jax": "jax" in sys.modules}))
"""


def _probe(flags: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if flags is not None:
        env["XLA_FLAGS"] = flags
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("flags", [None, "--xla_dump_to=/tmp/none"])
def test_pins_once_and_restores_the_environment(flags: str | None) -> None:
    got = _probe(flags)
    assert got == {"first": True, "again": False, "flags": flags, "jax": True}


def test_a_user_choice_wins() -> None:
    got = _probe("--xla_cpu_multi_thread_eigen=true")
    assert got == {"first": False, "again": False,
                   "flags": "--xla_cpu_multi_thread_eigen=true", "jax": False}
