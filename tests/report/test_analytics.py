"""The analytics DataFrame: columns, types, best-so-far (property test), curves, CSV, sources."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core.analytics import (
    COLUMNS,
    CURVE_COLUMNS,
    ReportError,
    analytics,
    best_so_far,
    curves,
    export_csv,
    read_run,
)
from hpo_core.tables import RunTable

from .helpers import SPACE, job_run, need, optimizer_run

need("pandas")
import pandas as pd  # noqa: E402


def test_columns_and_types_of_an_ask_tell_run(seed: int) -> None:
    opt = optimizer_run(30, seed)
    df = analytics(opt)
    params = ["lr", "depth", "act", "momentum", "batch"]
    assert list(df.columns) == [*COLUMNS[:4], *params, *COLUMNS[4:]]
    assert len(df) == 30 and df["trial_id"].tolist() == list(range(30))
    assert df["lr"].dtype == "float64" and df["momentum"].dtype == "float64"
    assert str(df["depth"].dtype) == "Int64"
    assert isinstance(df["act"].dtype, pd.CategoricalDtype)
    assert list(df["act"].cat.categories) == ["relu", "tanh", "gelu"]
    assert (df["batch"] == 64).all()
    assert df["name"].isna().all() and df["definition"].isna().all()
    assert set(df["status"]) == {"completed", "failed", "pending"}
    failed = df[df["status"] == "failed"]
    assert failed["objective"].isna().all()
    assert (failed["failure_reason"] == "CUDA out of memory").all()
    done = df[df["status"] == "completed"]
    assert done["objective"].notna().all() and done["failure_reason"].isna().all()
    assert str(df["start"].dtype) == "datetime64[ns, UTC]"
    assert (done["elapsed_s"] >= 0).all()
    assert df.loc[df["status"] == "pending", "end"].isna().all()
    assert (done["resource_used"] == 9).all() and (done["n_reports"] == 9).all()
    assert df["is_best"].sum() == 1 and opt.best is not None
    assert df.loc[df["is_best"], "trial_id"].item() == opt.best.id
    assert df.attrs["objective"] == "minimize" and df.attrs["strategy"] == "random"


def test_best_so_far_final_value_is_the_optimizers_best(seed: int) -> None:
    for objective in ("minimize", "maximize"):
        opt = optimizer_run(25, seed, objective=objective)
        df = analytics(opt)
        assert opt.best is not None
        assert df["best_so_far"].iloc[-1] == opt.best.value
        ordered = df.sort_values(["end", "trial_id"], na_position="last")["best_so_far"]
        diffs = ordered.dropna().diff().dropna()
        assert ((diffs <= 0) if objective == "minimize" else (diffs >= 0)).all()


def _reference(values: list[float | None], done: list[bool], ends: list[float | None],
               ids: list[int], maximize: bool) -> list[float]:
    """best_so_far by its definition, brute force: per trial, over the completed trials
    that come at or before it in finish order."""
    def key(i: int) -> tuple[bool, float, int]:
        return (ends[i] is None, ends[i] or 0.0, ids[i])

    out = []
    for i in range(len(values)):
        seen = [v for j, v in enumerate(values)
                if done[j] and v is not None and key(j) <= key(i)]
        out.append(math.nan if not seen else (max(seen) if maximize else min(seen)))
    return out


_trial = st.tuples(
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 20).map(float)),  # few values: ties in end times
)


@given(trials=st.lists(_trial, max_size=40), maximize=st.booleans(), data=st.data())
def test_best_so_far_matches_its_definition_in_both_directions(
        trials: list[tuple[float | None, bool, float | None]], maximize: bool,
        data: st.DataObject) -> None:
    ids = data.draw(st.permutations(list(range(len(trials)))))
    values = [v for v, _, _ in trials]
    done = [d and v is not None for v, d, _ in trials]
    ends = [e for _, _, e in trials]
    got = best_so_far(values, done, ends, ids, maximize)
    want = _reference(values, done, ends, ids, maximize)
    assert [g if not math.isnan(g) else None for g in got] == \
        [w if not math.isnan(w) else None for w in want]


@given(values=st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=30),
       maximize=st.booleans())
def test_best_so_far_of_a_real_run_follows_the_direction(values: list[float],
                                                         maximize: bool) -> None:
    from hpo_core import Optimizer

    opt = Optimizer(SPACE, "random", "maximize" if maximize else "minimize", seed=1)
    for v in values:
        opt.tell(opt.ask(), v)
    df = analytics(opt)
    running = pd.Series(values).cummax() if maximize else pd.Series(values).cummin()
    assert df["best_so_far"].tolist() == running.tolist()
    assert opt.best is not None
    assert df.loc[df["is_best"], "objective"].item() == opt.best.value


def test_stopped_trials_show_their_value_but_never_count_as_best() -> None:
    trials = [
        {"id": 0, "status": "stopped", "value": 0.1, "end": 1.0},
        {"id": 1, "status": "completed", "value": 0.5, "end": 2.0},
        {"id": 2, "status": "running", "value": None, "end": None},
    ]
    run = RunTable(trials=[{"name": None, "definition": None, "params": {}, "reason": None,
                            "start": 0.0, "resource": 3, "reports": [[1, 0.2], [3, 0.1]],
                            "metrics": {}, "objective_metric": "objective", **t}
                           for t in trials], params={}, objective="minimize", strategy="x")
    df = analytics(run)
    assert df["objective"].tolist()[:2] == [0.1, 0.5]
    assert math.isnan(df["best_so_far"][0]) and df["best_so_far"].tolist()[1:] == [0.5, 0.5]
    assert df["is_best"].tolist() == [False, True, False]
    assert df["resource"].tolist()[0] == 3 and df["resource_used"].tolist()[0] == 3


def test_curves_hold_every_reported_point(seed: int) -> None:
    opt = optimizer_run(12, seed)
    c = curves(opt)
    assert list(c.columns) == list(CURVE_COLUMNS)
    assert len(c) == sum(len(t.reports) for t in opt.trials)
    assert set(c["metric"]) == {"objective"} and c["is_objective"].all()
    first = c[c["trial_id"] == 0]
    assert first[["step", "value"]].values.tolist() == opt.trials[0].reports


def test_a_saved_optimizer_file_reads_the_same(tmp_path: Path, seed: int) -> None:
    opt = optimizer_run(15, seed, objective="maximize")
    opt.save(tmp_path / "opt.json")
    a, b = analytics(opt), analytics(tmp_path / "opt.json")
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["objective"] == "maximize"


def test_export_csv_round_trips(tmp_path: Path, seed: int) -> None:
    opt = optimizer_run(10, seed)
    export_csv(opt, tmp_path / "t.csv", curves_path=tmp_path / "c.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    df = analytics(opt)
    assert list(back.columns) == list(df.columns)
    assert back["objective"].tolist() == pytest.approx(df["objective"].tolist(), nan_ok=True)
    assert back["end"].dropna().str.endswith("Z").all()
    assert len(pd.read_csv(tmp_path / "c.csv")) == len(curves(opt))


def test_a_tuning_job_directory(tmp_path: Path) -> None:
    job = job_run(tmp_path)
    df = analytics(job.directory)
    trials = job.trials()
    assert len(df) == len(trials) == 8
    assert df["name"].tolist() == [t["TrainingJobName"] for t in trials]
    assert (df["definition"] == "default").all()
    assert {"lr", "depth", "act", "momentum"} <= set(df.columns)
    assert str(df["depth"].dtype) == "Int64" and df["lr"].dtype == "float64"
    deep = df["depth"] == 12
    assert (df.loc[deep, "status"] == "failed").all()
    assert df.loc[deep, "failure_reason"].str.contains("too deep").all()
    best = job.describe()["BestTrainingJob"]["TrainingJobName"]
    assert df.loc[df["is_best"], "name"].item() == best
    c = curves(job)  # a TuningJob object works too
    assert set(c["metric"]) == {"loss", "accuracy"}
    assert set(c.loc[c["is_objective"], "metric"]) == {"loss"}
    done = df[df["status"] == "completed"]
    assert (done["resource_used"] >= 3).all()


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ({"format": "hpo_core.bench", "version": 1, "runs": []}, "bench"),
    ({"format": "something"}, "Optimizer.save"),
    ([1, 2], "expected a JSON object"),
])
def test_unreadable_sources_raise_report_errors(tmp_path: Path, content: Any,
                                                message: str) -> None:
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(json.dumps(content))
    with pytest.raises(ReportError, match=message):
        analytics(path)


def test_a_folder_that_is_not_a_job_and_a_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not a tuning-job directory"):
        read_run(tmp_path)
    with pytest.raises(ReportError, match="got int"):
        read_run(3)


def test_a_multi_definition_space_gives_one_column_per_parameter_name() -> None:
    from hpo_core.jobs.rules import combined_space
    from hpo_core.jobs.run_table import _job_params
    from hpo_core.space import Categorical, Continuous, Integer, SearchSpace

    a = SearchSpace({"lr": Continuous(1e-4, 1e-1, "log"), "depth": Integer(1, 8)})
    b = SearchSpace({"lr": Continuous(1e-4, 1e-1, "log"), "depth": Categorical(["s", "m"])})
    params = _job_params(combined_space({"xgb": a, "mlp": b}))
    assert list(params) == ["lr", "depth"]
    assert params["lr"] == a["lr"]
    assert not isinstance(params["depth"], Integer | Categorical)  # types differ: objects


def test_a_parameter_named_like_a_column_is_prefixed() -> None:
    from hpo_core import Optimizer
    from hpo_core.space import Continuous, SearchSpace

    opt = Optimizer(SearchSpace({"status": Continuous(0.0, 1.0), "x": Continuous(0.0, 1.0)}),
                    seed=0)
    opt.tell(opt.ask(), 1.0)
    df = analytics(opt)
    assert df["status"].tolist() == ["completed"]
    assert 0.0 <= df["hp.status"].item() <= 1.0
    assert df.attrs["parameters"] == {"status": "hp.status", "x": "x"}
