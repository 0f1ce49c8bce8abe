"""Pure-JAX Gaussian-process core (float64): covariances, model fit, acquisition, optimization.

Importing this package enables ``jax_enable_x64`` (the GP needs float64 for its Cholesky
factors); it is imported only when the Bayesian strategy is used, never by ``import hpo_core``.
Nothing here reads a clock, a file, an environment variable or a global RNG: randomness comes
in as ``jax.random`` keys.

Public API:
    model:        :class:`GPData`, :class:`GPState`, :class:`Prior`, :func:`default_prior`,
                  :func:`bucket_size`, :func:`fit`, :func:`refit`, :func:`with_hyperparameters`,
                  :func:`posterior`, :func:`posterior_mean`, :func:`posterior_fantasies`,
                  :func:`condition_on_pending`,
                  :func:`warp_outputs`, :func:`log_marginal_likelihood`
    acquisition:  :func:`log_ei`, :func:`ucb`
    optimize:     :class:`CubeSpec`, :class:`AcqConfig`, :func:`optimize_acquisition`
    sobol:        :func:`sobol_unit` (digital shift of a Sobol table built by the caller)
    precompile:   :func:`precompile_bucket`
    tracing:      :func:`compile_counts`, :func:`build_counts`, :func:`reset_compile_counts`,
                  :func:`export_fallbacks`, :func:`set_export_store`, :class:`ExportStore`
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

from hpo_core.gp.acquisition import log_ei, ucb  # noqa: E402
from hpo_core.gp.model import (  # noqa: E402
    GPData,
    GPState,
    Prior,
    bucket_size,
    condition_on_pending,
    default_prior,
    fit,
    log_marginal_likelihood,
    posterior,
    posterior_fantasies,
    posterior_mean,
    refit,
    warp_outputs,
    with_hyperparameters,
)
from hpo_core.gp.optimize import AcqConfig, CubeSpec, optimize_acquisition  # noqa: E402
from hpo_core.gp.precompile import precompile_bucket  # noqa: E402
from hpo_core.gp.sobol import sobol_unit  # noqa: E402
from hpo_core.gp.tracing import (  # noqa: E402
    ExportStore,
    build_counts,
    compile_counts,
    export_fallbacks,
    reset_compile_counts,
    set_export_store,
)

__all__ = [
    "AcqConfig",
    "CubeSpec",
    "ExportStore",
    "GPData",
    "GPState",
    "Prior",
    "bucket_size",
    "build_counts",
    "compile_counts",
    "condition_on_pending",
    "default_prior",
    "export_fallbacks",
    "fit",
    "log_ei",
    "log_marginal_likelihood",
    "optimize_acquisition",
    "posterior",
    "posterior_fantasies",
    "posterior_mean",
    "precompile_bucket",
    "refit",
    "reset_compile_counts",
    "set_export_store",
    "sobol_unit",
    "ucb",
    "warp_outputs",
    "with_hyperparameters",
]
