"""RungTable against the sorted-list reference, plus the ASHA invariants as properties."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from hpo_core.kernels import ReportError, RungTable, bracket_for, rung_levels
from hpo_core.kernels._asha import E_FLAGS, E_TABLE, NEXT, PROMOTED

from .reference import RefReportError, RefRungTable

N_TRIALS = 12


@st.composite
def configs(draw: st.DrawFn, max_brackets: int = 5) -> dict:
    """Small Hyperband settings: up to 4 rungs, up to max_brackets brackets, both directions."""
    eta = draw(st.integers(2, 4))
    min_resource = draw(st.integers(1, 3))
    max_resource = min_resource * eta ** draw(st.integers(0, 4)) + draw(st.integers(0, eta))
    n_rungs = len(rung_levels(min_resource, max_resource, eta))
    return {"min_resource": min_resource, "max_resource": max_resource, "eta": eta,
            "n_brackets": draw(st.integers(1, min(n_rungs + 1, max_brackets))),
            "maximize": draw(st.booleans()), "seed": draw(st.integers(0, 2**40)),
            "quota": draw(st.booleans())}


# Values from a small set make ties common; a few wide floats and infinities keep it honest.
values = st.one_of(st.integers(0, 5).map(float),
                   st.floats(-1e6, 1e6, allow_nan=False),
                   st.sampled_from([float("inf"), float("-inf")]))
_report_op = st.tuples(
    st.just("report"), st.integers(0, N_TRIALS - 1),
    st.sampled_from(["allowed"] * 4 + ["next_level", "inc1", "inc3", "repeat", "over"]), values)
# Reports dominate so that rungs fill up and promotions happen.
ops = st.lists(st.one_of(
    _report_op, _report_op, _report_op, _report_op,
    st.tuples(st.just("promote"), st.one_of(st.none(), st.integers(0, 4))),
    st.tuples(st.just("promote"), st.none()),
    st.tuples(st.just("peek"), st.one_of(st.none(), st.integers(0, 4))),
    st.tuples(st.just("retire"), st.integers(0, N_TRIALS - 1)),
    st.tuples(st.just("roundtrip"))), min_size=30, max_size=100)
# Promotion-heavy programs: rungs fill and are promoted from, few retirements.
_promote_op = st.tuples(st.just("promote"), st.none())
promotion_ops = st.lists(st.one_of(
    *[_report_op] * 10, _promote_op, _promote_op, _promote_op,
    st.tuples(st.just("peek"), st.one_of(st.none(), st.integers(0, 1))),
    st.tuples(st.just("retire"), st.integers(0, N_TRIALS - 1)),
    st.tuples(st.just("roundtrip"))), min_size=40, max_size=120)


def _step(ref: RefRungTable, t: int, how: str) -> int:
    """Choose the next step of trial t (sometimes an invalid one, on purpose)."""
    tr = ref.trials.get(t)
    last = tr.last if tr else 0
    if tr:
        allowed = tr.allowed
    else:  # where report() will start it: the first level of its hashed bracket
        b = bracket_for(ref.seed, t, ref.n_brackets, ref.eta, len(ref.levels))
        promo = ref.mode == "promotion" and b < len(ref.levels)
        allowed = ref.levels[b] if promo else ref.max_resource
    if how == "allowed":
        step = allowed
    elif how == "next_level":
        nxt = [lv for lv in ref.levels if lv > last]
        step = nxt[0] if nxt else allowed
    elif how == "repeat":
        step = max(last, 1)
    elif how == "over":
        step = allowed + 1
    else:
        step = last + (1 if how == "inc1" else 3)
    return min(max(step, 1), ref.max_resource)


def _outcome(fn: Callable[..., object], *args: object) -> tuple[str, object]:
    try:
        return ("ok", fn(*args))
    except (ReportError, RefReportError) as e:
        return ("error", e.reason)


def _promoted_within_quota(table: RungTable) -> bool:
    s = table.to_state()
    info = s["entry_info"]
    n_tables = int(info[:, E_TABLE].max()) + 1 if len(info) else 0
    n = np.bincount(info[:, E_TABLE], minlength=n_tables)
    promoted = np.bincount(info[:, E_TABLE], weights=(info[:, E_FLAGS] & PROMOTED) > 0,
                           minlength=n_tables)
    return bool(np.all(promoted <= n // table.eta))


def _run_against_reference(cfg: dict, mode: str, program: list) -> None:
    table = RungTable(**cfg, mode=mode, capacity=1)
    ref = RefRungTable(**cfg, mode=mode)
    spent = 0
    next_rung = np.zeros(N_TRIALS, dtype=np.int64)
    for op in program:
        if op[0] == "report":
            _, t, how, value = op
            step = _step(ref, t, how)
            before = ref.trials[t].last if t in ref.trials else 0
            got = _outcome(table.report, t, step, value)
            want = _outcome(ref.report, t, step, value)
            assert got == want, (op, step)
            event(f"report outcome: {got[1]}")
            if got[0] == "ok":
                spent += step - before
        elif op[0] in ("promote", "peek"):
            b = op[1] if op[1] is not None and op[1] < table.n_brackets else None
            consume = op[0] == "promote"
            if mode == "stopping":
                with pytest.raises(ValueError, match="mode='promotion'"):
                    table.next_promotion(b)
                continue
            got = (table.next_promotion(b) if consume else table.peek_promotion(b))
            event(f"{op[0]} found a trial: {got is not None}")
            assert (tuple(got) if got else None) == ref.next_promotion(b, consume), op
        elif op[0] == "retire":
            table.retire(op[1])
            ref.retire(op[1])
        else:
            table = RungTable.from_state(table.to_state())
        # invariants: resource accounted exactly, rungs only go up, promotion quota per rung
        assert table.total_resource == spent == ref.total_resource
        rungs = table.to_state()["trials"][:, NEXT]
        assert np.all(rungs >= next_rung[:len(rungs)])
        next_rung[:len(rungs)] = rungs
        if mode == "promotion" and cfg["quota"]:
            assert _promoted_within_quota(table)


@given(cfg=configs(), program=ops)
def test_stopping_mode_matches_reference(cfg: dict, program: list) -> None:
    _run_against_reference(cfg, "stopping", program)


@given(cfg=configs(), program=ops)
def test_promotion_mode_matches_reference(cfg: dict, program: list) -> None:
    _run_against_reference(cfg, "promotion", program)


@given(cfg=configs(max_brackets=2), program=promotion_ops)
def test_promotion_heavy_programs_match_reference(cfg: dict, program: list) -> None:
    _run_against_reference(cfg, "promotion", program)


@given(cfg=configs(), mode=st.sampled_from(["stopping", "promotion"]),
       reports=st.lists(st.tuples(st.integers(0, N_TRIALS - 1), st.integers(1, 30), values),
                        max_size=120))
def test_one_by_one_equals_batch(cfg: dict, mode: str, reports: list) -> None:
    """report() in a loop and report_many() give the same decisions, error and state."""
    ids = np.array([r[0] for r in reports], dtype=np.int64)
    steps = np.minimum(np.array([r[1] for r in reports], dtype=np.int64), cfg["max_resource"])
    vals = np.array([r[2] for r in reports], dtype=np.float64)
    single = RungTable(**cfg, mode=mode, capacity=1)
    decisions, err_single = [], None
    for i, (t, s, v) in enumerate(zip(ids, steps, vals, strict=True)):
        try:
            decisions.append(("continue", "stop", "pause").index(single.report(t, s, v)))
        except ReportError as e:
            err_single = (i, e.reason)
            break
    batch = RungTable(**cfg, mode=mode, capacity=1)
    try:
        got = batch.report_many(ids, steps, vals).tolist()
        err_batch = None
    except ReportError as e:
        err_batch = (e.index, e.reason)
        got = decisions  # the batch does not return partial decisions
    assert err_batch == err_single
    assert got == decisions
    a, b = single.to_state(), batch.to_state()
    for key in ("trials", "entry_key", "entry_info", "counters"):
        np.testing.assert_array_equal(a[key], b[key])


def test_known_stream_matches_optuna_rule() -> None:
    """Worked example: q = max(1, n // eta); ties with the q-th best continue."""
    table = RungTable(1, 243, 3, n_brackets=1)
    got = [table.report(i, 1, v) for i, v in enumerate([5.0, 3.0, 4.0, 1.0, 2.0, 6.0, 2.0])]
    assert got == ["continue", "continue", "stop", "continue", "stop", "stop", "continue"]


def test_promotion_cycle() -> None:
    table = RungTable(1, 9, 3, n_brackets=1, mode="promotion", maximize=True)
    assert [table.start_trial(i) for i in range(3)] == [1, 1, 1]
    assert [table.report(i, 1, v) for i, v in enumerate([0.1, 0.9, 0.5])] == ["pause"] * 3
    promo = table.next_promotion()
    assert promo is not None and promo.trial_id == 1 and promo.resource == 3
    assert table.next_promotion() is None  # floor(3 / 3) = 1 promotion out of rung 0
    assert table.report(1, 2, 0.9) == "continue"
    with pytest.raises(ReportError, match="above the resource"):
        table.report(1, 4, 0.9)
    with pytest.raises(ReportError, match="paused"):
        table.report(0, 2, 0.2)
    assert table.report(1, 3, 0.95) == "pause"


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="eta must be an integer >= 2, got 1"):
        RungTable(1, 81, 1)
    with pytest.raises(ValueError, match="mode must be"):
        RungTable(1, 81, 3, mode="pause")
    table = RungTable(1, 81, 3)
    with pytest.raises(ValueError, match=r"step must be >= 1 and <= 81, got 82"):
        table.report(0, 82, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        table.report(0, 1, float("nan"))
    with pytest.raises(ValueError, match=r"steps\[1\] must be >= 1"):
        table.report_many([0, 1], [1, 0], [1.0, 2.0])
    table.report(0, 3, 1.0)
    with pytest.raises(ReportError, match="steps must increase, got step 2 after step 3"):
        table.report(0, 2, 1.0)


def test_large_batch_matches_reference(seed: int) -> None:
    """Growth from capacity 1 to 2 * 10**4 reports across 5 brackets."""
    rng = np.random.default_rng(seed)
    n = 20_000
    ids = rng.permutation(n)
    steps = np.full(n, 81, dtype=np.int64)
    vals = rng.integers(0, 50, n).astype(float)
    table = RungTable(1, 81, 3, seed=seed, capacity=1)
    got = table.report_many(ids, steps, vals)
    ref = RefRungTable(1, 81, 3, seed=seed)
    want = [("continue", "stop").index(ref.report(int(t), 81, v)) for t, v in zip(ids, vals,
                                                                                    strict=True)]
    np.testing.assert_array_equal(got, want)
    assert table.total_resource == 81 * n


def test_batch_kernel_compiles_once() -> None:
    """Inputs of any integer / float dtype reach the kernel as int64 / float64: one signature."""
    from hpo_core.kernels import _asha

    for dtype in (np.int32, np.int64, np.uint16):
        table = RungTable(1, 27, 3)
        table.report_many(np.arange(5, dtype=dtype), np.ones(5, dtype=dtype),
                          np.arange(5, dtype=np.float32))
        table.report_many([5, 6], [1, 3], [1, 2])
    assert len(_asha._report_batch.signatures) == 1


@pytest.mark.parametrize("mode", ["stopping", "promotion"])
def test_export_import_midway_changes_nothing(mode: str, seed: int) -> None:
    """Saving and loading half way through a 6,000-report stream gives the same decisions."""
    rng = np.random.default_rng(seed)
    n = 6_000
    ids = rng.permutation(n)
    vals = rng.normal(size=n)

    def run(split: bool) -> list:
        table = RungTable(1, 27, 3, mode=mode, seed=seed, maximize=True)
        out = []
        for i, (t, v) in enumerate(zip(ids.tolist(), vals.tolist(), strict=True)):
            if split and i == n // 2:
                table = RungTable.from_state(table.to_state())
            out.append(table.report(t, table.start_trial(t), v))
            if mode == "promotion" and i % 3 == 0:
                promo = table.next_promotion()
                out.append(promo)
                if promo is not None:
                    out.append(table.report(promo.trial_id, promo.resource, v + 0.5))
        return out

    assert run(split=True) == run(split=False)
