"""The ask/tell contract of hpo_core.Optimizer (issue: foundation, step 5)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_core import (
    Categorical,
    Continuous,
    HPOError,
    Integer,
    Optimizer,
    OptimizerError,
    SearchSpace,
    SearchSpaceError,
    Static,
)
from hpo_core.optimizer import FORMAT_VERSION


@pytest.fixture
def space() -> SearchSpace:
    return SearchSpace({
        "lr": Continuous(1e-5, 1.0, "log"),
        "depth": Integer(1, 10),
        "booster": Categorical(["gbtree", "dart"]),
        "objective": Static("multi:softmax"),
    })


def f(p):
    return (math.log10(p["lr"]) + 2) ** 2 + (p["depth"] - 4) ** 2 + (p["booster"] == "dart")


def test_contract_as_written(space, tmp_path):
    opt = Optimizer(space, strategy="random", objective="minimize", seed=0)
    trial = opt.ask()
    assert trial.id == 0 and trial.status == "pending" and trial.value is None
    assert set(trial.params) == set(space.names)
    batch = opt.ask_batch(4)
    assert [t.id for t in batch] == [1, 2, 3, 4]
    assert all(t.status == "pending" for t in batch)
    opt.tell(trial, 0.25)
    assert trial.status == "completed" and trial.value == 0.25
    opt.tell(batch[0].id, 0.5)
    opt.tell(batch[1], failed=True, reason="out of memory")
    assert batch[1].status == "failed" and batch[1].reason == "out of memory"
    assert opt.best is trial
    assert [t.id for t in opt.trials] == [0, 1, 2, 3, 4]
    opt.enqueue({"lr": 1e-3, "depth": 4, "booster": "gbtree", "objective": "multi:softmax"})
    t = opt.ask()
    assert t.params == {"lr": 1e-3, "depth": 4, "booster": "gbtree",
                        "objective": "multi:softmax"} and t.enqueued
    opt.tell(t, 0.1)
    best = opt.optimize(f, n_trials=20, timeout=None)
    assert best is opt.best and len(opt.trials) == 26
    path = tmp_path / "opt.json"
    opt.save(path)
    opt2 = Optimizer.load(path)
    assert [(x.id, x.params, x.status, x.value) for x in opt2.trials] == [
        (x.id, x.params, x.status, x.value) for x in opt.trials]


def test_best_is_none_before_any_completed(space):
    opt = Optimizer(space, seed=1)
    assert opt.best is None
    opt.tell(opt.ask(), failed=True)
    assert opt.best is None


@pytest.mark.parametrize("objective, expected", [("minimize", 1.0), ("MAXIMIZE", 3.0),
                                                 ("Maximize", 3.0), ("MinImize", 1.0)])
def test_objective_direction_any_case(space, objective, expected):
    opt = Optimizer(space, objective=objective, seed=0)
    for v in (2.0, 1.0, 3.0):
        opt.tell(opt.ask(), v)
    assert opt.best.value == expected


def test_bad_objective_and_seed(space):
    with pytest.raises(OptimizerError, match="objective: expected 'minimize' or 'maximize'"):
        Optimizer(space, objective="lower")
    with pytest.raises(OptimizerError, match="seed"):
        Optimizer(space, seed=-1)
    with pytest.raises(OptimizerError, match="seed"):
        Optimizer(space, seed="0")


def test_unknown_strategy(space):
    with pytest.raises(OptimizerError, match="unknown strategy 'tpe'"):
        Optimizer(space, strategy="tpe")


def test_tell_errors(space):
    opt = Optimizer(space, seed=0)
    t = opt.ask()
    with pytest.raises(OptimizerError, match="unknown trial id 5"):
        opt.tell(5, 1.0)
    for bad in ("1.0", None, True, [1.0], {"v": 1}):
        with pytest.raises(OptimizerError, match="expected a real number"):
            opt.tell(t, bad)
    assert t.status == "pending"
    opt.tell(t, np.float32(1.5))
    assert t.value == 1.5 and type(t.value) is float
    with pytest.raises(OptimizerError, match="already told"):
        opt.tell(t, 1.0)
    with pytest.raises(OptimizerError, match="already told"):
        opt.tell(t.id, failed=True)
    assert isinstance(OptimizerError("x"), HPOError)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_value_is_a_failed_trial(space, value):
    opt = Optimizer(space, seed=0)
    t = opt.tell(opt.ask(), value)
    assert t.status == "failed" and "not finite" in t.reason and t.value is None


def test_enqueue_validates_and_fills_fixed_values(space):
    opt = Optimizer(space, seed=0)
    with pytest.raises(SearchSpaceError, match="parameter 'lr'"):
        opt.enqueue({"lr": 5.0, "depth": 3, "booster": "dart"})
    opt.enqueue({"lr": 0.01, "depth": 3, "booster": "dart"})
    assert opt.ask().params["objective"] == "multi:softmax"


def test_same_seed_same_suggestions_also_after_save_load(space, tmp_path):
    def run(opt, n, start=0):
        out = []
        for i in range(start, start + n):
            t = opt.ask()
            out.append(t.params)
            if i % 3 == 0:
                opt.tell(t, failed=True)
            else:
                opt.tell(t, f(t.params))
        return out

    a = Optimizer(space, seed=7)
    first = run(a, 10)
    path = tmp_path / "mid.json"
    a.save(path)
    rest_a = run(a, 10, 10)
    b = Optimizer.load(path)
    assert run(b, 10, 10) == rest_a
    c = Optimizer(space, seed=7)
    assert run(c, 20) == first + rest_a
    assert run(Optimizer(space, seed=8), 10) != first


def test_load_rejects_newer_and_corrupt_files(space, tmp_path):
    opt = Optimizer(space, seed=0)
    opt.tell(opt.ask(), 1.0)
    state = opt.state_dict()
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**state, "version": FORMAT_VERSION + 1}))
    with pytest.raises(OptimizerError, match=r"version 2.*up to 1.*upgrade"):
        Optimizer.load(newer)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(json.dumps(state)[:-20])
    with pytest.raises(OptimizerError, match="corrupt JSON"):
        Optimizer.load(corrupt)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**state, "trials": [{"id": 0, "nonsense": 1}]}))
    with pytest.raises(OptimizerError, match="corrupt"):
        Optimizer.load(wrong)
    other = tmp_path / "other.json"
    other.write_text("[1, 2]")
    with pytest.raises(OptimizerError, match="not an hpo_core optimizer file"):
        Optimizer.load(other)


def test_grid_enumerates_discrete_values_and_knows_its_size():
    space = SearchSpace({"a": Integer(0, 2), "b": Categorical(["x", "y"]), "s": Static(1),
                         "one": Continuous(0.5, 0.5)})
    opt = Optimizer(space, strategy="grid")
    assert opt.capacity == 6
    seen = [opt.ask().params for _ in range(6)]
    assert len({json.dumps(p, sort_keys=True) for p in seen}) == 6
    assert all(p["s"] == 1 and p["one"] == 0.5 for p in seen)
    with pytest.raises(OptimizerError, match="grid is exhausted: all 6 points"):
        opt.ask()


def test_grid_rejects_continuous_unless_grid_points():
    space = SearchSpace({"x": Continuous(0.0, 1.0), "k": Integer(1, 2)})
    with pytest.raises(SearchSpaceError, match=r"parameter 'x' is Continuous.*grid_points"):
        Optimizer(space, strategy="grid")
    opt = Optimizer(space, strategy="grid", grid_points=3)
    assert opt.capacity == 6
    xs = sorted({opt.ask().params["x"] for _ in range(6)})
    assert xs == [0.0, 0.5, 1.0]
    with pytest.raises(OptimizerError, match="unknown option"):
        Optimizer(space, strategy="grid", points=3)


def test_grid_skips_enqueued_points():
    space = SearchSpace({"a": Integer(0, 3)})
    opt = Optimizer(space, strategy="grid")
    opt.enqueue({"a": 2})
    got = [opt.ask().params["a"] for _ in range(4)]
    assert sorted(got) == [0, 1, 2, 3] and got[0] == 2


def test_finite_space_random_never_repeats_then_raises_like_grid():
    space = SearchSpace({"a": Integer(0, 4), "b": Categorical([True, False])})
    opt = Optimizer(space, strategy="random", seed=3)
    pts = [opt.ask().params for _ in range(10)]
    assert len({json.dumps(p, sort_keys=True) for p in pts}) == 10
    with pytest.raises(OptimizerError, match="exhausted: all 10 points"):
        opt.ask()


def test_ask_batch_is_all_or_nothing():
    space = SearchSpace({"a": Integer(0, 4)})
    opt = Optimizer(space, strategy="grid")
    opt.ask_batch(3)
    with pytest.raises(OptimizerError, match="exhausted"):
        opt.ask_batch(3)
    assert len(opt.trials) == 3
    assert len(opt.ask_batch(2)) == 2
    with pytest.raises(OptimizerError, match="n must be an int >= 1"):
        opt.ask_batch(0)


def test_optimize_records_failures_and_reraises(space):
    opt = Optimizer(space, seed=0)

    def boom(p):
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError):
        opt.optimize(boom, n_trials=5)
    assert [t.status for t in opt.trials] == ["failed"]
    assert opt.trials[0].reason == "RuntimeError: diverged"
    opt.optimize(boom, n_trials=3, catch=(RuntimeError,))
    assert [t.status for t in opt.trials] == ["failed"] * 4


def test_optimize_stops_when_space_is_exhausted():
    opt = Optimizer(SearchSpace({"a": Integer(0, 2)}), strategy="grid")
    best = opt.optimize(lambda p: -p["a"], n_trials=50)
    assert len(opt.trials) == 3 and best.params == {"a": 2}


def test_optimize_timeout(space):
    import time

    opt = Optimizer(space, seed=0)
    opt.optimize(lambda p: time.sleep(0.05) or 1.0, n_trials=1000, timeout=0.2)
    assert 1 <= len(opt.trials) < 50


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["ask", "batch", "tell", "fail", "save"]), max_size=25),
       st.integers(0, 2**31))
def test_any_interleaving_is_reproducible_from_saved_state(ops, seed):
    """After any sequence of asks, tells and save/load, the next suggestion is the same."""
    space = SearchSpace({"x": Continuous(-1.0, 1.0), "k": Integer(1, 1000),
                         "c": Categorical(["a", "b", 3])})
    opt = Optimizer(space, seed=seed)
    twin = Optimizer(space, seed=seed)
    for op in ops:
        pending = [t for t in opt.trials if t.status == "pending"]
        if op == "ask":
            assert opt.ask().params == twin.ask().params
        elif op == "batch":
            assert [t.params for t in opt.ask_batch(2)] == [t.params for t in twin.ask_batch(2)]
        elif op in ("tell", "fail") and pending:
            t = pending[0]
            if op == "tell":
                opt.tell(t, t.params["x"])
                twin.tell(t.id, t.params["x"])
            else:
                opt.tell(t, failed=True)
                twin.tell(t.id, failed=True)
        elif op == "save":
            twin = Optimizer.from_state_dict(json.loads(json.dumps(opt.state_dict())))
    assert opt.ask().params == twin.ask().params
