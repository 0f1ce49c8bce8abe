"""Model-based new configurations for Hyperband (BOHB-style): ``sampler="bayesian"``.

Notation: levels ``L_0 < ... < L_{K-1}`` are the decision rungs of the Hyperband strategy and
``L_K = R`` (max_resource); ``d`` is ``space.dims``; ``y_t(L)`` is trial t's value at level L.

- ``y_t(L)`` is the value of t's first report at a step >= L: the value the rung table records
  at L (a report that jumps over a level is recorded there too). At ``L = R`` a completed
  trial counts with its told (final) value. Values are as reported; the direction comes from
  ``History.minimize``, exactly as for the Bayesian strategy.
- The model rung is the highest level holding at least :func:`min_rung_points` values
  (``max(d + 2, MIN_RUNG_POINTS)``, counting every trial that reached it, whatever its bracket
  or status). Counts only grow, so the model rung only moves up.
- A new configuration is drawn at random (the :class:`RandomStrategy` draw plain Hyperband
  makes) while no level has enough values, and with probability ``RANDOM_FRACTION`` (1/3, as
  BOHB) afterwards, decided by ``rng_for(seed, trial_id, "hyperband-sampler")``. Otherwise a
  :class:`BayesianStrategy` proposes it from a history of ``(params, y_t(L))`` pairs at the
  model rung ``L``; trials left below ``L`` (stopped, paused, or told early) enter with their
  last value instead (learning curves mostly improve with resource, so it is a pessimistic
  stand-in), failed ones as failed (the worst value), and running ones that have not reached
  ``L`` as pending points (sampled fantasies at full spread, ``fantasy_spread=1.0``, so
  parallel asks spread out; exact latent values once values tie, as in the Bayesian
  strategy: :mod:`hpo_core.strategies.pending`, which left hartmann6_mf, mfh6 and
  crossing_lc unchanged value for value and moved 4 of 10 mlp_digits runs, whose accuracies
  tie: 3 better, 1 worse, median the same, 8 workers, budget 40 x R; the augmented EI of tied
  values, added after that run, was not measured here). Every trial's point is
  excluded from the proposals (``History.used_keys``).
- Why the stand-ins: with the model-rung values alone, the trials the rungs stop are invisible
  to the GP, which keeps proposing into the regions it has just seen stopped. Measured with
  ``hpo bench`` (8 workers, budget 40 x R, seeds 0-4, median final regret): hartmann6_mf 0.88
  without them, 0.27 with them (0.60 with stopped trials as pending points, 0.77 as failed);
  branin_mf 0.014 without, 0.0066 with (plain Hyperband: 1.1 and 0.19).
- At most ``MAX_MODEL_POINTS`` (64) rows: the trials with a value at the model rung (the
  latest first) and then the latest stand-ins, so an ask costs the same after many stops.
- One :class:`BayesianStrategy` per model rung: its last fit (refit policy, warm start) is the
  only state beyond the history, saved as the hyperband option ``model_state``
  (``{"level": L, "warm_start": {...}}``) so a loaded Optimizer suggests what the original
  would have.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from hpo_core.errors import OptimizerError
from hpo_core.space import SearchSpace
from hpo_core.strategies.base import History, rng_for
from hpo_core.strategies.bayesian import BayesianStrategy
from hpo_core.strategies.lengthscales import LOWEST_LENGTHSCALE
from hpo_core.strategies.random import RandomStrategy
from hpo_core.trial import Trial

__all__ = ["MAX_MODEL_POINTS", "MIN_RUNG_POINTS", "RANDOM_FRACTION", "RungModelSampler",
           "min_rung_points", "model_level", "value_at"]

#: Share of new configurations drawn at random once a model exists (BOHB's ``random_fraction``).
RANDOM_FRACTION = 1.0 / 3.0
#: Fewest values a rung needs to feed the model, whatever the dimension (see min_rung_points).
MIN_RUNG_POINTS = 6
#: Most rows the GP is fit on: the model rung's values first, then the latest stand-ins
#: (without a cap a run that stops many trials fed ~250 rows to every ask: 372 s for one
#: crossing_lc run on 2 busy cores, against ~2 s for the ~80 rows of hartmann6_mf).
MAX_MODEL_POINTS = 64
#: The fantasies' spread of the rung model (option ``fantasy_spread`` of the Bayesian
#: strategy): full posterior draws, as before the single-fidelity default became "auto".
FULL_SPREAD = 1.0
#: Trials that stopped, paused or finished below a level enter the model with their last value.
_LEFT_BELOW = ("stopped", "paused", "completed")


def _capped(observed: list[Trial], level_ids: set[int], cap: int) -> list[Trial]:
    """At most ``cap`` rows for the GP: the trials with a value at the model rung first, the
    most recent first, then the most recent stand-ins; in id order."""
    if len(observed) <= cap:
        return observed
    at_level = [t for t in observed if t.id in level_ids]
    others = [t for t in observed if t.id not in level_ids]
    keep = at_level[-cap:]
    room = cap - len(keep)
    if room > 0:
        keep += others[-room:]
    return sorted(keep, key=lambda t: t.id)


def min_rung_points(dims: int) -> int:
    """``max(dims + 2, MIN_RUNG_POINTS)`` values at a level before a GP is fit on it."""
    return max(dims + 2, MIN_RUNG_POINTS)


def _step(report: list[float]) -> float:
    return report[0]


def value_at(trial: Trial, level: int, max_resource: int) -> float | None:
    """``y_t(level)``: the first report at a step >= level; at ``max_resource`` a completed
    trial's told value. None when the trial has not reached ``level``."""
    if level == max_resource and trial.status == "completed":
        return trial.value
    if trial.last_step < level:
        return None
    return float(trial.reports[bisect.bisect_left(trial.reports, float(level), key=_step)][1])


def _reached(trial: Trial, level: int, max_resource: int) -> bool:
    return trial.last_step >= level or (level == max_resource and trial.status == "completed")


def model_level(trials: Sequence[Trial], levels: Sequence[int], max_resource: int,
                dims: int) -> int | None:
    """The highest of ``levels`` (ascending, ending with max_resource) holding at least
    ``min_rung_points(dims)`` values, or None when none does."""
    need = min_rung_points(dims)
    for level in reversed(levels):
        if sum(_reached(t, level, max_resource) for t in trials) >= need:
            return level
    return None


class RungModelSampler:
    """New configurations for Hyperband from a GP on the model rung (module docstring).

    Args:
        space: the search space.
        seed: the Optimizer's seed.
        levels: the decision rung levels, ascending (max_resource is added).
        max_resource: R.
        model_state: ``{"level": int, "warm_start": {...}}`` of the last model (restored by
            ``Optimizer.load``), or None.
    """

    def __init__(self, space: SearchSpace, seed: int, levels: Sequence[int], max_resource: int,
                 model_state: dict[str, Any] | None = None) -> None:
        self._space = space
        self._seed = seed
        self._max_resource = max_resource
        self._levels = sorted({*levels, max_resource})
        self._random = RandomStrategy(space, seed)
        self._level: int | None = None
        self._model: BayesianStrategy | None = None
        if model_state is not None:
            level = model_state.get("level") if isinstance(model_state, dict) else None
            if level not in self._levels:
                raise OptimizerError(f"strategy 'hyperband': model_state must be {{'level': one "
                                     f"of {self._levels}, 'warm_start': ...}}, got "
                                     f"{model_state!r}")
            self._use_level(level, model_state.get("warm_start"))

    def _use_level(self, level: int, warm_start: dict[str, Any] | None = None) -> BayesianStrategy:
        if self._model is None or self._level != level:
            self._level = level
            # Plain log-EI, whatever the Bayesian default: the plateau margin counts repeats
            # in trial order, which the stand-ins here do not follow. The lengthscale floor
            # of the multi-fidelity measurements (0.025 everywhere) and the fantasies' spread
            # the rung model had before that option existed (1.0): the 0.1 floor of
            # continuous coordinates and the "auto" spread were measured on single-fidelity
            # problems only.
            self._model = BayesianStrategy(self._space, self._seed, n_initial=1,
                                           warm_start=warm_start, plateaus="off",
                                           min_lengthscale=LOWEST_LENGTHSCALE,
                                           fantasy_spread=FULL_SPREAD)
        return self._model

    def state(self) -> dict[str, Any] | None:
        """The ``model_state`` option: the model rung and its last fit (None before any)."""
        if self._model is None:
            return None
        return {"level": self._level, "warm_start": self._model.options()["warm_start"]}

    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        trials = history.trials
        level = model_level(trials, self._levels, self._max_resource, self._space.dims)
        if level is None or self._space.dims == 0 or (
                rng_for(self._seed, trial_id, "hyperband-sampler").random() < RANDOM_FRACTION):
            return self._random.suggest(trial_id, history)
        observed: list[Trial] = []
        pending: list[Trial] = []
        level_ids: set[int] = set()
        for t in trials:
            y = value_at(t, level, self._max_resource)
            if y is not None:
                level_ids.add(t.id)
            if y is None and t.status in _LEFT_BELOW:  # its last value stands in
                y = t.value if t.status == "completed" else float(t.reports[-1][1])
            if y is not None:
                observed.append(Trial(t.id, t.params, status="completed", value=y))
            elif t.status == "failed":  # the Bayesian strategy counts it as the worst value
                observed.append(Trial(t.id, t.params, status="failed"))
            elif t.status == "pending":
                pending.append(Trial(t.id, t.params))
        observed = _capped(observed, level_ids, MAX_MODEL_POINTS)
        at_rung = History(history.space, history.seed, history.minimize, observed + pending,
                          history.used_keys)
        return self._use_level(level).suggest(trial_id, at_rung)
