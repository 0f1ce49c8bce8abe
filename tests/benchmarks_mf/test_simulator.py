"""Simulator invariants, checked with the stand-in optimizers of :mod:`.standins`."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.benchmarks.multifidelity.compare import (
    best_at,
    budget_fraction_to_reach,
    regret_ratio,
    resource_saving,
    resource_to_reach,
    spent_at,
    time_to_reach,
)
from hpo_core.benchmarks.multifidelity.problems import MultiFidelityProblem, branin_mf
from hpo_core.benchmarks.multifidelity.simulator import (
    OUTCOMES,
    SimResult,
    SimulationError,
    simulate,
)
from tests.benchmarks_mf.standins import NeverStop, Promoter, RungStopper, StandInTrial

KINDS = {"never": NeverStop, "stopper": RungStopper, "promoter": Promoter}


def _factory(kind: str, made: list[NeverStop]):
    def make(problem: MultiFidelityProblem, seed: int) -> NeverStop:
        opt = KINDS[kind](problem.space, problem.max_resource, seed, problem.maximize)
        made.append(opt)
        return opt
    return make


def _run(kind: str, problem: MultiFidelityProblem, **kw) -> tuple[SimResult, NeverStop]:
    made: list[NeverStop] = []
    result = simulate(problem, _factory(kind, made), **kw)
    return result, made[0]


@pytest.fixture(scope="module")
def problem() -> MultiFidelityProblem:
    return branin_mf(max_resource=27)


def _max_concurrency(seg) -> int:
    events = sorted([(s, 1) for s in seg.start] + [(e, -1) for e in seg.end])  # ends first
    busy = peak = 0
    for _, delta in events:
        busy += delta
        peak = max(peak, busy)
    return peak


def _check_invariants(result: SimResult, opt: NeverStop, n_workers: int,
                      budget: int | None) -> None:
    seg = result.segments
    steps = seg.last_step - seg.first_step + 1
    # resource spent == steps reported == steps in the segments; within the budget
    assert result.total_resource == len(opt.log.reports) == result.n_reports == steps.sum()
    if budget is not None:
        assert result.total_resource <= budget
    # never more than n_workers busy; one worker trains one trial at a time
    assert _max_concurrency(seg) <= n_workers
    for w in np.unique(seg.worker):
        mine = np.argsort(seg.start[seg.worker == w], kind="stable")
        starts, ends = seg.start[seg.worker == w][mine], seg.end[seg.worker == w][mine]
        assert np.all(starts[1:] >= ends[:-1] - 1e-9)
    np.testing.assert_allclose(seg.end - seg.start, steps * seg.step_cost, rtol=1e-9)
    # each trial reports 1, 2, 3, ... with no gap or repeat, across resumes
    by_trial: dict[int, list[int]] = defaultdict(list)
    for tid, step, _ in opt.log.reports:
        by_trial[tid].append(step)
    for s in by_trial.values():
        assert s == list(range(1, len(s) + 1))
    # tells only at max_resource, and every told trial is a completed segment
    told = {tid for tid, _ in opt.log.tells}
    assert told == set(seg.trial[seg.outcome == OUTCOMES.index("completed")].tolist())
    assert result.counts["completed"] == len(told)
    assert result.n_trials == len({t for t, _, _ in opt.log.asks})
    # best-so-far is monotone and resource axis non-decreasing
    assert np.all(np.diff(result.final_resource) >= 0)
    assert np.all(np.diff(result.best_value) <= 0)  # branin: minimize


@given(kind=st.sampled_from(sorted(KINDS)), n_workers=st.integers(1, 12),
       budget=st.integers(1, 1500), seed=st.integers(0, 2**31))
def test_invariants_under_a_budget(problem, kind, n_workers, budget, seed) -> None:
    result, opt = _run(kind, problem, n_workers=n_workers, budget=budget, seed=seed)
    _check_invariants(result, opt, n_workers, budget)
    assert result.total_resource == budget  # a budget that runs out is used to the last step


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_invariants_with_max_trials(problem, kind) -> None:
    result, opt = _run(kind, problem, n_workers=5, max_trials=60, seed=3)
    _check_invariants(result, opt, 5, None)
    assert result.n_trials == 60
    assert result.counts["abandoned"] == 0


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_deterministic_for_a_fixed_seed(problem, kind) -> None:
    a, _ = _run(kind, problem, n_workers=7, budget=900, seed=11)
    b, _ = _run(kind, problem, n_workers=7, budget=900, seed=11)
    c, _ = _run(kind, problem, n_workers=7, budget=900, seed=12)
    for name in ("final_resource", "final_time", "final_value", "best_value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for x, y in zip(a.segments, b.segments, strict=True):
        np.testing.assert_array_equal(x, y)
    assert (a.counts, a.n_trials, a.end_time) == (b.counts, b.n_trials, b.end_time)
    assert not np.array_equal(a.final_value, c.final_value)


def test_promotion_resumes_continue_from_the_paused_step(problem) -> None:
    result, opt = _run("promoter", problem, n_workers=4, budget=2000, seed=5)
    seg = result.segments
    assert result.counts["resumed"] > 10 and result.counts["paused"] > 10
    order = np.lexsort((seg.start, seg.trial))
    last: dict[int, tuple[int, int]] = {}
    for i in order:
        tid = int(seg.trial[i])
        if tid in last:
            prev_step, prev_outcome = last[tid]
            assert prev_outcome == OUTCOMES.index("paused")
            assert seg.first_step[i] == prev_step + 1
        last[tid] = (int(seg.last_step[i]), int(seg.outcome[i]))
    # a resumed segment is trained to the resource the resume asked for
    resumed = [a for a in opt.log.asks if a[2]]
    assert resumed and all(r in (3, 9, 27) for _, r, _ in resumed)


def test_stopper_stops_and_saves_resource(problem) -> None:
    never, _ = _run("never", problem, n_workers=8, max_trials=200, seed=0)
    stopper, _ = _run("stopper", problem, n_workers=8, max_trials=200, seed=0)
    assert stopper.counts["stopped"] > 100
    assert resource_saving(stopper, never) > 0.5
    assert never.total_resource == 200 * 27


def test_report_steps_subset(problem) -> None:
    result, opt = _run("stopper", problem, n_workers=3, max_trials=50, seed=1,
                       report_steps=[1, 3, 9])
    steps = {s for _, s, _ in opt.log.reports}
    assert steps <= {1, 3, 9, 27}
    assert result.n_reports == len(opt.log.reports) < result.total_resource


class _BadResume(NeverStop):
    def ask(self) -> StandInTrial:
        return StandInTrial(99, {"x1": 0.0, "x2": 0.0}, 3, is_resume=True)


class _BadResource(NeverStop):
    def ask(self) -> StandInTrial:
        return StandInTrial(0, {"x1": 0.0, "x2": 0.0}, 1000)


@pytest.mark.parametrize("cls", [_BadResume, _BadResource])
def test_protocol_violations_raise(problem, cls) -> None:
    with pytest.raises(SimulationError):
        simulate(problem, lambda p, s: cls(p.space, p.max_resource, s), budget=10)


@pytest.mark.parametrize("kw", [{"n_workers": 0, "budget": 5}, {"budget": 0},
                                {"n_workers": 2}, {"budget": 5, "max_trials": True}])
def test_invalid_settings(problem, kw) -> None:
    with pytest.raises(SimulationError):
        simulate(problem, _factory("never", []), **kw)


def test_compare_helpers(problem) -> None:
    never, _ = _run("never", problem, n_workers=4, budget=27 * 40, seed=0)
    stopper, _ = _run("stopper", problem, n_workers=4, budget=27 * 40, seed=0)
    target = never.final_best
    spent = resource_to_reach(stopper, target)
    frac = budget_fraction_to_reach(stopper, never)
    if math.isfinite(spent):
        assert frac == spent / (27 * 40)
        assert best_at(stopper, spent) <= target
        assert time_to_reach(stopper, target) <= stopper.end_time
    assert resource_to_reach(never, target) == never.final_resource[
        int(np.argmax(never.best_value <= target))]
    assert math.isnan(best_at(never, 0))
    assert resource_to_reach(never, -1e9) == math.inf
    assert regret_ratio(problem, never, never) == 1.0
    assert spent_at(never, never.end_time) == never.total_resource
    assert spent_at(never, 0.0) == 0
    assert 0 < spent_at(never, never.end_time / 2) < never.total_resource
