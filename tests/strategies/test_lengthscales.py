"""The per-coordinate lengthscale floors of the Bayesian strategy (option min_lengthscale)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpo_core import gp
from hpo_core.errors import OptimizerError
from hpo_core.optimizer import Optimizer
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace
from hpo_core.strategies.lengthscales import (
    DEFAULT_MIN_LENGTHSCALE,
    LOWEST_LENGTHSCALE,
    check_min_lengthscale,
    lengthscale_floors,
)

_SPACE = SearchSpace({
    "lr": Continuous(1e-4, 1.0, "log"),
    "k": Integer(1, 40),
    "p": Integer(1, 4),
    "depth": Integer(1, 15),
    "kind": Categorical(("a", "b", "c")),
})


def test_floor_per_kind_of_coordinate():
    floors = lengthscale_floors(_SPACE, range(5), DEFAULT_MIN_LENGTHSCALE)
    assert floors.tolist() == pytest.approx([0.1, 0.025, 0.1, 1.0 / 15, 0.025])
    # in the order given (the GP's column order), not the space's
    assert lengthscale_floors(_SPACE, [4, 0, 1, 2, 3], 0.1).tolist() == pytest.approx(
        [0.025, 0.1, 0.025, 0.1, 1.0 / 15])


def test_lowest_floor_everywhere_is_the_earlier_model():
    assert lengthscale_floors(_SPACE, range(5), LOWEST_LENGTHSCALE).tolist() == [0.025] * 5
    # below the lowest floor every coordinate takes the value asked for
    assert lengthscale_floors(_SPACE, range(5), 0.01).tolist() == [0.01] * 5


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, math.nan, math.inf, True, "0.1", None])
def test_bad_min_lengthscale_names_field_value_and_range(bad):
    with pytest.raises(OptimizerError, match=r"min_lengthscale must be a number in \(0, 1\]"):
        check_min_lengthscale(bad, "strategy 'bayesian'")
    with pytest.raises(OptimizerError, match=f"got {bad!r}".replace("(", r"\(")):
        Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), "bayesian", seed=0,
                  min_lengthscale=bad)


def test_option_round_trips_through_save_and_load(tmp_path):
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    assert Optimizer(space, "bayesian", seed=0).state_dict()["options"][
        "min_lengthscale"] == DEFAULT_MIN_LENGTHSCALE
    opt = Optimizer(space, "bayesian", seed=0, min_lengthscale=0.05)
    opt.save(tmp_path / "o.json")
    assert Optimizer.load(tmp_path / "o.json").state_dict()["options"][
        "min_lengthscale"] == 0.05


def test_default_prior_takes_a_floor_per_dimension():
    prior = gp.default_prior(3, ls_floor=[0.1, 0.2, 0.3])
    assert np.asarray(prior.ls_floor).tolist() == [0.1, 0.2, 0.3]
    assert np.asarray(gp.default_prior(3).ls_floor).shape == ()
    with pytest.raises(ValueError, match="ls_floor: expected a number or 3 numbers"):
        gp.default_prior(3, ls_floor=[0.1, 0.2])


def _step(p):
    """A step function of x with 13 unrelated levels (a tree's max_features) plus a smooth y."""
    level = int(13 * p["x"])
    return float(np.random.default_rng(level).random()) + 0.1 * (p["y"] - 0.5) ** 2


def _fitted_lengthscales(min_lengthscale):
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    opt = Optimizer(space, "bayesian", seed=3, min_lengthscale=min_lengthscale,
                    compile_ahead=False)
    opt.optimize(_step, 30)
    theta = np.asarray(opt.state_dict()["options"]["warm_start"]["theta"])
    return min_lengthscale + np.exp(theta[:2])


def test_fitted_lengthscale_of_a_step_stays_at_or_above_the_floor():
    # with the floor at 0.025 the fit on the steps of x goes below 0.1; with the default
    # floor it cannot
    assert _fitted_lengthscales(0.025)[0] < 0.1
    assert _fitted_lengthscales(DEFAULT_MIN_LENGTHSCALE)[0] >= 0.1


def test_hyperband_model_keeps_the_lowest_floor():
    from hpo_core.strategies.rung_model import RungModelSampler

    sampler = RungModelSampler(_SPACE, 0, [1, 3, 9], 27,
                               model_state={"level": 9, "warm_start": None})
    assert sampler._use_level(9).options()["min_lengthscale"] == LOWEST_LENGTHSCALE
    # and the full fantasy spread it had before the option (the single-fidelity default is "auto")
    assert sampler._use_level(9).options()["fantasy_spread"] == 1.0
