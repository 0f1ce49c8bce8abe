"""Multi-fidelity ask/tell: strategy="hyperband" (both modes) and early_stopping="auto"."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_core import Continuous, Optimizer, OptimizerError, SearchSpace, Static

SPACE = SearchSpace({"x": Continuous(0.0, 1.0), "epochs": Static(27)})


def curve(params, step):
    """Accuracy-like: higher x is better, approaching x as steps grow."""
    return params["x"] * (1.0 - 1.0 / (step + 1))


def run(opt, n_asks, max_resource=27):
    """A sequential worker: train each asked trial from its last step, reporting every step."""
    for _ in range(n_asks):
        t = opt.ask()
        decision = "continue"
        for step in range(t.last_step + 1, t.resource + 1):
            decision = opt.report(t, step, curve(t.params, step))
            if decision != "continue":
                break
        if decision == "continue" and t.last_step == max_resource:
            opt.tell(t, curve(t.params, max_resource))
    return opt


def hb(mode="stopping", seed=0, **kw):
    options = {"min_resource": 1, "max_resource": 27, "eta": 3, "mode": mode, **kw}
    return Optimizer(SPACE, strategy="hyperband", objective="maximize", seed=seed, **options)


def test_stopping_mode_contract():
    opt = run(hb(), 80)
    statuses = {t.status for t in opt.trials}
    assert statuses <= {"completed", "stopped"} and "stopped" in statuses
    for t in opt.trials:
        assert t.resource == 27 and not t.is_resume
        if t.status == "stopped":
            assert t.value == t.reports[-1][1] and t.last_step < 27
            with pytest.raises(OptimizerError, match=r"stopped.*needs no tell"):
                opt.tell(t, 1.0)
            with pytest.raises(OptimizerError, match="after a stop decision"):
                opt.report(t, t.last_step + 1, 0.5)
    completed = [t for t in opt.trials if t.status == "completed"]
    assert opt.best is max(completed, key=lambda t: t.value)
    # ASHA keeps the good ones: the completed trials have the largest x on average
    stopped = [t for t in opt.trials if t.status == "stopped"]
    mean = lambda ts: sum(t.params["x"] for t in ts) / len(ts)  # noqa: E731
    assert mean(completed) > mean(stopped)
    # fewer resources than training everything to the end
    assert sum(t.last_step for t in opt.trials) < 0.6 * 27 * len(opt.trials)


def test_promotion_mode_contract():
    opt = hb("promotion")
    first = opt.ask()
    levels = opt._strategy.rung_levels
    assert first.resource in [*levels, 27] and not first.is_resume
    for step in range(1, first.resource + 1):
        decision = opt.report(first, step, curve(first.params, step))
    if first.resource < 27:
        assert decision == "pause" and first.status == "paused"
        with pytest.raises(OptimizerError, match="paused"):
            opt.tell(first, 0.5)
        with pytest.raises(OptimizerError, match="paused"):
            opt.report(first, first.resource + 1, 0.5)
    run(opt, 150)
    resumed = [t for t in opt.trials if t.is_resume]
    assert resumed, "some trial was promoted"
    for t in resumed:
        steps = [s for s, _ in t.reports]
        assert steps == list(range(1, len(steps) + 1))  # resumed from where it paused
    assert {t.status for t in opt.trials} <= {"completed", "paused"}
    assert opt.best.status == "completed" and opt.best.last_step == 27


def test_report_errors():
    opt = hb()
    t = opt.ask()
    with pytest.raises(OptimizerError, match="step 28 is above max_resource 27"):
        opt.report(t, 28, 0.5)
    opt.report(t, 2, 0.5)
    with pytest.raises(OptimizerError, match="steps must increase"):
        opt.report(t, 1, 0.5)
    p = hb("promotion")
    t = p.ask()
    if t.resource < 27:
        with pytest.raises(OptimizerError, match="above the resource it was given"):
            p.report(t, t.resource + 1, 0.5)


def test_max_resource_from_a_static_hyperparameter_and_bad_options():
    assert hb(max_resource="epochs").ask().resource == 27
    with pytest.raises(OptimizerError, match="must name a fixed"):
        hb(max_resource="x")
    with pytest.raises(OptimizerError, match="max_resource is required"):
        Optimizer(SPACE, strategy="hyperband")
    with pytest.raises(OptimizerError, match="mode must be one of"):
        hb(mode="pausing")
    with pytest.raises(OptimizerError, match="eta must be an int >= 2"):
        hb(eta=1)
    with pytest.raises(OptimizerError, match="unknown option"):
        hb(rungs=3)
    with pytest.raises(OptimizerError, match="does not combine"):
        hb(early_stopping="auto")


def test_independent_workers_agree_on_brackets():
    a, b = hb("promotion", seed=5), hb("promotion", seed=5)
    assert [a.ask().resource for _ in range(30)] == [b.ask().resource for _ in range(30)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["stopping", "promotion"]), st.integers(0, 40), st.integers(0, 2**20))
def test_save_load_mid_run_gives_the_same_decisions(mode, n_before, seed):
    opt = run(hb(mode, seed=seed), n_before)
    twin = Optimizer.from_state_dict(json.loads(json.dumps(opt.state_dict())))
    for o in (opt, twin):
        run(o, 15)
    key = lambda o: [(t.id, t.status, t.resource, t.reports) for t in o.trials]  # noqa: E731
    assert key(opt) == key(twin)


def test_failed_trials_are_retired_and_replayed():
    opt = hb("promotion")
    t = opt.ask()
    opt.report(t, 1, 0.1)
    opt.tell(t, failed=True, reason="oom")
    again = Optimizer.from_state_dict(opt.state_dict())
    run(opt, 60)
    run(again, 60)
    assert all(not (x.id == 0 and x.is_resume) for x in opt.trials)
    assert [x.params for x in opt.trials] == [x.params for x in again.trials]


def test_median_rule_with_random_search():
    opt = Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), strategy="random",
                    objective="minimize", seed=0, early_stopping="auto")
    decisions = []
    for level in [1.0, 2.0, 3.0, 10.0, 0.5]:
        t = opt.ask()
        got = []
        for step in (1, 2):
            got.append(opt.report(t, step, level))
            if got[-1] == "stop":
                break
        decisions.append(got)
        if t.status == "pending":
            opt.tell(t, level)
    # the 4th trial (worse than the median of 3 earlier running averages) stops at step 1
    assert decisions[:3] == [["continue"] * 2] * 3
    assert decisions[3] == ["stop"] and opt.trials[3].status == "stopped"
    assert decisions[4] == ["continue", "continue"]
    assert opt.best.value == 0.5
    assert opt.early_stopping == "auto"


def test_median_rule_survives_save_load():
    opt = Optimizer(SearchSpace({"x": Continuous(0.0, 1.0)}), seed=0, early_stopping="AUTO")
    for level in (1.0, 2.0, 3.0):
        t = opt.ask()
        opt.report(t, 1, level)
        opt.tell(t, level)
    again = Optimizer.from_state_dict(opt.state_dict())
    assert again.report(again.ask(), 1, 10.0) == "stop"
    assert opt.report(opt.ask(), 1, math.pi) == "stop"


def test_bracket_weights_option_reaches_the_table_and_is_saved(tmp_path) -> None:
    space = SearchSpace({"x": Continuous(0.0, 1.0)})
    # every trial in the bracket without rungs: nothing is ever stopped
    opt = Optimizer(space, "hyperband", seed=0, max_resource=9, eta=3,
                    bracket_weights=[0.0, 0.0, 1.0])
    trials = [opt.ask() for _ in range(6)]
    assert all(opt.report(t, step, 1.0 + t.id) == "continue"
               for step in (1, 3) for t in trials)
    opt.save(tmp_path / "hb.json")
    loaded = Optimizer.load(tmp_path / "hb.json")
    t = loaded.ask()
    assert loaded.report(t, 1, 99.0) == "continue"
    with pytest.raises(OptimizerError, match="bracket_weights must be 3 finite numbers"):
        Optimizer(space, "hyperband", seed=0, max_resource=9, bracket_weights=[1.0])
