"""Conformance: the contract every strategy in ``hpo_core.strategies.AVAILABLE`` must keep,
checked through the Optimizer (README "The ask/tell API", :mod:`hpo_core.optimizer`).

- ask/tell: suggestions lie in the space (fixed values included), ids are 0, 1, 2, ... and no
  point is suggested twice; ``ask_batch`` is all or nothing; telling an unknown, already-told
  or non-numeric result raises :class:`OptimizerError` and leaves the trial pending.
- failures: ``failed=True`` and NaN / infinite values record failed trials, which never become
  the best, and the strategy keeps suggesting valid points after them.
- finite spaces: every point once, then ``ask`` / ``ask_batch`` raise "exhausted" (pending
  points count as used) and ``optimize`` stops.
- persistence: an Optimizer saved and loaded mid-run suggests (and, for Hyperband, decides)
  exactly what the uninterrupted one does.
- seeds: the same seed gives the same suggestions; another seed other ones (grid excepted: its
  order is documented and does not depend on the seed).

A strategy added to ``AVAILABLE`` without an entry in :data:`OPTIONS` fails
:func:`test_every_available_strategy_is_covered`. The Bayesian strategy runs with a small
initial design (``n_initial=3``) so that a few asks already reach its GP.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from hpo_core import (
    Categorical,
    Continuous,
    Integer,
    Optimizer,
    OptimizerError,
    SearchSpace,
    Static,
    Trial,
)
from hpo_core.strategies import AVAILABLE

N_INITIAL = 3
MAX_RESOURCE = 9

#: The options each strategy runs with here: as small as the strategy allows.
OPTIONS: dict[str, dict[str, Any]] = {
    "random": {},
    "grid": {"grid_points": 3},
    "bayesian": {"n_initial": N_INITIAL, "compile_ahead": False},
    "hyperband": {"min_resource": 1, "max_resource": MAX_RESOURCE, "eta": 3},
}

#: A space of every kind of parameter (36 grid points with ``grid_points=3``).
SPACE = SearchSpace({
    "lr": Continuous(1e-4, 1.0, "log"),
    "depth": Integer(1, 4),
    "act": Categorical(["relu", "tanh", "gelu"]),
    "batch": Static(64),
})
#: A finite space: 3 * 2 = 6 points.
FINITE = SearchSpace({"k": Integer(0, 2), "c": Categorical(["a", "b"]), "tag": Static("x")})

#: The Bayesian cases compile the GP's programs (about 10 s of CPU per space shape, cold).
SLOW = {"bayesian": [pytest.mark.slow]}
strategies = pytest.mark.parametrize(
    "name", [pytest.param(n, marks=SLOW.get(n, [])) for n in AVAILABLE])


def make(name: str, seed: int, space: SearchSpace = SPACE) -> Optimizer:
    return Optimizer(space, strategy=name, objective="minimize", seed=seed, **OPTIONS[name])


def loss(params: dict[str, Any]) -> float:
    """A deterministic objective of either space."""
    if "lr" in params:
        return ((math.log10(params["lr"]) + 2.0) ** 2 + (params["depth"] - 3) ** 2
                + 0.5 * ["relu", "tanh", "gelu"].index(params["act"]))
    return (params["k"] - 1) ** 2 + (params["c"] == "b") * 0.5


def key(space: SearchSpace, trial: Trial) -> tuple[Any, ...]:
    return space.point_key(trial.params)


def assert_in_space(space: SearchSpace, trial: Trial) -> None:
    assert list(trial.params) == space.names
    assert space.validate(trial.params) == trial.params  # in range, plain types
    assert {n: trial.params[n] for n in space.fixed_values} == space.fixed_values


def run(opt: Optimizer, n: int) -> list[tuple[Any, ...]]:
    """Ask ``n`` trials one at a time and finish each: a multi-fidelity trial reports every
    step up to its resource (until told to stop), every 4th trial fails, every 5th is told
    NaN. Returns what a replay must reproduce: (id, params, resource, decisions, status)."""
    log = []
    for _ in range(n):
        t = opt.ask()
        decisions = []
        if t.resource is not None:
            for step in range(t.last_step + 1, t.resource + 1):
                decisions.append(opt.report(t, step, loss(t.params) * (1.0 + 1.0 / step)))
                if decisions[-1] != "continue":
                    break
        if t.status == "pending":
            if t.id % 4 == 3:
                opt.tell(t, failed=True, reason="diverged")
            else:
                opt.tell(t, math.nan if t.id % 5 == 4 else loss(t.params))
        log.append((t.id, t.params, t.resource, decisions, t.status))
    return log


def test_every_available_strategy_is_covered() -> None:
    assert set(OPTIONS) == set(AVAILABLE)


# ---------------------------------------------------------------------------------- ask / tell
@strategies
def test_suggestions_lie_in_the_space_with_ids_in_order_and_no_repeats(name: str) -> None:
    opt = make(name, 0)
    trials = []
    for i in range(N_INITIAL + 3):  # into the Bayesian strategy's model phase
        t = opt.ask()
        assert (t.id, t.status, t.value, t.enqueued) == (i, "pending", None, False)
        assert t.resource == (MAX_RESOURCE if name == "hyperband" else None)
        assert_in_space(SPACE, t)
        opt.tell(t, loss(t.params))
        assert (t.status, t.value) == ("completed", loss(t.params))
        trials.append(t)
    assert opt.trials == trials
    assert len({key(SPACE, t) for t in trials}) == len(trials)
    assert opt.best is min(trials, key=lambda t: (t.value, t.id))


@strategies
def test_ask_batch_is_pending_trials_in_the_space_and_all_or_nothing(name: str) -> None:
    opt = make(name, 1)
    run(opt, N_INITIAL)
    batch = opt.ask_batch(3)  # the Bayesian strategy conditions on the pending ones
    assert [t.id for t in batch] == [N_INITIAL, N_INITIAL + 1, N_INITIAL + 2]
    assert all(t.status == "pending" for t in batch)
    for t in batch:
        assert_in_space(SPACE, t)
    assert len({key(SPACE, t) for t in opt.trials}) == N_INITIAL + 3
    for n in (0, -1, 1.5, True):
        with pytest.raises(OptimizerError, match="n must be an int >= 1"):
            opt.ask_batch(n)  # type: ignore[arg-type]
    assert len(opt.trials) == N_INITIAL + 3
    for t in batch:
        opt.tell(t, loss(t.params))
    assert_in_space(SPACE, opt.ask())


@strategies
def test_bad_tells_raise_and_leave_the_trial_pending(name: str) -> None:
    opt = make(name, 2)
    t = opt.ask()
    with pytest.raises(OptimizerError, match="unknown trial id 1"):
        opt.tell(1, 0.5)
    with pytest.raises(OptimizerError, match="unknown trial id -1"):
        opt.tell(-1, 0.5)
    with pytest.raises(OptimizerError, match="expected a Trial or a trial id"):
        opt.tell("0", 0.5)  # type: ignore[arg-type]
    for value in (None, "0.5", True):
        with pytest.raises(OptimizerError, match="expected a real number"):
            opt.tell(t, value)  # type: ignore[arg-type]
    assert t.status == "pending" and t.value is None
    opt.tell(t.id, 0.5)
    for again in ({"value": 0.25}, {"failed": True}):
        with pytest.raises(OptimizerError, match="already told"):
            opt.tell(t, **again)  # type: ignore[arg-type]
    assert (t.status, t.value) == ("completed", 0.5)
    assert opt.ask().id == 1


@strategies
def test_enqueued_point_comes_first_and_is_not_suggested_again(name: str) -> None:
    opt = make(name, 3, FINITE)
    opt.enqueue({"k": 2, "c": "b"})  # the fixed value may be left out
    first = opt.ask()
    assert first.enqueued and first.params == {"k": 2, "c": "b", "tag": "x"}
    opt.tell(first, loss(first.params))
    rest = [key(FINITE, t) for t in opt.ask_batch(5)]
    assert key(FINITE, first) not in rest and len(set(rest)) == 5


# ---------------------------------------------------------------------------------- failures
@strategies
def test_failed_and_non_finite_results_are_failed_trials(name: str) -> None:
    opt = make(name, 4)
    failed = opt.ask()
    opt.tell(failed, 0.1, failed=True, reason="out of memory")  # the value is ignored
    assert (failed.status, failed.value, failed.reason) == ("failed", None, "out of memory")
    plain = opt.ask()
    opt.tell(plain, failed=True)
    assert (plain.status, plain.reason) == ("failed", "failed")
    for value in (math.nan, math.inf, -math.inf):
        t = opt.ask()
        opt.tell(t, value)
        assert t.status == "failed" and t.value is None and "not finite" in t.reason
    assert opt.best is None
    for _ in range(N_INITIAL + 2):  # values and failures past the initial design
        t = opt.ask()
        assert_in_space(SPACE, t)
        if t.id % 2:
            opt.tell(t, failed=True)
        else:
            opt.tell(t, loss(t.params))
    completed = [t for t in opt.trials if t.status == "completed"]
    assert opt.best is min(completed, key=lambda t: (t.value, t.id))
    assert len({key(SPACE, t) for t in opt.trials}) == len(opt.trials)


@strategies
def test_a_non_finite_report_fails_the_trial(name: str) -> None:
    opt = make(name, 14)
    t = opt.ask()
    assert opt.report(t, 1, 2.0) == "continue"
    assert opt.report(t, 2, math.nan) == "stop"
    assert t.status == "failed" and "not finite" in t.reason
    with pytest.raises(OptimizerError, match="already told"):
        opt.tell(t, 1.0)
    with pytest.raises(OptimizerError, match="is failed"):
        opt.report(t, 3, 1.0)
    assert_in_space(SPACE, opt.ask())


@strategies
def test_only_failures_still_give_suggestions(name: str) -> None:
    opt = make(name, 5)
    for _ in range(N_INITIAL + 2):
        t = opt.ask()
        assert_in_space(SPACE, t)
        opt.tell(t, failed=True)
    assert opt.best is None and len({key(SPACE, t) for t in opt.trials}) == N_INITIAL + 2


# ---------------------------------------------------------------------------------- finite spaces
@strategies
def test_finite_space_gives_every_point_once_then_is_exhausted(name: str) -> None:
    opt = make(name, 6, FINITE)
    assert opt.capacity == 6
    pending = opt.ask_batch(2)  # pending points count as used
    run(opt, 4)
    points = {key(FINITE, t) for t in opt.trials}
    assert points == {FINITE.point_key(p) for p in FINITE.grid()}
    for ask in (opt.ask, lambda: opt.ask_batch(1)):
        with pytest.raises(OptimizerError, match="exhausted: all 6 points are observed or "
                                                 "pending"):
            ask()
    assert len(opt.trials) == 6
    for t in pending:
        opt.tell(t, loss(t.params))
    with pytest.raises(OptimizerError, match="exhausted"):
        opt.ask()


@strategies
def test_ask_batch_past_the_end_creates_no_trial(name: str) -> None:
    opt = make(name, 7, FINITE)
    run(opt, 4)
    with pytest.raises(OptimizerError, match="exhausted"):
        opt.ask_batch(3)
    assert len(opt.trials) == 4
    last = opt.ask_batch(2)
    assert [t.id for t in last] == [4, 5]
    assert len({key(FINITE, t) for t in opt.trials}) == 6


@strategies
def test_optimize_stops_when_the_space_is_used_up(name: str) -> None:
    opt = make(name, 8, FINITE)
    best = opt.optimize(loss, n_trials=50)
    assert len(opt.trials) == 6 and best is not None
    assert best.params == {"k": 1, "c": "a", "tag": "x"}


def test_grid_capacity_counts_the_continuous_grid_points() -> None:
    assert make("grid", 0).capacity == 36
    assert {make(n, 0).capacity for n in AVAILABLE if n != "grid"} == {None}


# ---------------------------------------------------------------------------------- save / load
@strategies
def test_save_and_load_mid_run_continue_like_the_uninterrupted_run(name: str, tmp_path) -> None:
    opt = make(name, 9)
    run(opt, N_INITIAL + 2)  # completed, failed and NaN trials; past the initial design
    opt.ask_batch(2)  # and pending ones
    opt.save(tmp_path / "opt.json")
    loaded = Optimizer.load(tmp_path / "opt.json")
    assert loaded.state_dict() == opt.state_dict()
    for a, b in zip(opt.trials, loaded.trials, strict=True):
        assert a.to_dict() == b.to_dict()
    assert run(loaded, 3) == run(opt, 3)
    assert loaded.ask_batch(2)[1].params == opt.ask_batch(2)[1].params


@strategies
def test_save_and_load_of_a_fresh_optimizer(name: str, tmp_path) -> None:
    opt = make(name, 10)
    opt.save(tmp_path / "opt.json")
    assert run(Optimizer.load(tmp_path / "opt.json"), 2) == run(opt, 2)


# ---------------------------------------------------------------------------------- seeds
@strategies
def test_same_seed_same_suggestions(name: str) -> None:
    assert run(make(name, 11), N_INITIAL + 2) == run(make(name, 11), N_INITIAL + 2)


@strategies
def test_another_seed_other_suggestions(name: str) -> None:
    ours = [t[1] for t in run(make(name, 12), N_INITIAL + 2)]
    theirs = [t[1] for t in run(make(name, 13), N_INITIAL + 2)]
    if name == "grid":  # the grid's order is fixed: first parameter slowest
        assert ours == theirs == [dict(p) for p in SPACE.grid(3)][:N_INITIAL + 2]
    else:
        assert ours != theirs
        assert ours[0] != theirs[0]


#: Strategies that do not take every seed the Optimizer accepts as a seed of its own.
@strategies
def test_every_64_bit_seed_is_a_seed_of_its_own(name: str) -> None:
    """The largest seed works with every strategy, reproduces, and is not a smaller seed in
    disguise (the low 32 bits alone, say)."""
    big = 2**64 - 1
    ours = [t[1] for t in run(make(name, big), 3)]
    assert ours == [t[1] for t in run(make(name, big), 3)]
    if name != "grid":  # the grid ignores the seed
        assert ours != [t[1] for t in run(make(name, 2**32 - 1), 3)]


@pytest.mark.parametrize("seed", [2**64, 2**64 + 12, -1])
def test_a_seed_outside_64_bits_is_refused_naming_it(seed: int) -> None:
    with pytest.raises(OptimizerError, match=rf"seed: expected an int in \[0, 2\*\*64\).*{seed}"):
        Optimizer(SPACE, "random", seed=seed)


@strategies
def test_no_seed_draws_one_that_is_kept(name: str, tmp_path) -> None:
    opt = Optimizer(SPACE, name, seed=None, **OPTIONS[name])
    assert isinstance(opt.seed, int) and opt.seed >= 0
    opt.save(tmp_path / "opt.json")
    loaded = Optimizer.load(tmp_path / "opt.json")
    assert loaded.seed == opt.seed
    assert run(loaded, 2) == run(make(name, opt.seed), 2)
