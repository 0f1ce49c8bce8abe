"""Pure-JAX Gaussian-process core (float64): covariances, model fit, acquisition, optimization."""
