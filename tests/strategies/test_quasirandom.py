"""The Sobol table is the Sobol sequence (Joe-Kuo direction numbers) as its definition gives it."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.strategies.quasirandom import SOBOL_MAX_DIMS, sobol_table

# Dimensions 2..8 of Joe and Kuo's new-joe-kuo-6.21201: degree s of the primitive polynomial,
# its inner coefficients a (a_1 the highest bit) and the initial direction integers m_1..m_s.
_JOE_KUO = [(1, 0, (1,)), (2, 1, (1, 3)), (3, 1, (1, 3, 1)), (3, 2, (1, 1, 1)),
            (4, 1, (1, 1, 3, 3)), (4, 4, (1, 3, 5, 13)), (5, 2, (1, 1, 5, 5, 17))]


def _directions(s: int, a: int, m: tuple[int, ...]) -> list[int]:
    """32-bit direction numbers v_k = m_k 2**(32 - k) from the recurrence
    m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2**s m_{k-s} ^ m_{k-s}."""
    ms = list(m)
    for k in range(s, 32):
        val = ms[k - s] ^ (ms[k - s] << s)
        for i in range(1, s):
            if a >> (s - 1 - i) & 1:
                val ^= ms[k - i] << i
        ms.append(val)
    return [ms[k] << (31 - k) for k in range(32)]


def reference_table(n: int, d: int) -> np.ndarray:
    """Point i = XOR of the direction numbers over the set bits of gray(i), ``(n, d)`` uint32."""
    v = [[1 << (31 - k) for k in range(32)]]  # dimension 1: van der Corput
    v += [_directions(*p) for p in _JOE_KUO[: d - 1]]
    out = np.zeros((n, d), dtype=np.uint32)
    for i in range(n):
        gray = i ^ (i >> 1)
        for j in range(d):
            x = 0
            for k in range(gray.bit_length()):
                if gray >> k & 1:
                    x ^= v[j][k]
            out[i, j] = x
    return out


def assert_sobol_strata(ints: np.ndarray, depth: int) -> None:
    """The first ``2**m`` rows of ``ints`` ``(n, d)`` uint32, for every m <= ``depth``: each of
    the 2**k intervals of width 2**-k (k <= m) holds 2**(m - k) points in every dimension, and
    dimensions 1 and 2 form a (0, m, 2)-net (each 2**-a x 2**-(m - a) box holds one point)."""
    for m in range(depth + 1):
        head = ints[: 2**m].astype(np.int64)
        for k in range(m + 1):
            cells = head >> (32 - k)  # (2**m, d)
            for j in range(ints.shape[1]):
                counts = np.bincount(cells[:, j], minlength=2**k)
                assert counts.tolist() == [2 ** (m - k)] * 2**k, (m, k, j)
        if ints.shape[1] >= 2:
            for a in range(m + 1):
                box = (head[:, 0] >> (32 - a)) * 2 ** (m - a) + (head[:, 1] >> (32 - m + a))
                assert np.unique(box).size == 2**m, (m, a)


def test_first_points_of_the_first_three_dimensions() -> None:
    eighths = [[0, 0, 0], [4, 4, 4], [6, 2, 2], [2, 6, 6],
               [3, 3, 5], [7, 7, 1], [5, 1, 7], [1, 5, 3]]
    expected = np.array(eighths, dtype=np.uint32) << np.uint32(29)
    np.testing.assert_array_equal(sobol_table(8, 3), expected)


def test_table_equals_the_definition() -> None:
    table = sobol_table(1024, 8)
    assert table.shape == (1024, 8) and table.dtype == np.uint32
    np.testing.assert_array_equal(table, reference_table(1024, 8))


def test_table_has_the_sobol_strata() -> None:
    assert_sobol_strata(sobol_table(512, 12), 9)


def test_any_count_is_a_prefix_and_the_table_is_read_only() -> None:
    full = sobol_table(64, 5)
    for n in (0, 1, 3, 20, 33):
        np.testing.assert_array_equal(sobol_table(n, 5), full[:n])
    assert sobol_table(4, 0).shape == (4, 0)
    with pytest.raises(ValueError, match="read-only"):
        full[0, 0] = 1


@pytest.mark.parametrize("n, d", [(-1, 2), (4, -1), (4, SOBOL_MAX_DIMS + 1)])
def test_bad_sizes_are_rejected(n: int, d: int) -> None:
    with pytest.raises(ValueError, match=rf"got n={n}, d={d}"):
        sobol_table(n, d)
