"""The unscrambled Sobol sequence as a table of 32-bit integers (built with SciPy).

Notation:
    n, d    number of points, dimensions
    x_ij    coordinate j of point i of the Sobol sequence (Joe and Kuo's direction numbers,
            ``new-joe-kuo-6.21201``, points in Gray-code order, point 0 at the origin)
    t_ij    ``floor(2**32 x_ij)``, exact: each coordinate has 32 binary digits

The table is a constant of ``(n, d)``. The Bayesian strategy randomizes it with a keyed
digital shift: XOR one 32-bit integer per dimension into every row (in NumPy for the initial
design, inside ``jit`` with :func:`hpo_core.gp.sobol_unit` for the acquisition pool). A digital
shift keeps the net structure (every elementary interval of the first ``2**k`` points still
holds its share) and makes each point, the origin included, uniform in the cube.

SciPy stays out of :mod:`hpo_core.gp` (which imports jax and numpy only), so the table is built
here and passed to the GP as an array.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["SOBOL_MAX_DIMS", "sobol_table"]

#: Dimensions for which SciPy has direction numbers.
SOBOL_MAX_DIMS = 21201
_BITS = 32


@functools.lru_cache(maxsize=16)
def sobol_table(n: int, d: int) -> np.ndarray:
    """The first ``n`` points of the unscrambled Sobol sequence as integers ``t_ij``.

    Args:
        n: number of points (any ``n >= 0``; SciPy draws the next power of two and the first
            ``n`` rows are kept).
        d: dimensions, ``0 <= d <= SOBOL_MAX_DIMS``.

    Returns:
        ``(n, d)`` uint32, read-only (it is cached).

    Raises:
        ValueError: ``n`` or ``d`` out of range.
    """
    if n < 0 or not 0 <= d <= SOBOL_MAX_DIMS:
        raise ValueError(f"sobol_table: needs n >= 0 and 0 <= d <= {SOBOL_MAX_DIMS}, got "
                         f"n={n!r}, d={d!r}")
    if n == 0 or d == 0:
        table = np.zeros((n, d), dtype=np.uint32)
    else:
        from scipy.stats import qmc

        engine = qmc.Sobol(d, scramble=False, bits=_BITS)
        points = engine.random_base2((n - 1).bit_length())[:n]  # (2**m, d) -> (n, d)
        table = np.ldexp(points, _BITS).astype(np.uint32)  # exact: 32 binary digits
    table.flags.writeable = False
    return table
