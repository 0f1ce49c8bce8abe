"""Model-based Hyperband: strategy="hyperband", sampler="bayesian" (BOHB-style new configs)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hpo_core import Continuous, Optimizer, OptimizerError, SearchSpace, Static
from hpo_core.strategies.rung_model import min_rung_points, model_level, value_at
from hpo_core.trial import Trial

SPACE = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0), "epochs": Static(27)})
OPTIMUM = (0.3, 0.7)
R = 27


def loss(params, step):
    """Squared distance to OPTIMUM plus a fidelity bias that fades to 0 at step R and ranks
    configurations imperfectly (it grows with x)."""
    d2 = (params["x"] - OPTIMUM[0]) ** 2 + (params["y"] - OPTIMUM[1]) ** 2
    return d2 + 0.3 * (1.0 - math.log(step) / math.log(R)) * params["x"]


def train(opt, trial):
    """Train one asked trial from its last step, reporting every step (maximize: -loss)."""
    sign = 1.0 if opt.objective == "minimize" else -1.0
    decision = "continue"
    for step in range(trial.last_step + 1, trial.resource + 1):
        decision = opt.report(trial, step, sign * loss(trial.params, step))
        if decision != "continue":
            break
    if decision == "continue" and trial.last_step == R:
        opt.tell(trial, sign * loss(trial.params, R))


def run(opt, n_asks):
    for _ in range(n_asks):
        train(opt, opt.ask())
    return opt


def hb(mode="stopping", seed=0, sampler="bayesian", objective="minimize"):
    return Optimizer(SPACE, strategy="hyperband", objective=objective, seed=seed,
                     min_resource=1, max_resource=R, eta=3, mode=mode, sampler=sampler)


def points(opt, first=0):
    return [(t.id, t.params) for t in opt.trials[first:]]


def test_bad_sampler_names_the_field_value_and_choices():
    with pytest.raises(OptimizerError, match=r"sampler must be one of \('random', "
                                             r"'bayesian'\), got 'tpe'"):
        hb(sampler="tpe")
    with pytest.raises(OptimizerError, match="model_state goes with sampler='bayesian'"):
        Optimizer(SPACE, strategy="hyperband", max_resource=R, model_state={"level": 9})
    with pytest.raises(OptimizerError, match="model_state must be"):
        Optimizer(SPACE, strategy="hyperband", max_resource=R, sampler="bayesian",
                  model_state={"level": 5})


def test_value_at_and_model_level():
    t = Trial(0, {"x": 0.5}, status="stopped", reports=[[1, 0.9], [2, 0.8], [5, 0.4]])
    assert [value_at(t, level, 9) for level in (1, 3, 9)] == [0.9, 0.4, None]
    done = Trial(1, {"x": 0.5}, status="completed", value=0.1, reports=[[9, 0.2]])
    assert value_at(done, 9, 9) == 0.1  # the told value at max_resource
    assert min_rung_points(2) == 6 and min_rung_points(7) == 9
    trials = [Trial(i, {}, status="stopped", reports=[[3, 1.0]]) for i in range(6)]
    assert model_level(trials, [1, 3, 9], 9, dims=2) == 3
    assert model_level(trials[:5], [1, 3, 9], 9, dims=2) is None
    assert model_level(trials, [1, 3, 9], 9, dims=5) is None  # needs 7


def test_random_until_a_rung_has_enough_points():
    plain, model = hb(sampler="random", seed=3), hb(seed=3)
    levels = [*model._strategy.rung_levels, R]
    for _ in range(60):
        if model_level(model.trials, levels, R, SPACE.dims) is not None:
            break
        a, b = plain.ask(), model.ask()
        assert a.params == b.params  # the very draws of sampler="random"
        train(plain, a)
        train(model, b)
    else:
        pytest.fail("no rung reached enough points in 60 trials")
    first = len(model.trials)
    assert first >= min_rung_points(SPACE.dims)
    assert model.state_dict()["options"]["model_state"] is None  # no GP yet
    run(model, 12)
    run(plain, 12)
    assert points(model, first) != points(plain, first)
    assert model.state_dict()["options"]["model_state"]["level"] in levels


@pytest.mark.parametrize("mode", ["stopping", "promotion"])
def test_both_modes_run_and_save_load_gives_the_same_suggestions(mode):
    opt = run(hb(mode, seed=1), 30)
    state = json.loads(json.dumps(opt.state_dict()))
    assert state["options"]["model_state"]["level"] is not None, "the model is in use"
    twin = Optimizer.from_state_dict(state)
    for o in (opt, twin):
        run(o, 10)
    key = lambda o: [(t.id, t.params, t.status, t.resource, t.reports)  # noqa: E731
                     for t in o.trials]
    assert key(opt) == key(twin)
    statuses = {t.status for t in opt.trials}
    assert statuses <= ({"completed", "stopped"} if mode == "stopping" else
                        {"completed", "paused"})
    if mode == "promotion":
        assert any(t.is_resume for t in opt.trials)
    for t in opt.trials:
        assert 0.0 <= t.params["x"] <= 1.0 and 0.0 <= t.params["y"] <= 1.0


def test_same_seed_and_reports_give_the_same_suggestions():
    a, b = run(hb(seed=7), 35), run(hb(seed=7), 35)
    assert points(a) == points(b)
    c = run(hb(seed=8), 35)
    assert points(a) != points(c)


def test_parallel_asks_are_distinct():
    opt = run(hb(seed=2), 30)
    batch = [opt.ask() for _ in range(4)]  # pending: conditioned on, never repeated
    keys = {(t.params["x"], t.params["y"]) for t in batch}
    assert len(keys) == 4


def _near(opt, first, radius=0.15):
    new = [t for t in opt.trials[first:] if not t.is_resume]
    return float(np.mean([math.dist((t.params["x"], t.params["y"]), OPTIMUM) < radius
                          for t in new]))


@pytest.mark.parametrize("seed,objective", [(0, "minimize"), (1, "maximize"),
                                            (2, "minimize")])
def test_proposals_concentrate_near_the_optimum(seed, objective):
    # Random search puts pi * 0.15^2 = 7% of its points within 0.15 of OPTIMUM; the model's
    # proposals (a third of them still random) put most there. Measured over seeds 0-7 for
    # trials 25-59: model 0.40-0.83, random 0.03-0.14. With the sign flipped the model chases
    # the worst corner and scores as random does.
    model = run(hb(seed=seed, objective=objective), 60)
    plain = run(hb(seed=seed, objective=objective, sampler="random"), 60)
    assert _near(plain, 25) < 0.2
    assert _near(model, 25) > 0.3


def test_maximizing_minus_the_loss_gives_the_same_suggestions():
    # The rung values are stored as reported; the direction must be applied exactly once.
    low = run(hb(seed=4, objective="minimize"), 40)
    high = run(hb(seed=4, objective="maximize"), 40)
    assert high.state_dict()["options"]["model_state"] is not None
    assert points(low) == points(high)


def test_model_rows_are_capped_model_rung_values_first():
    from hpo_core.strategies.rung_model import MAX_MODEL_POINTS, _capped

    rows = [Trial(i, {"x": 0.0, "y": 0.0}, status="completed", value=float(i))
            for i in range(100)]
    at_level = set(range(0, 100, 5))  # 20 trials with a value at the model rung
    kept = _capped(rows, at_level, MAX_MODEL_POINTS)
    assert len(kept) == MAX_MODEL_POINTS == 64
    assert at_level <= {t.id for t in kept}  # every model-rung value stays
    assert [t.id for t in kept] == sorted(t.id for t in kept)
    # then the latest stand-ins
    assert {t.id for t in kept} - at_level == set(sorted(set(range(100)) - at_level)[-44:])
    assert _capped(rows[:10], at_level, 64) == rows[:10]
    kept = _capped(rows, set(range(90)), 64)
    assert [t.id for t in kept] == list(range(26, 90))  # the latest 64 model-rung values


def test_many_stops_keep_the_model_small():
    """120 trials stopped at the first rung and 10 at R: the GP gets at most 64 rows, the 10
    values at R among them (a stand-in GP records what it is given)."""
    from hpo_core.strategies.base import History
    from hpo_core.strategies.rung_model import RungModelSampler

    trials = []
    for i in range(130):
        t = Trial(i, {"x": i / 130, "y": 0.5, "epochs": R})
        if i % 13 == 0:
            t.reports = [[1.0, 1.0], [R, 0.5]]
            t.status, t.value = "completed", 0.5
        else:
            t.reports = [[1.0, 2.0]]
            t.status = "stopped"
        trials.append(t)
    sampler = RungModelSampler(SPACE, 0, [1, 3, 9], R)
    seen = []

    class FakeGP:
        def suggest(self, trial_id, history):
            seen.append(history.trials)
            return {"x": 0.5, "y": 0.5, "epochs": R}
    sampler._use_level = lambda level, warm_start=None: FakeGP()
    history = History(SPACE, 0, True, trials, set())
    for trial_id in range(130, 150):
        sampler.suggest(trial_id, history)
    assert seen and all(len(rows) == 64 for rows in seen)
    assert {t.id for t in seen[0] if t.value == 0.5} == set(range(0, 130, 13))


def test_uniform_share_mixes_the_bracket_weights():
    from hpo_core.kernels import bracket_probabilities
    from hpo_core.strategies.hyperband import _mixed_weights

    w = _mixed_weights(1, 81, 3, None, 0.3)
    np.testing.assert_allclose(w, 0.7 * bracket_probabilities(5, 3) + 0.3 / 5)
    assert math.isclose(sum(w), 1.0)
    opt = Optimizer(SPACE, "hyperband", seed=0, max_resource="epochs", uniform_share=0.3)
    table = opt._strategy._table  # R = 27: 4 brackets
    assert table.bracket_weights == _mixed_weights(1, 27, 3, None, 0.3)
    assert len(table.bracket_weights) == 4 and opt._strategy.options()["uniform_share"] == 0.3
    for bad in (-0.1, 1.5, "x", True):
        with pytest.raises(OptimizerError, match="uniform_share must be a number in"):
            Optimizer(SPACE, "hyperband", seed=0, max_resource="epochs", uniform_share=bad)
    with pytest.raises(OptimizerError, match="bracket_weights or uniform_share, not both"):
        Optimizer(SPACE, "hyperband", seed=0, max_resource="epochs", uniform_share=0.3,
                  bracket_weights=[1, 1, 1, 1])
