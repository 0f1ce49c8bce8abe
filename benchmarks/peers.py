"""Peer libraries for ``hpo bench``, each through its own ask/tell (imported lazily).

``optuna-tpe`` (TPESampler) and ``optuna-gp`` (GPSampler, which needs torch) take the same
space translated to Optuna distributions: log scaling maps to ``log=True``; reverse-log has no
Optuna counterpart and is searched on a linear scale; Static and fixed parameters are added to
every point as they are. The runner's one-thread limits apply to them as to hpo_core.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from hpo_core.benchmarks.problems import Problem
from hpo_core.space import Categorical, Continuous, Integer

__all__ = ["OptunaSession"]


def _distributions(problem: Problem) -> dict[str, Any]:
    import optuna

    out: dict[str, Any] = {}
    for name, p in problem.space.params.items():
        if p.is_fixed:
            continue
        if isinstance(p, Continuous):
            out[name] = optuna.distributions.FloatDistribution(
                p.min_value, p.max_value, log=p.effective_scaling == "log")
        elif isinstance(p, Integer):
            out[name] = optuna.distributions.IntDistribution(
                p.min_value, p.max_value, log=p.effective_scaling == "log")
        elif isinstance(p, Categorical):
            out[name] = optuna.distributions.CategoricalDistribution(list(p.values))
    return out


class OptunaSession:
    """A Session over an Optuna study (minimizing) with the given sampler."""

    def __init__(self, problem: Problem, seed: int, sampler: str) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        make = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler}[sampler]
        self._study = optuna.create_study(direction="minimize", sampler=make(seed=seed))
        self._dists = _distributions(problem)
        self._fixed = problem.space.fixed_values
        self._names = problem.space.names

    @property
    def capacity(self) -> int | None:
        return None

    def ask(self) -> tuple[Any, dict[str, Any]]:
        trial = self._study.ask(self._dists)
        params = {**self._fixed, **trial.params}
        return trial, {n: params[n] for n in self._names}

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        import optuna

        if value is None:
            self._study.tell(token, state=optuna.trial.TrialState.FAIL)
        else:
            self._study.tell(token, value)


def optuna_session(sampler: str) -> Any:
    def make(problem: Problem, seed: int) -> OptunaSession:
        from hpo_core.benchmarks.strategies import Skip

        if importlib.util.find_spec("optuna") is None:
            raise Skip("optuna is not installed (extra 'peers')")
        if sampler == "gp" and importlib.util.find_spec("torch") is None:
            raise Skip("Optuna's GPSampler needs torch (pip install torch)")
        return OptunaSession(problem, seed, sampler)
    return make
