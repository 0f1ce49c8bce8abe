"""Rung levels and the Hyperband-weighted, deterministic bracket hash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.kernels import RungTable, bracket_for, bracket_probabilities, rung_levels


def test_rung_levels() -> None:
    assert rung_levels(1, 81, 3).tolist() == [1, 3, 9, 27]
    assert rung_levels(2, 100, 3).tolist() == [2, 6, 18, 54]
    assert rung_levels(5, 5, 2).tolist() == []
    with pytest.raises(ValueError, match="max_resource must be an integer >= 4, got 3"):
        rung_levels(4, 3, 2)


def test_probabilities_follow_hyperband() -> None:
    # eta = 3, s_max = 4: configurations per bracket n_s = ceil(5 / (s + 1) * 3**s)
    p = bracket_probabilities(5, 3)
    s = 4 - np.arange(5)
    w = 5 / (s + 1) * 3.0**s
    np.testing.assert_allclose(p, w / w.sum())
    assert p.argmax() == 0 and p.sum() == pytest.approx(1.0)


@given(seed=st.integers(0, 2**64 - 1), trial_id=st.integers(0, 2**31 - 1),
       n_brackets=st.integers(1, 6), eta=st.integers(2, 5))
def test_bracket_is_deterministic_and_in_range(seed: int, trial_id: int, n_brackets: int,
                                               eta: int) -> None:
    b = bracket_for(seed, trial_id, n_brackets, eta)
    assert 0 <= b < n_brackets
    assert b == bracket_for(seed, trial_id, n_brackets, eta)


def test_bracket_frequencies_match_weights(seed: int) -> None:
    n = 40_000
    got = np.bincount([bracket_for(seed, t, 5, 3) for t in range(n)], minlength=5) / n
    np.testing.assert_allclose(got, bracket_probabilities(5, 3), atol=4 / np.sqrt(n))
    other = [bracket_for(seed + 1, t, 5, 3) for t in range(200)]
    assert other != [bracket_for(seed, t, 5, 3) for t in range(200)]


def test_table_uses_the_same_hash(seed: int) -> None:
    table = RungTable(1, 81, 3, seed=seed)
    assert [table.bracket_of(t) for t in range(300)] == [
        bracket_for(seed, t, 5, 3, 4) for t in range(300)]
    promo = RungTable(1, 81, 3, seed=seed, mode="promotion")
    levels = [1, 3, 9, 27, 81]
    assert [promo.start_trial(t) for t in range(50)] == [
        levels[bracket_for(seed, t, 5, 3)] for t in range(50)]


def test_bracket_weights_set_the_bracket_frequencies(seed: int) -> None:
    weights = [0.5, 0.0, 2.0, 1.0, 0.5]
    table = RungTable(1, 81, 3, seed=seed, bracket_weights=weights)
    n = 20_000
    got = np.bincount([table.bracket_of(t) for t in range(n)], minlength=5) / n
    np.testing.assert_allclose(got, np.array(weights) / 4.0, atol=4 / np.sqrt(n))
    assert got[1] == 0.0
    # the config keeps them, so a saved table rebuilds the same brackets
    state = table.to_state()
    assert state["config"]["bracket_weights"] == weights
    again = RungTable.from_state(state)
    assert [again.bracket_of(t) for t in range(n, n + 300)] == [
        table.bracket_of(t) for t in range(n, n + 300)]


@pytest.mark.parametrize("weights", [[1.0, 1.0], [0.0] * 5, [1.0, -1.0, 1.0, 1.0, 1.0],
                                     [float("nan")] * 5, "abc"])
def test_bad_bracket_weights_name_the_option(weights: object) -> None:
    with pytest.raises(ValueError, match=r"bracket_weights must be 5 finite numbers >= 0"):
        RungTable(1, 81, 3, bracket_weights=weights)
