"""Multi-fidelity peers inside the simulator, each through its own library's API (lazy imports).

Every peer is a :class:`~.simulator.MultiFidelityOptimizer` (``ask`` / ``report`` / ``tell``)
built by ``make(problem, seed)``, so :func:`~.simulator.simulate` runs it exactly as it runs
:class:`hpo_core.Optimizer`: k workers, the problem's step costs, the peer asked whenever a
worker frees up, a report after every step.

``optuna-tpe-hyperband``
    ``optuna.create_study(sampler=TPESampler(seed=seed), pruner=HyperbandPruner(min_resource=1,
    max_resource=R, reduction_factor=3))`` through ``study.ask`` / ``trial.report`` /
    ``trial.should_prune`` / ``study.tell`` (a pruned trial is told ``TrialState.PRUNED``, as
    Optuna's own loop does). The sampler sees only the trials of the new trial's bracket
    (Optuna's HyperbandPruner does that itself). The study is named after the problem and the
    seed: the pruner hashes the name into each trial's bracket, and Optuna's default name is
    a random UUID, so unnamed studies did not repeat.
``synetune-asha``, ``synetune-bohb``
    Syne Tune's ``ASHA`` and ``BOHB`` schedulers (``grace_period=1, reduction_factor=3``, their
    default one bracket, ``max_t=R``) through the scheduler API the Syne Tune ``Tuner`` uses:
    ``suggest`` -> ``on_trial_add``; every step ``on_trial_result`` (``STOP`` ->
    ``on_trial_remove``); a trial at ``max_t`` is stopped by the scheduler, as in the Tuner.
    Some of Syne Tune's draws use numpy's global generator, so the adapter seeds it with the
    run's seed (runs are sequential in the simulator, so nothing else draws from it between).
    BOHB's KDE searcher can propose a value just outside a log-integer range (batch_size 13 for
    ``lograndint(16, 256)``); the adapter clips numeric values into their range.
    Syne Tune 0.16 has no MOBSTER / Hyper-Tune any more (they went with its GP code); the
    releases that have them pin numpy < 1.27, which jax here cannot use.

Spaces: Continuous -> uniform / loguniform (reverse-log has no counterpart in either library
and is searched on a linear scale), Integer -> randint / lograndint (Optuna: IntDistribution
with ``log``), Categorical -> choice; fixed parameters are added to every point as they are.

Threads: numpy's BLAS is limited by the caller (``hpo bench`` runs every simulation inside
``threadpoolctl.threadpool_limits(1)``); neither library starts threads of its own here.
"""

from __future__ import annotations

import datetime
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_core.benchmarks.multifidelity.base import MultiFidelityProblem
from hpo_core.benchmarks.session import Skip
from hpo_core.space import Categorical, Continuous, Integer

__all__ = ["MF_PEERS", "OptunaHyperband", "PeerTrial", "SyneTuneScheduler", "require"]

_EXTRA = "pip install 'hpo_core[mf-peers]'"


def require(module: str, distribution: str) -> None:
    """Raise :class:`Skip` naming the extra when ``module`` is not importable."""
    if importlib.util.find_spec(module) is None:
        raise Skip(f"{distribution} is not installed (extra 'mf-peers': {_EXTRA})")


@dataclass(eq=False)
class PeerTrial:
    """A trial the simulator trains: ``id``, ``params`` (fixed ones included) and the peer's
    own handle."""

    id: int
    params: dict[str, Any]
    handle: Any = field(repr=False, default=None)
    done: bool = False


# ---------------------------------------------------------------------------------- optuna

class OptunaHyperband:
    """Optuna TPESampler + HyperbandPruner (module docstring)."""

    def __init__(self, problem: MultiFidelityProblem, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        pruner = optuna.pruners.HyperbandPruner(min_resource=1,
                                                max_resource=problem.max_resource,
                                                reduction_factor=3)
        # HyperbandPruner draws a trial's bracket from crc32(study name, trial number): a fixed
        # name (Optuna's default is a random UUID) makes a run a function of its seed
        self._study = optuna.create_study(
            study_name=f"hpo-bench-{problem.name}-seed{seed}", direction=problem.objective,
            sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
        self._dists = _optuna_distributions(problem)
        self._fixed = dict(problem.space.fixed_values)
        self._n = 0

    def ask(self) -> PeerTrial:
        trial = self._study.ask(self._dists)
        self._n += 1
        return PeerTrial(self._n - 1, {**self._fixed, **trial.params}, trial)

    def report(self, trial: PeerTrial, step: int, value: float) -> str:
        handle = trial.handle
        handle.report(value, step)
        if handle.should_prune():
            self._study.tell(handle, state=self._optuna.trial.TrialState.PRUNED)
            trial.done = True
            return "stop"
        return "continue"

    def tell(self, trial: PeerTrial, value: float | None = None) -> None:
        if not trial.done:
            trial.done = True
            self._study.tell(trial.handle, value)


def _translate(problem: MultiFidelityProblem, real: Callable[[float, float, bool], Any],
               integer: Callable[[int, int, bool], Any],
               choice: Callable[[list[Any]], Any]) -> dict[str, Any]:
    """The problem's free parameters in a peer's terms: ``real(low, high, log)``,
    ``integer(low, high, log)``, ``choice(values)``."""
    out: dict[str, Any] = {}
    for name, p in problem.space.params.items():
        if p.is_fixed:
            continue
        log = getattr(p, "effective_scaling", "linear") == "log"
        if isinstance(p, Continuous):
            out[name] = real(p.min_value, p.max_value, log)
        elif isinstance(p, Integer):
            out[name] = integer(p.min_value, p.max_value, log)
        elif isinstance(p, Categorical):
            out[name] = choice(list(p.values))
    return out


def _optuna_distributions(problem: MultiFidelityProblem) -> dict[str, Any]:
    from optuna import distributions as d

    return _translate(problem, lambda lo, hi, log: d.FloatDistribution(lo, hi, log=log),
                      lambda lo, hi, log: d.IntDistribution(lo, hi, log=log),
                      d.CategoricalDistribution)


# ------------------------------------------------------------------------------- syne tune

_METRIC, _TIME = "objective", "epoch"


class SyneTuneScheduler:
    """A Syne Tune scheduler (``ASHA`` or ``BOHB``) driven as its Tuner drives it."""

    def __init__(self, problem: MultiFidelityProblem, seed: int, method: str) -> None:
        from syne_tune.optimizer import baselines

        make = {"asha": baselines.ASHA, "bohb": baselines.BOHB}[method]
        # Some of Syne Tune's draws (KDE searcher before its model, bracket choice) use numpy's
        # global generator; seeding it makes a run a function of its seed, as for the others.
        np.random.seed(seed % 2**32)
        self._scheduler = make(_syne_space(problem), metric=_METRIC, time_attr=_TIME,
                               max_t=problem.max_resource,
                               do_minimize=problem.objective == "minimize",
                               random_seed=seed, grace_period=1, reduction_factor=3)
        self._max_t = problem.max_resource
        self._fixed = dict(problem.space.fixed_values)
        self._names = set(problem.space.params)
        self._params = problem.space.params
        self._n = 0
        self._t0 = datetime.datetime(2000, 1, 1)

    def ask(self) -> PeerTrial:
        from syne_tune.backend.trial_status import Trial

        suggestion = self._scheduler.suggest()
        if suggestion is None or suggestion.config is None:
            raise RuntimeError("the Syne Tune scheduler suggested no new configuration")
        trial = Trial(trial_id=self._n, config=dict(suggestion.config),
                      creation_time=self._t0)
        self._n += 1
        self._scheduler.on_trial_add(trial)
        params = {**self._fixed, **{k: self._clip(k, v) for k, v in trial.config.items()
                                    if k in self._names}}
        return PeerTrial(trial.trial_id, params, trial)

    def _clip(self, name: str, value: Any) -> Any:
        """A numeric value inside its range (Syne Tune 0.16's KDE searcher proposed
        ``batch_size=13`` for ``lograndint(16, 256)`` on mlp_digits, seed 5)."""
        p = self._params[name]
        if isinstance(p, Continuous | Integer):
            return type(value)(min(max(value, p.min_value), p.max_value))
        return value

    def report(self, trial: PeerTrial, step: int, value: float) -> str:
        decision = self._scheduler.on_trial_result(trial.handle, {_METRIC: value, _TIME: step})
        if decision == "STOP":
            self._scheduler.on_trial_remove(trial.handle)
            trial.done = True
            return "stop" if step < self._max_t else "continue"
        return "continue"

    def tell(self, trial: PeerTrial, value: float | None = None) -> None:
        if not trial.done:  # a trial at max_t was already stopped (and removed) by ASHA
            trial.done = True
            self._scheduler.on_trial_complete(trial.handle, {_METRIC: value,
                                                             _TIME: self._max_t})


def _syne_space(problem: MultiFidelityProblem) -> dict[str, Any]:
    from syne_tune import config_space as cs

    return _translate(problem, lambda lo, hi, log: (cs.loguniform if log else cs.uniform)(lo, hi),
                      lambda lo, hi, log: (cs.lograndint if log else cs.randint)(lo, hi),
                      cs.choice)


# -------------------------------------------------------------------------------- registry

def _optuna(problem: MultiFidelityProblem, seed: int) -> OptunaHyperband:
    require("optuna", "optuna")
    return OptunaHyperband(problem, seed)


def _syne(method: str) -> Callable[[MultiFidelityProblem, int], SyneTuneScheduler]:
    def make(problem: MultiFidelityProblem, seed: int) -> SyneTuneScheduler:
        require("syne_tune", "syne-tune")
        return SyneTuneScheduler(problem, seed, method)
    return make


#: name -> (make(problem, seed), distributions whose versions are recorded, one line)
MF_PEERS: dict[str, tuple[Callable[[MultiFidelityProblem, int], Any], tuple[str, ...], str]] = {
    "optuna-tpe-hyperband": (_optuna, ("optuna",),
                             "Optuna TPESampler + HyperbandPruner (ask/report/tell)"),
    "synetune-asha": (_syne("asha"), ("syne-tune",),
                      "Syne Tune ASHA scheduler (suggest/on_trial_result)"),
    "synetune-bohb": (_syne("bohb"), ("syne-tune",),
                      "Syne Tune BOHB scheduler (ASHA + KDE searcher)"),
}
