"""One XLA CPU thread for a process the ``hpo`` command owns, without touching its children.

XLA reads its CPU threading from ``XLA_FLAGS`` once, when JAX starts its CPU backend; on small
machines the default thread pool oversubscribes the cores (README, "Threads"). A library never
sets environment variables behind its importer's back, so only the ``hpo`` command calls
:func:`pin_xla_threads`, and it restores ``XLA_FLAGS`` right after the backend has started:
training jobs that ``hpo tune`` launches inherit the environment the user gave it.
"""

from __future__ import annotations

import os
import sys

__all__ = ["XLA_ONE_THREAD", "pin_xla_threads"]

#: XLA's flag for a single-threaded CPU backend.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen"


def pin_xla_threads() -> bool:
    """Start JAX's CPU backend with one Eigen thread unless JAX already runs or the user set the
    flag in ``XLA_FLAGS``; returns whether it pinned. ``XLA_FLAGS`` is the same afterwards."""
    before = os.environ.get("XLA_FLAGS")
    if "jax" in sys.modules or XLA_ONE_THREAD in (before or ""):
        return False
    os.environ["XLA_FLAGS"] = f"{before or ''} {XLA_ONE_THREAD}=false".strip()
    try:
        import jax

        jax.devices("cpu")  # the backend reads the flags now, once per process
    finally:
        if before is None:
            del os.environ["XLA_FLAGS"]
        else:
            os.environ["XLA_FLAGS"] = before
    return True
