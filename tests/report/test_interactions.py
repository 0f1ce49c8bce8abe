"""The interaction maps: pairs by importance, the kernel smoother against a brute-force
reference, blank cells far from the trials."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.analytics import read_run
from hpo_core.report.charts import dashboard
from hpo_core.report.data import importance
from hpo_core.report.interactions import (
    MIN_WEIGHT,
    _pair_rows,
    bandwidth,
    smooth,
    top_pairs,
)
from hpo_core.space import Categorical, Continuous
from hpo_core.tables import RunTable

from .helpers import REPORT_PACKAGES, need, optimizer_run

need(*REPORT_PACKAGES)


def _reference(ua: list[float], ub: list[float], y: list[float], x: float, z: float,
               categorical: tuple[bool, bool], h: float) -> tuple[float, float]:
    """The smoothed value at one point, by its definition, one trial at a time."""
    def k(d: float, cat: bool) -> float:
        return (1.0 if abs(d) < 1e-9 else 0.0) if cat else math.exp(-0.5 * (d / h) ** 2)

    num = den = 0.0
    for a, b, v in zip(ua, ub, y, strict=True):
        w = k(x - a, categorical[0]) * k(z - b, categorical[1])
        num += w * v
        den += w
    return (num / den if den > 0 else math.nan), den


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(-10, 10)),
                min_size=1, max_size=30),
       st.booleans(), st.floats(0.05, 0.3))
def test_smoother_matches_its_definition(points: list[tuple[float, float, float]],
                                         second_categorical: bool, h: float) -> None:
    ua = [p[0] for p in points]
    ub = [round(p[1] * 2) / 2 if second_categorical else p[1] for p in points]
    y = [p[2] for p in points]
    ca = np.linspace(0.05, 0.95, 5)
    cb = np.array([0.0, 0.5, 1.0]) if second_categorical else np.linspace(0.1, 0.9, 4)
    mean, weight = smooth(np.array(ua), np.array(ub), np.array(y), ca, cb,
                          (False, second_categorical), h)
    assert mean.shape == weight.shape == (5, len(cb))
    for i, x in enumerate(ca):
        for j, z in enumerate(cb):
            want, den = _reference(ua, ub, y, x, z, (False, second_categorical), h)
            assert weight[i, j] == pytest.approx(den, rel=1e-9, abs=1e-12)
            if den > 1e-12:
                assert mean[i, j] == pytest.approx(want, rel=1e-6, abs=1e-6)
                assert min(y) - 1e-9 <= mean[i, j] <= max(y) + 1e-9  # a weighted mean


def test_bandwidth_shrinks_with_trials_and_is_clipped() -> None:
    assert bandwidth(50) == pytest.approx(0.15)
    assert bandwidth(10) > bandwidth(50) > bandwidth(500)
    assert bandwidth(1) == 0.25 and bandwidth(10**9) == 0.06


def _run(n: int, seed: int) -> RunTable:
    rng = np.random.default_rng(seed)
    trials: list[dict[str, Any]] = []
    for i in range(n):
        x, z, c = float(rng.random()), float(rng.random()), str(rng.choice(["a", "b"]))
        value = (x - 0.5) * (z - 0.5) + (0.3 if c == "b" else 0.0)  # a pure interaction
        trials.append({"id": i, "name": None, "definition": None, "status": "completed",
                       "value": value, "reason": None, "start": float(i), "end": i + 0.5,
                       "resource": None, "reports": [], "metrics": {},
                       "objective_metric": "objective", "params": {"x": x, "z": z, "c": c}})
    return RunTable(trials=trials, params={"x": Continuous(0.0, 1.0), "z": Continuous(0.0, 1.0),
                                           "c": Categorical(["a", "b"])},
                    objective="minimize", strategy="random")


def test_pairs_come_from_the_most_important_parameters() -> None:
    run = _run(80, 1)
    imp = importance(run)
    assert imp[0]["parameter"] == "c"
    pairs = top_pairs(run, imp)
    assert len(pairs) == 3 and pairs[0][0] == "c"
    assert {frozenset(p) for p in pairs} == {frozenset("cx"), frozenset("cz"), frozenset("xz")}


def test_the_map_shows_the_interaction_and_leaves_far_cells_blank() -> None:
    run = _run(200, 2)
    cells, points = _pair_rows(run, "x", "z")
    assert len(points) == 200
    corner = [c["value"] for c in cells if c["x1"] <= 0.25 and c["y1"] <= 0.25]
    off = [c["value"] for c in cells if c["x1"] <= 0.25 and c["y0"] >= 0.75]
    assert np.mean(corner) > np.mean(off) + 0.05  # (x - .5)(z - .5): high on the diagonal
    # trials only in one corner: the far cells have no support and stay blank
    for t in run.trials:
        t["params"]["x"] *= 0.2
        t["params"]["z"] *= 0.2
    cells, _ = _pair_rows(run, "x", "z")
    assert cells and all(c["weight"] >= MIN_WEIGHT for c in cells)
    assert max(c["x0"] for c in cells) < 0.7 and max(c["y0"] for c in cells) < 0.7
    # a categorical axis has one cell per category
    cells, points = _pair_rows(run, "c", "x")
    assert {(c["x0"], c["a"]) for c in cells} == {(0.0, "a"), (0.5, "b")}


def test_dashboard_draws_three_interaction_maps() -> None:
    _, titles = dashboard(read_run(optimizer_run(40, 7, fail_every=9)))
    pairs = [t for t in titles if t.startswith("Interaction ")]
    assert len(pairs) == 3 and all(" \u00d7 " in t for t in pairs)
    _, titles = dashboard(read_run(optimizer_run(6, 7, fail_every=0)))  # too few: no importance
    assert not any(t.startswith("Interaction ") for t in titles)
