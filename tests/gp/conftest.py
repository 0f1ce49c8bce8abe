"""Fixtures for the GP tests: small padded data sets."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from hpo_core import gp


def make_data(x: np.ndarray, y: np.ndarray, size: int | None = None, levels=(),
              fill: float = 0.0) -> gp.GPData:
    """Pad ``x`` ``(n, d)`` and ``y`` ``(n,)`` to ``size`` rows (``fill`` in padded rows)."""
    n, d = x.shape
    size = size or gp.bucket_size(n)
    xp = np.full((size, d), fill)
    yp = np.full(size, fill)
    xp[:n], yp[:n] = x, y
    return gp.GPData(jnp.asarray(xp), jnp.asarray(yp), jnp.asarray(np.arange(size) < n),
                     jnp.asarray(np.asarray(levels, dtype=np.float64)))


@pytest.fixture
def smooth_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """20 points of a smooth 2-D function."""
    rng = np.random.default_rng(seed)
    x = rng.random((20, 2))
    return x, np.sin(6.0 * x[:, 0]) + (x[:, 1] - 0.3) ** 2
