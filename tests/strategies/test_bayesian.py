"""The Bayesian strategy through the Optimizer: quality, validity, reproducibility, compiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_core import gp
from hpo_core.errors import OptimizerError
from hpo_core.optimizer import Optimizer
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static
from hpo_core.strategies.bayesian import initial_design_size
from hpo_core.strategies.plateaus import (
    MARGIN_CAP,
    MARGIN_STEP,
    has_ties,
    plateau_margin,
    stagnant_repeats,
)


def branin(p):
    x1, x2 = 15.0 * p["x"] - 5.0, 15.0 * p["y"]
    return ((x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10 - 0.397887)


_H_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                 [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H_C = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H_C * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))) + 3.32237)


def _median_final(strategy, space, fn, budget, seeds=(0, 1, 2)):
    finals = []
    for s in seeds:
        opt = Optimizer(space, strategy, seed=s)
        opt.optimize(fn, budget)
        finals.append(opt.best.value)
    return float(np.median(finals))


def test_beats_random_search_on_branin():
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    bayes = _median_final("bayesian", space, branin, 30)
    rand = _median_final("random", space, branin, 30)
    assert bayes < 0.1 and bayes < 0.2 * rand


def test_beats_random_search_on_hartmann6():
    space = SearchSpace({f"x{i}": Continuous(0.0, 1.0) for i in range(6)})
    bayes = _median_final("bayesian", space, hartmann6, 30)
    rand = _median_final("random", space, hartmann6, 30)
    assert bayes < rand


def test_initial_design_size():
    assert [initial_design_size(d) for d in (1, 2, 6, 10, 30)] == [5, 6, 14, 20, 20]


def _run(opt, fn, n):
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, fn(t.params))


def test_same_history_same_suggestions_across_save_and_load(tmp_path):
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    a = Optimizer(space, "bayesian", seed=7)
    b = Optimizer(space, "bayesian", seed=7)
    _run(a, branin, 9)
    _run(b, branin, 9)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    a.save(tmp_path / "opt.json")
    c = Optimizer.load(tmp_path / "opt.json")
    _run(a, branin, 3)
    _run(c, branin, 3)
    assert [t.params for t in a.trials] == [t.params for t in c.trials]
    d = Optimizer(space, "bayesian", seed=8)
    _run(d, branin, 9)
    assert [t.params for t in d.trials] != [t.params for t in b.trials]


def _async_run(opt, fn, n_tells, workers=3):
    """Keep ``workers`` trials pending; tell the oldest, ask again (a fixed completion order)."""
    running = [t for t in opt.trials if t.status == "pending"]
    for _ in range(n_tells):
        while len(running) < workers:
            running.append(opt.ask())
        t = running.pop(0)
        opt.tell(t, fn(t.params))


@pytest.mark.parametrize("pending", ["fantasies", "believer"])
def test_pending_trials_same_order_same_suggestions_across_save_and_load(tmp_path, pending):
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    a = Optimizer(space, "bayesian", seed=5, pending=pending)
    b = Optimizer(space, "bayesian", seed=5, pending=pending)
    _async_run(a, branin, 10)
    _async_run(b, branin, 10)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    a.save(tmp_path / "opt.json")  # mid-run: three trials pending
    c = Optimizer.load(tmp_path / "opt.json")
    assert c.state_dict()["options"]["pending"] == pending
    _async_run(a, branin, 4)
    _async_run(c, branin, 4)
    assert [t.params for t in a.trials] == [t.params for t in c.trials]


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.5, float("nan"), float("inf"), True, "0.5",
                                 "Auto", None, [0.5], np.array([0.5, 0.6]), np.array(["auto"])])
def test_bad_fantasy_spread_names_field_value_and_range(bad):
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    with pytest.raises(OptimizerError,
                       match=r"fantasy_spread must be 'auto' or a number in \(0, 1\]") as e:
        Optimizer(space, "bayesian", seed=0, fantasy_spread=bad)
    assert repr(bad) in str(e.value)


def test_a_numpy_spread_is_stored_as_a_float():
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    opt = Optimizer(space, "bayesian", seed=0, fantasy_spread=np.float64(0.75))
    assert type(opt.state_dict()["options"]["fantasy_spread"]) is float


def test_fantasy_spread_is_an_option_kept_by_save_and_load_and_changes_pending_suggestions(
        tmp_path):
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    default = Optimizer(space, "bayesian", seed=4, fantasy_spread=0.5)
    assert Optimizer(space, "bayesian", seed=4).state_dict()["options"]["fantasy_spread"] == "auto"
    full = Optimizer(space, "bayesian", seed=4, fantasy_spread=1.0)
    _async_run(default, branin, 10)
    _async_run(full, branin, 10)
    # the same initial design, then different fantasies of the three pending trials
    n0 = initial_design_size(2)
    assert [t.params for t in default.trials[:n0]] == [t.params for t in full.trials[:n0]]
    assert [t.params for t in default.trials] != [t.params for t in full.trials]
    full.save(tmp_path / "opt.json")
    again = Optimizer.load(tmp_path / "opt.json")
    assert again.state_dict()["options"]["fantasy_spread"] == 1.0
    _async_run(full, branin, 3)
    _async_run(again, branin, 3)
    assert [t.params for t in full.trials] == [t.params for t in again.trials]


def _branin_steps(p):
    """Branin on steps of 50: flat regions, so values tie from the initial design on."""
    return 50.0 * math.floor(branin(p) / 50.0)


@pytest.mark.parametrize("fn, same_as", [(branin, 0.5), (_branin_steps, 1.0)])
def test_auto_spread_is_half_without_ties_and_full_once_values_tie(fn, same_as, tmp_path):
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    auto = Optimizer(space, "bayesian", seed=6)
    fixed = Optimizer(space, "bayesian", seed=6, fantasy_spread=same_as)
    other = Optimizer(space, "bayesian", seed=6, fantasy_spread=1.5 - same_as)
    for opt in (auto, fixed, other):
        _async_run(opt, fn, 12)
    values = [t.value for t in auto.trials if t.value is not None]
    assert (len(set(values)) < len(values)) == (fn is _branin_steps)  # ties only on the steps
    assert [t.params for t in auto.trials] == [t.params for t in fixed.trials]
    assert [t.params for t in auto.trials] != [t.params for t in other.trials]
    auto.save(tmp_path / "auto.json")  # "auto" survives a save and load mid-run
    again = Optimizer.load(tmp_path / "auto.json")
    assert again.state_dict()["options"]["fantasy_spread"] == "auto"
    _async_run(auto, fn, 3)
    _async_run(again, fn, 3)
    assert [t.params for t in auto.trials] == [t.params for t in again.trials]


def test_auto_spread_switches_mid_run_when_values_start_to_tie():
    """Maximizing, with a failed trial: half spread until two told values tie, full after."""
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})

    def run(spread):
        opt = Optimizer(space, "bayesian", seed=3, objective="maximize",
                        **({} if spread is None else {"fantasy_spread": spread}))
        running, told = [], 0
        while told < 16:
            while len(running) < 3:
                running.append(opt.ask())
            t = running.pop(0)
            if told == 2:
                opt.tell(t, failed=True)
            else:  # smooth at first, then steps of 50 (the next values tie)
                value = -branin(t.params)
                opt.tell(t, value if told < 10 else 50.0 * math.floor(value / 50.0))
            told += 1
        return [t.params for t in opt.trials]

    auto, half, full = run(None), run(0.5), run(1.0)
    n0 = initial_design_size(2)
    assert auto[:12] == half[:12]  # asked before the 10th value was told: no ties yet
    assert auto[n0:12] != full[n0:12]
    assert auto != half  # after the ties: no longer the half spread


@pytest.mark.parametrize("spread", ["auto", 0.5])
def test_exact_pending_rows_and_augmented_ei_once_values_tie(spread, monkeypatch):
    """Pending rows enter as exact latent values, and log-EI is augmented, where observed
    values tie; neither where they do not, whatever the fantasies' spread (strategies.pending)."""
    from hpo_core import gp

    seen = []
    real = gp.condition_on_pending

    def spy(state, pending, prior, key, spread_, exact):
        seen.append(bool(exact))
        return real(state, pending, prior, key, spread_, exact)

    augmented = []
    real_acq = gp.optimize_acquisition

    def spy_acq(state, key, pool, cube, config, ties=None, **kw):
        augmented.append(bool(config.augmented))
        return real_acq(state, key, pool, cube, config, ties, **kw)

    monkeypatch.setattr(gp, "condition_on_pending", spy)
    monkeypatch.setattr(gp, "optimize_acquisition", spy_acq)
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    for fn, tied in ((branin, False), (_branin_steps, True)):
        seen.clear()
        augmented.clear()
        opt = Optimizer(space, "bayesian", seed=6, fantasy_spread=spread)
        _async_run(opt, fn, 12)
        assert seen and set(seen) == {tied}
        assert augmented and set(augmented) == {tied}  # augmented EI too (sequential asks)


def test_has_ties_reads_twelve_digits_and_skips_failed_values():
    nan = float("nan")
    assert not has_ties(np.array([1.0, 2.0, 3.0])) and not has_ties(np.array([]))
    assert has_ties(np.array([1.0, 2.0, 1.0 + 1e-15]))
    assert not has_ties(np.array([1.0, 1.0 + 1e-9, nan, nan, float("inf"), float("inf")]))


def test_pending_suggestions_spread_out():
    # A batch with pending points must not pile up next to the first one (it did while the
    # log-EI incumbent ignored the believer rows: nearest pair 0.006 apart on ackley10).
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    for pending in ("fantasies", "believer"):
        opt = Optimizer(space, "bayesian", seed=2, pending=pending)
        _run(opt, branin, 12)
        batch = np.array([[t.params["x"], t.params["y"]] for t in opt.ask_batch(4)])
        gaps = [np.linalg.norm(batch[i] - batch[j]) for i in range(4) for j in range(i)]
        assert min(gaps) > 0.02, (pending, gaps)


def test_no_recompilation_as_trials_accumulate_within_a_bucket():
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    # Without compiling ahead: the next bucket's builds would land in the window measured.
    opt = Optimizer(space, "bayesian", seed=3, compile_ahead=False)
    _run(opt, branin, 18)  # the 18th ask saw 17 observations: the first of the 24 bucket
    before = gp.build_counts()
    _run(opt, branin, 6)  # these see 18..23 observations: same bucket
    after = gp.build_counts()
    for name in ("fit", "optimize_acquisition", "posterior", "with_hyperparameters"):
        assert after.get(name, 0) == before.get(name, 0), name


MIXED = SearchSpace({
    "lr": Continuous(1e-5, 1e-1, "log"),
    "momentum": Continuous(0.5, 0.999, "reverse_log"),
    "layers": Integer(1, 6),
    "width": Integer(8, 4096, "log"),  # too many values to sweep: moved by the gradient
    "act": Categorical(["relu", "tanh", "gelu"]),
    "opt": Categorical(["sgd", "adam"]),
    "fixed": Continuous(2.0, 2.0),
    "one": Categorical(["only"]),
    "tag": Static("v1"),
})


def _mixed_objective(p):
    return (math.log10(p["lr"]) + 3) ** 2 + (p["layers"] - 3) ** 2 / 4 \
        + (p["act"] != "gelu") + 0.1 * math.log2(p["width"]) + (1 - p["momentum"])


def test_mixed_space_suggestions_are_valid_unique_and_batches_diverse():
    opt = Optimizer(MIXED, "bayesian", seed=1, n_initial=4)
    keys = set()
    for i in range(10):
        t = opt.ask()
        assert MIXED.validate(t.params) == t.params
        keys.add(MIXED.point_key(t.params))
        if i == 5:
            opt.tell(t, failed=True, reason="crashed")
        else:
            opt.tell(t, _mixed_objective(t.params))
    batch = opt.ask_batch(4)  # Kriging believer: pending points repel each other
    for t in batch:
        assert MIXED.validate(t.params) == t.params
        keys.add(MIXED.point_key(t.params))
    assert len(keys) == 14
    u = np.array([MIXED.encode(t.params) for t in batch])
    gaps = [np.abs(u[i] - u[j]).max() for i in range(4) for j in range(i)]
    assert min(gaps) > 1e-3


def test_maximize_and_ucb():
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    opt = Optimizer(space, "bayesian", objective="maximize", seed=0, acquisition="ucb",
                    ucb_beta=1.0)
    opt.optimize(lambda p: -branin(p), 30)
    assert opt.best.value > -0.5


def test_finite_space_is_exhausted_without_repeats():
    space = SearchSpace({"c": Categorical(["a", "b", "c"]), "k": Integer(1, 2)})
    opt = Optimizer(space, "bayesian", seed=0, n_initial=2)
    seen = set()
    for _ in range(6):
        t = opt.ask()
        seen.add(space.point_key(t.params))
        opt.tell(t, float(len(t.params["c"]) * t.params["k"]))
    assert len(seen) == 6
    with pytest.raises(OptimizerError, match="exhausted"):
        opt.ask()


def test_space_without_free_coordinates():
    space = SearchSpace({"a": Static(1), "b": Integer(3, 3)})
    opt = Optimizer(space, "bayesian", seed=0)
    t = opt.ask()
    assert t.params == {"a": 1, "b": 3}
    opt.tell(t, 1.0)
    with pytest.raises(OptimizerError, match="exhausted"):
        opt.ask()


def test_options_are_checked_and_round_trip():
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    with pytest.raises(OptimizerError, match="unknown option"):
        Optimizer(space, "bayesian", seed=0, n_init=3)
    with pytest.raises(OptimizerError, match="acquisition"):
        Optimizer(space, "bayesian", seed=0, acquisition="pi")
    with pytest.raises(OptimizerError, match="warm_start"):
        Optimizer(space, "bayesian", seed=0, warm_start={"n": 3, "theta": [1.0]})
    with pytest.raises(OptimizerError, match="compile_ahead must be a bool, got 'yes'"):
        Optimizer(space, "bayesian", seed=0, compile_ahead="yes")
    with pytest.raises(OptimizerError, match="pending must be one of"):
        Optimizer(space, "bayesian", seed=0, pending="liar")
    with pytest.raises(OptimizerError,
                       match=r"plateaus must be one of \['off', 'margin', 'tabu'\], got 'on'"):
        Optimizer(space, "bayesian", seed=0, plateaus="on")
    opt = Optimizer(space, "bayesian", seed=0, n_initial=3, compile_ahead=False)
    assert opt.state_dict()["options"]["n_initial"] == 3
    assert opt.state_dict()["options"]["compile_ahead"] is False
    assert opt.state_dict()["options"]["plateaus"] == "off"


def test_plateau_options_change_suggestions_only_once_values_tie():
    """Options ``plateaus="tabu"`` and ``"margin"`` reach the acquisition: the same suggestions
    as plain log-EI (``"off"``) while every value is distinct, other ones once trials return
    the same value."""

    def run(mode, fn):
        opt = Optimizer(SearchSpace({"x0": Continuous(0.0, 1.0), "x1": Continuous(0.0, 1.0)}),
                        "bayesian", seed=3, n_initial=6, compile_ahead=False, plateaus=mode)
        points = []
        for _ in range(10):
            t = opt.ask()
            points.append((t.params["x0"], t.params["x1"]))
            opt.tell(t, fn(t.params))
        return points

    def smooth(p):
        return (p["x0"] - 0.3) ** 2 + (p["x1"] - 0.6) ** 2

    def flat(p):  # the whole left half ties
        return 0.0 if p["x0"] < 0.5 else 1.0 + p["x1"]

    plain = run("off", smooth)
    assert run("tabu", smooth) == plain and run("margin", smooth) == plain
    off, tabu, margin = run("off", flat), run("tabu", flat), run("margin", flat)
    assert off[:6] == tabu[:6] == margin[:6]
    assert off[6:] != tabu[6:] and off[6:] != margin[6:]


def test_stagnant_repeats_counts_ties_after_the_first_best():
    nan = float("nan")
    assert stagnant_repeats(np.array([3.0, 2.0, 1.0, 0.5])) == 0  # no ties
    assert stagnant_repeats(np.array([5.0])) == 0 and stagnant_repeats(np.array([])) == 0
    # best 1.0 first seen at index 1; after it 5.0 (seen), 1.0 (seen), 7.0 (new), 7.0 (seen)
    assert stagnant_repeats(np.array([5.0, 1.0, 5.0, 1.0, 7.0, 7.0])) == 3
    # ties before the best do not count, a new best starts the count again
    assert stagnant_repeats(np.array([5.0, 5.0, 5.0, 1.0, 2.0])) == 0
    assert stagnant_repeats(np.array([2.0, 2.0, 1.0, 2.0, 0.5, 2.0])) == 1
    # failed trials (NaN) are skipped; 12 significant digits: 1e-15 apart tie, 1e-9 do not
    assert stagnant_repeats(np.array([1.0, nan, 1.0 + 1e-15, 1.0 + 1e-9])) == 1
    # a huge value (a sentinel for a broken configuration) makes no small values tie
    assert stagnant_repeats(np.array([1e12, 0.5, 0.4, 0.3, 0.2, 0.1])) == 0
    assert stagnant_repeats(np.array([1e9, 0.38, 0.3801, 0.3802])) == 0


def test_plateau_margin_grows_per_repeat_and_stops_at_the_cap():
    assert plateau_margin(np.array([3.0, 2.0, 1.0])) == 0.0
    two = np.array([5.0, 1.0, 5.0, 1.0])  # two repeats after the best
    assert plateau_margin(two) == pytest.approx(2 * MARGIN_STEP)
    assert type(plateau_margin(two)) is float  # a weakly typed scalar for the programs
    many = np.array([1.0] + [1.0] * 100)
    assert plateau_margin(many) == MARGIN_CAP < 100 * MARGIN_STEP


def test_plateau_margin_is_direction_blind_round_trips_and_compiles_nothing_new():
    """With ``plateaus="margin"``: the programs plain log-EI compiled for the bucket serve a
    non-zero margin; maximizing ``-f`` suggests what minimizing ``f`` does; the option
    survives save/load with the same next suggestion; UCB refuses the margin."""
    space = SearchSpace({"x0": Continuous(0.0, 1.0), "x1": Continuous(0.0, 1.0)})

    def flat(p):  # the whole left half ties
        return 0.0 if p["x0"] < 0.5 else 1.0 + p["x1"]

    def run(objective, sign, n, plateaus="margin"):
        opt = Optimizer(space, "bayesian", objective=objective, seed=5, n_initial=6,
                        compile_ahead=False, plateaus=plateaus)
        points = []
        for _ in range(n):
            t = opt.ask()
            points.append((t.params["x0"], t.params["x1"]))
            opt.tell(t, sign * flat(t.params))
        return opt, points

    run("minimize", 1.0, 12, plateaus="off")  # compiles the 16-row bucket with margin 0
    before = gp.build_counts()
    opt, low = run("minimize", 1.0, 12)  # every model ask sees 6..11 rows: the same bucket
    after = gp.build_counts()
    for name in ("fit", "optimize_acquisition"):
        assert after.get(name, 0) == before.get(name, 0), name
    values = np.array([t.value for t in opt.trials])
    assert stagnant_repeats(values[:-1]) > 0  # the asks ran with a non-zero margin
    assert run("maximize", -1.0, 12)[1] == low
    loaded = Optimizer.from_state_dict(opt.state_dict())
    assert loaded.state_dict()["options"]["plateaus"] == "margin"
    assert loaded.ask().params == opt.ask().params
    with pytest.raises(OptimizerError, match="plateaus='margin' widens log-EI's margin"):
        Optimizer(space, "bayesian", seed=0, plateaus="margin", acquisition="ucb")


_PARAMS = st.sampled_from([
    ("lr", Continuous(1e-4, 1.0, "log")),
    ("drop", Continuous(0.0, 0.99, "reverse_log")),
    ("n", Integer(1, 5)),
    ("big", Integer(1, 10_000)),
    ("cat", Categorical([1, "two", 3.0, None])),
    ("same", Integer(4, 4)),
    ("st", Static(True)),
])


@pytest.mark.slow
@settings(max_examples=4, deadline=None)
@given(st.lists(_PARAMS, min_size=1, max_size=4, unique_by=lambda p: p[0]),
       st.integers(0, 2**31))
def test_any_space_gets_valid_suggestions(params, seed):
    space = SearchSpace(dict(params))
    opt = Optimizer(space, "bayesian", seed=seed, n_initial=3)
    size = space.size
    for i in range(8 if size is None else min(8, size)):
        t = opt.ask()
        assert space.validate(t.params) == t.params
        opt.tell(t, float(hash(space.point_key(t.params)) % 97) + i * 0.01)
    assert len({space.point_key(t.params) for t in opt.trials}) == len(opt.trials)


@pytest.mark.slow
def test_each_entry_point_compiles_at_most_once_per_bucket():
    space = SearchSpace({"x": Continuous(0.0, 1.0), "y": Continuous(0.0, 1.0)})
    opt = Optimizer(space, "bayesian", seed=11, compile_ahead=False)
    before = gp.build_counts()  # builds: traced, or loaded from the program store
    _run(opt, branin, 70)  # refits of every kind: full fits, then warm-only ones from 40 on
    buckets = {gp.bucket_size(n) for n in range(1, 70)}
    grown = {k: v - before.get(k, 0) for k, v in gp.build_counts().items()}
    assert grown and all(v <= len(buckets) for v in grown.values()), grown
