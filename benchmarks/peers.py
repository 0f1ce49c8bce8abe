"""Peer libraries for ``hpo bench``, each through its own ask/tell (imported lazily).

``optuna-tpe`` (TPESampler) and ``optuna-gp`` (GPSampler, which needs torch) take the same
space translated to Optuna distributions: log scaling maps to ``log=True``; reverse-log has no
Optuna counterpart and is searched on a linear scale; Static and fixed parameters are added to
every point as they are. A batch of q is ``study.ask()`` q times before the q tells. GPSampler
runs its acquisition restarts side by side through ``greenlet`` (in the ``peers`` extra); without
it Optuna falls back to sequential L-BFGS-B, measured 2.4x slower per ask (Branin, 30 trials).

``skopt-gp`` is scikit-optimize's ``Optimizer`` with its defaults for ``gp_minimize``: GP base
estimator (Matern + white noise, fitted in ``tell``), ``acq_func="gp_hedge"``, 10 random initial
points. The space maps the same way (``prior="log-uniform"`` for log scaling; categorical
values by index). A batch of q is one ``ask(n_points=q)`` (skopt's constant liar, ``cl_min``)
and one ``tell`` of the q results. Asked one at a time while earlier points are still pending
(``hpo bench --workers k``), skopt's ``ask`` would repeat its one cached next point, so the
session applies the same constant liar to the pending points: a copy of the optimizer told
the lowest value seen at each of them is asked. skopt has no failed state: a failed
evaluation is told as the worst value seen so far (and not told before any value was seen).

Threads: the runner's ``threadpoolctl.threadpool_limits(1)`` reaches the BLAS that Optuna and
scikit-learn call; torch keeps its own intra-op pool, so the torch-based peers set it to one
thread (:func:`one_torch_thread`), as hpo_core runs its GP on one thread.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Iterator
from typing import Any

from hpo_core.benchmarks.problems import Problem
from hpo_core.benchmarks.session import Skip
from hpo_core.space import Categorical, Continuous, Integer

__all__ = ["OptunaSession", "SkoptSession", "one_torch_thread", "optuna_session",
           "skopt_session"]


def one_torch_thread() -> None:
    """Set torch's intra-op thread pool (which threadpoolctl does not reach) to one thread."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


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
        if sampler == "gp":
            one_torch_thread()
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
        if importlib.util.find_spec("optuna") is None:
            raise Skip("optuna is not installed (extra 'peers')")
        if sampler == "gp" and importlib.util.find_spec("torch") is None:
            raise Skip("Optuna's GPSampler needs torch (extra 'torch-peers': "
                       "pip install 'hpo_core[torch-peers]')")
        return OptunaSession(problem, seed, sampler)
    return make


@contextlib.contextmanager
def _quiet_skopt() -> Iterator[None]:
    """Hide skopt's "evaluated at point ... before, using random point" notices (stderr)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The objective has been evaluated at point")
        yield


class SkoptSession:
    """A Session over ``skopt.Optimizer`` with a GP base estimator (minimizing)."""

    def __init__(self, problem: Problem, seed: int) -> None:
        import skopt
        from skopt import space as sk

        dims: list[Any] = []
        self._decoders: list[Any] = []
        self._free = [n for n, p in problem.space.params.items() if not p.is_fixed]
        for name in self._free:
            p = problem.space[name]
            if isinstance(p, Continuous | Integer):
                prior = "log-uniform" if p.effective_scaling == "log" else "uniform"
            if isinstance(p, Continuous):
                dims.append(sk.Real(p.min_value, p.max_value, prior=prior, name=name))
                self._decoders.append(float)
            elif isinstance(p, Integer):
                dims.append(sk.Integer(p.min_value, p.max_value, prior=prior, name=name))
                self._decoders.append(int)
            else:
                values = tuple(p.values)
                dims.append(sk.Categorical([str(i) for i in range(len(values))], name=name))
                self._decoders.append(lambda i, values=values: values[int(i)])
        self._opt = skopt.Optimizer(dims, base_estimator="GP", random_state=seed)
        self._space = problem.space
        self._worst: float | None = None
        self._pending: list[list[Any]] = []

    @property
    def capacity(self) -> int | None:
        return None

    def _params(self, x: list[Any]) -> dict[str, Any]:
        free = {n: dec(v) for n, dec, v in zip(self._free, self._decoders, x, strict=True)}
        return self._space.validate({**self._space.fixed_values, **free})

    def ask(self) -> tuple[Any, dict[str, Any]]:
        with _quiet_skopt():
            opt = self._opt
            if self._pending and opt.yi:
                opt = opt.copy(random_state=opt.rng)
                opt.tell(self._pending, [min(opt.yi)] * len(self._pending))
            x = opt.ask()
        self._pending.append(x)
        return x, self._params(x)

    def ask_batch(self, q: int) -> list[tuple[Any, dict[str, Any]]]:
        with _quiet_skopt():
            xs = self._opt.ask(n_points=q)
        self._pending += xs
        return [(x, self._params(x)) for x in xs]

    def _told(self, values: list[float | None]) -> list[float | None]:
        seen = [v for v in values if v is not None]
        if seen:
            self._worst = max([*seen, *([] if self._worst is None else [self._worst])])
        return [self._worst if v is None else v for v in values]

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        self.tell_batch([(token, value, reason)])

    def tell_batch(self, results: list[tuple[Any, float | None, str | None]]) -> None:
        """Tell every result of a round at once (one GP fit)."""
        for token, _, _ in results:
            self._pending = [x for x in self._pending if x is not token]
        told = self._told([v for _, v, _ in results])
        xs = [token for (token, _, _), v in zip(results, told, strict=True) if v is not None]
        ys = [v for v in told if v is not None]
        if xs:
            with _quiet_skopt():
                self._opt.tell(xs, ys)


def skopt_session(problem: Problem, seed: int) -> SkoptSession:
    if importlib.util.find_spec("skopt") is None:
        raise Skip("scikit-optimize is not installed (extra 'peers': "
                   "pip install scikit-optimize)")
    return SkoptSession(problem, seed)
