"""The strategies ``hpo bench`` can run, each behind one small ask/tell :class:`Session`.

Adding a strategy is one entry in :data:`STRATEGIES`: a :class:`StrategySpec` whose
``make(problem, seed)`` returns a Session. That holds for the hpo_core strategies (``random``,
``grid``, ``bayesian``) and for peer libraries driven through their own ask/tell
(``optuna-tpe``, ``optuna-gp``, ``skopt-gp``, ``botorch``): a peer's Session translates the
problem's :class:`~hpo_core.space.SearchSpace` into the peer's own space and imports the peer
lazily inside ``make``. A combination that does not apply (grid on a continuous box) raises
:class:`Skip` with the reason; the runner records it as skipped, not failed.

Batches (``hpo bench --batch q``): a Session may also have ``ask_batch(q)`` (q points at once,
before any of them is told: hpo_core's ``Optimizer.ask_batch``, skopt's constant liar,
BoTorch's joint qLogEI) and ``tell_batch(results)`` (all q results at once, e.g. one model fit).
Without them the runner calls ``ask`` q times, then ``tell`` q times (Optuna: ``study.ask``).
"""

from __future__ import annotations

from typing import Any

from hpo_core import Optimizer, Trial
from hpo_core.benchmarks.botorch_peer import botorch_session
from hpo_core.benchmarks.peers import optuna_session, skopt_session
from hpo_core.benchmarks.problems import Problem
from hpo_core.benchmarks.session import Session, Skip, StrategySpec
from hpo_core.space import Continuous

__all__ = ["STRATEGIES", "HpoCoreSession", "Session", "Skip", "StrategySpec", "register"]  # the
# session types are re-exported from :mod:`.session` for the runner and the tests


class HpoCoreSession:
    """A Session over :class:`hpo_core.Optimizer` (minimizing).

    Args:
        problem: the problem; its space is the Optimizer's space.
        seed: the Optimizer's seed.
        strategy: an hpo_core strategy name.
        **options: strategy options (``grid_points=k`` for grid).
    """

    def __init__(self, problem: Problem, seed: int, strategy: str, **options: Any) -> None:
        self._opt = Optimizer(problem.space, strategy, objective="minimize", seed=seed, **options)

    @property
    def capacity(self) -> int | None:
        return self._opt.capacity

    def ask(self) -> tuple[Trial, dict[str, Any]]:
        trial = self._opt.ask()
        return trial, trial.params

    def ask_batch(self, q: int) -> list[tuple[Trial, dict[str, Any]]]:
        return [(t, t.params) for t in self._opt.ask_batch(q)]

    def tell(self, token: Trial, value: float | None, reason: str | None = None) -> None:
        if value is None:
            self._opt.tell(token, failed=True, reason=reason or "evaluation failed")
        else:
            self._opt.tell(token, value)


def _random(problem: Problem, seed: int) -> Session:
    return HpoCoreSession(problem, seed, "random")


def _grid(problem: Problem, seed: int) -> Session:
    for name, param in problem.space.params.items():
        if isinstance(param, Continuous) and not param.is_fixed:
            raise Skip(f"grid needs a finite space: parameter {name!r} is Continuous")
    return HpoCoreSession(problem, seed, "grid")


#: Every strategy ``hpo bench`` can run, by name.
STRATEGIES: dict[str, StrategySpec] = {}


def register(spec: StrategySpec) -> None:
    """Add ``spec`` to :data:`STRATEGIES` (a name may be registered once)."""
    if spec.name in STRATEGIES:
        raise ValueError(f"strategy {spec.name!r} is already registered")
    STRATEGIES[spec.name] = spec


register(StrategySpec("random", _random, ("hpo_core", "numpy"),
                      "hpo_core random search (uniform in the unit cube)"))
register(StrategySpec("grid", _grid, ("hpo_core", "numpy"),
                      "hpo_core grid search (finite spaces only; first parameter slowest)"))


def _bayesian(name: str, description: str, **options: Any) -> None:
    """Register our Bayesian strategy with strategy ``options`` under ``name``."""
    register(StrategySpec(name, lambda problem, seed: HpoCoreSession(problem, seed, "bayesian",
                                                                     **options),
                          ("hpo_core", "numpy", "jax"), description))


_bayesian("bayesian", "hpo_core Bayesian optimization (JAX GP)")
_bayesian("bayesian-believer", "hpo_core Bayesian with pending trials as Kriging believers",
          pending="believer")
_bayesian("bayesian-fantasies", "hpo_core Bayesian with pending trials as sampled fantasies",
          pending="fantasies")
_bayesian("bayesian-spread1", "hpo_core Bayesian with full posterior draws as the pending "
          "trials' fantasies (fantasy_spread=1.0, the default before 2026-12-07)",
          fantasy_spread=1.0)
_bayesian("bayesian-spread05", "hpo_core Bayesian with half-spread fantasies whether or not "
          "values tie (fantasy_spread=0.5, the default of 2026-12-07)", fantasy_spread=0.5)
_bayesian("bayesian-margin", "hpo_core Bayesian with the plateau margin (option "
          "plateaus='margin')", plateaus="margin")
_bayesian("bayesian-tabu", "hpo_core Bayesian with the plateau tabu (option plateaus='tabu')",
          plateaus="tabu")
_bayesian("bayesian-ls025", "hpo_core Bayesian with every lengthscale floor at 0.025 (the "
          "model before min_lengthscale)", min_lengthscale=0.025)
# Peers: each session imports its library only when a run is made (optional extras).
register(StrategySpec("optuna-tpe", optuna_session("tpe"), ("optuna",),
                      "Optuna TPESampler through study.ask/tell", peer=True))
register(StrategySpec("optuna-gp", optuna_session("gp"), ("optuna", "torch", "greenlet"),
                      "Optuna GPSampler through study.ask/tell (needs torch)", peer=True))
register(StrategySpec("skopt-gp", skopt_session, ("scikit-optimize", "scikit-learn"),
                      "scikit-optimize Optimizer with a GP, ask/tell", peer=True))
register(StrategySpec("botorch", botorch_session, ("botorch", "gpytorch", "torch"),
                      "BoTorch SingleTaskGP + qLogEI loop (needs torch)", peer=True))

