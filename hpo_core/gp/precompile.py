"""Compile the entry points of one size bucket ahead of time, without running them.

A caller that knows which bucket comes next (the Bayesian strategy does) runs
:func:`precompile_bucket` on another thread; when the observations reach that bucket the
executables are ready (see :class:`hpo_core.gp.tracing.EntryPoint`). The arguments are built
exactly as the public wrappers build them, so the signatures match those of the real calls.
"""

from __future__ import annotations

from collections.abc import Iterable

import jax
import jax.numpy as jnp
import numpy as np

from hpo_core.gp import model
from hpo_core.gp.optimize import AcqConfig, CubeSpec, optimize_acquisition

__all__ = ["ENTRY_POINTS", "precompile_bucket"]

_CONDITION = model.with_hyperparameters.fun  # the plain function: its output shapes, traced

#: The entry points :func:`precompile_bucket` knows, in the order it compiles them.
ENTRY_POINTS = ("fit", "optimize_acquisition", "refit", "with_hyperparameters",
                "condition_on_pending")


def precompile_bucket(size: int, levels: jax.Array, prior: model.Prior, pool: jax.Array,
                      cube: CubeSpec, config: AcqConfig, rounds: int,
                      names: Iterable[str] = ENTRY_POINTS, max_iter: int = 25,
                      stored_only: bool = False, plateaus: bool = False) -> None:
    """Build the executables of ``names`` for observations padded to ``size`` rows.

    Args:
        size: the bucket (:func:`hpo_core.gp.bucket_size`).
        levels: ``(c,)`` category counts, as in :class:`GPData`.
        prior, pool, cube, config, rounds: as passed to the real calls.
        names: entry points from :data:`ENTRY_POINTS`.
        max_iter: the ``max_iter`` the caller passes to ``refit`` (a Python int).
        stored_only: build only what the program store holds (see
            :meth:`hpo_core.gp.tracing.EntryPoint.precompile`).
        plateaus: the acquisition optimizer with the plateau tabu (a ``ties`` argument, as
            the Bayesian strategy passes with ``plateaus="tabu"``) instead of without.
    """
    names = list(names)
    unknown = sorted(set(names) - set(ENTRY_POINTS))
    if unknown:
        raise ValueError(f"precompile_bucket: unknown entry point(s) {unknown}; expected some "
                         f"of {list(ENTRY_POINTS)}")
    d = int(cube.moving.shape[0])
    f64 = jnp.float64
    # Shapes only (nothing is allocated or run); the signatures equal those of the arrays the
    # strategy passes: strong float64 / bool arrays.
    data = model.GPData(jax.ShapeDtypeStruct((size, d), f64),  # type: ignore[arg-type]
                        jax.ShapeDtypeStruct((size,), f64),  # type: ignore[arg-type]
                        jax.ShapeDtypeStruct((size,), jnp.bool_), levels)  # type: ignore[arg-type]
    theta = np.zeros(d + 2)
    key = jax.random.key(0)

    def state() -> model.GPState:
        return jax.eval_shape(_CONDITION, data, jnp.asarray(theta), prior)

    for name in names:
        if name == "fit":
            model._fit.precompile(*model._fit_arguments(data, key, prior, theta, 60),
                                  stored_only=stored_only)
        elif name == "optimize_acquisition":
            ties = jax.ShapeDtypeStruct((size,), jnp.int64) if plateaus else None
            optimize_acquisition.precompile(state(), key, pool, cube, config, ties,
                                            rounds=rounds, stored_only=stored_only)
        elif name == "refit":
            model.refit.precompile(data, theta, prior, max_iter, stored_only=stored_only)
        elif name == "with_hyperparameters":
            model.with_hyperparameters.precompile(data, theta, prior, stored_only=stored_only)
        else:
            model.condition_on_pending.precompile(
                state(), jax.ShapeDtypeStruct((size,), jnp.bool_), prior, key,
                jnp.asarray(0.5), jnp.asarray(False), stored_only=stored_only)
