"""python -m hpo_core.benchmarks.gp_compare: our GP and Optuna's on the same rows."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

from hpo_core.benchmarks import gp_compare
from hpo_core.benchmarks.problems import PROBLEMS
from hpo_core.errors import HPOError


def test_history_is_the_strategy_run_and_refuses_categorical_spaces() -> None:
    x, y = gp_compare.history(PROBLEMS["branin"], 0, 8)
    assert x.shape == (8, 2) and y.shape == (8,)
    assert np.all((x >= 0) & (x <= 1))
    again, _ = gp_compare.history(PROBLEMS["branin"], 0, 8)
    assert np.array_equal(x, again)  # the seed fixes the rows
    with pytest.raises(HPOError, match="'mixed' has categorical parameters"):
        gp_compare.history(PROBLEMS["mixed"], 0, 8)


def test_our_fit_predicts_a_smooth_function_and_the_floor_is_the_strategy_option() -> None:
    problem = PROBLEMS["branin"]
    x, y = gp_compare.history(problem, 1, 20)
    _, mean, hyper = gp_compare.fit_ours(problem, x, y, 0.1)
    sets = gp_compare.test_sets(x, y, m=200)
    truth = np.array([problem(problem.space.decode(u)) for u in sets["uniform"]])
    rho = np.corrcoef(np.argsort(np.argsort(mean(sets["uniform"]))),
                      np.argsort(np.argsort(truth)))[0, 1]
    assert rho > 0.8  # Branin after 20 trials: the model ranks it well
    assert np.all(hyper["lengthscales"] >= 0.1) and hyper["noise"] > 0
    _, _, high = gp_compare.fit_ours(problem, x, y, 0.9)
    assert np.all(high["lengthscales"] >= 0.9)


def test_a_changed_optuna_posterior_falls_back_to_our_model(monkeypatch) -> None:
    def changed(x, y):
        def mean(u):
            raise TypeError("posterior() got an unexpected keyword argument")
        return "optuna GPSampler", mean, {}

    monkeypatch.setattr(gp_compare, "fit_optuna", changed)
    text = gp_compare.compare(PROBLEMS["branin"], 0, 10, 0.1)
    assert "Optuna's GP not compared: TypeError" in text and "| ours (floor 0.1) |" in text


def test_the_report_falls_back_to_our_model_when_optuna_is_missing(monkeypatch) -> None:
    def missing(x, y):
        raise ImportError("No module named 'optuna'")

    monkeypatch.setattr(gp_compare, "fit_optuna", missing)
    text = gp_compare.compare(PROBLEMS["branin"], 0, 10, 0.1)
    assert "| ours (floor 0.1) |" in text and "optuna GPSampler |" not in text
    assert "Optuna's GP not compared: ImportError" in text


@pytest.mark.skipif(importlib.util.find_spec("optuna") is None
                    or importlib.util.find_spec("torch") is None,
                    reason="optuna and torch (extras 'peers', 'torch-peers') not installed")
def test_the_report_compares_with_optunas_gp(capsys) -> None:
    assert gp_compare.main(["branin", "--trials", "12"]) == 0
    out = capsys.readouterr().out
    assert "| ours (floor 0.1) |" in out and "| optuna GPSampler |" in out
    assert "| ours (floor 0.1), Optuna's hyperparameters |" in out
    assert "Optuna's GP not compared" not in out
    problem = PROBLEMS["branin"]
    x, y = gp_compare.history(problem, 1, 20)
    _, mean, hyper = gp_compare.fit_optuna(x, y)
    u = gp_compare.test_sets(x, y, m=200)["uniform"]
    truth = np.array([problem(problem.space.decode(r)) for r in u])
    rho = np.corrcoef(np.argsort(np.argsort(mean(u))), np.argsort(np.argsort(truth)))[0, 1]
    assert rho > 0.8  # on the objective's own orientation, as ours
    assert hyper["lengthscales"].shape == (2,) and hyper["noise"] > 0
    _, plugged, used = gp_compare.fit_ours(problem, x, y, 0.1, hyper)
    assert np.allclose(used["lengthscales"], np.maximum(hyper["lengthscales"], 0.1))
    assert used["signal"] == pytest.approx(hyper["signal"])
    assert used["noise"] == pytest.approx(hyper["noise"])
    own = np.argsort(np.argsort(plugged(u)))
    assert np.corrcoef(own, np.argsort(np.argsort(truth)))[0, 1] > 0.8


@pytest.mark.parametrize("argv, message", [
    (["nope"], "problem: expected one of"),
    (["mixed"], r"problem: expected one of .*\(numeric spaces\), got 'mixed'"),
    (["branin", "--trials", "2"], "--trials: expected an int >= 3, got 2"),
    (["branin", "--floor", "0"], r"--floor: expected a number in \(0, 1\], got 0.0"),
])
def test_bad_arguments_name_the_field(argv, message, capsys) -> None:
    with pytest.raises(SystemExit):
        gp_compare.main(argv)
    assert re.search(message, capsys.readouterr().err)
