"""Hyperband: asynchronous successive halving across Hyperband brackets (as AMT's Hyperband).

New configurations are drawn at random (as AMT does) or, with ``sampler="bayesian"``, proposed
by a GP fit on the highest rung with enough values (BOHB-style, :mod:`.rung_model`); the numba
rung tables of :mod:`hpo_core.kernels` decide, for every report, whether a trial goes on.

    Optimizer(space, strategy="hyperband", objective="maximize", seed=0,
              min_resource=1, max_resource=81, eta=3, mode="stopping")

- ``mode="stopping"``: ``trial.resource`` is max_resource; at each rung level of its bracket
  (min_resource * eta^k) a trial goes on only if its value is among the best 1/eta recorded at
  that rung; otherwise ``report`` says ``"stop"``.
- ``mode="promotion"``: ``trial.resource`` is the rung to pause at; ``report`` at that step says
  ``"pause"`` and the trial waits; a later ``ask`` may resume it (same id,
  ``trial.is_resume``) with the next rung as its resource.
- ``max_resource`` may name a fixed integer hyperparameter of the space (e.g. ``"epochs"``), as
  AMT reads it from a static hyperparameter.
- The bracket of a trial is a deterministic hash of (seed, trial id) weighted as in Hyperband
  (or by ``bracket_weights``, one weight per bracket in use), so independent workers agree.
  ``uniform_share=u`` mixes Hyperband's weights with the uniform ones,
  ``(1 - u) w_b + u / n_brackets``: more trials in the brackets that stop little (measured on
  the crossing learning curves, where the first rungs rank the final best trials low).
- ``sampler="bayesian"``: new configurations come from a GP on the highest rung level (or
  max_resource) holding at least ``max(dims + 2, 6)`` values (trials left below it enter with
  their last value); at random before that and for a third of them after (BOHB's random
  fraction). Resumes (promotion mode) are not new configurations and are unaffected.
"""

from __future__ import annotations

import bisect
from typing import Any

from hpo_core.errors import OptimizerError
from hpo_core.kernels import RungTable, bracket_probabilities, rung_levels
from hpo_core.space import SearchSpace
from hpo_core.strategies.base import History
from hpo_core.strategies.random import RandomStrategy
from hpo_core.strategies.rung_model import RungModelSampler

MODES = ("stopping", "promotion")
SAMPLERS = ("random", "bayesian")


def _resolve_max_resource(space: SearchSpace, value: Any) -> int:
    if isinstance(value, str):
        if value not in space.fixed_values:
            raise OptimizerError(
                f"strategy 'hyperband': max_resource={value!r} must name a fixed (static) "
                f"integer hyperparameter of the space; fixed ones: {sorted(space.fixed_values)}")
        value = space.fixed_values[value]
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptimizerError(f"strategy 'hyperband': max_resource must be an int >= 1 (or the "
                             f"name of a static int hyperparameter), got {value!r}")
    return value


def _int_option(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OptimizerError(f"strategy 'hyperband': {name} must be an int >= {minimum}, "
                             f"got {value!r}")
    return value


def _mixed_weights(min_resource: int, max_resource: int, eta: int, n_brackets: int | None,
                   share: float) -> list[float]:
    """``(1 - share) * Hyperband's weights + share / n_brackets``: a floor under the brackets
    that stop little, so slow starters keep a chance."""
    n_rungs = len(rung_levels(min_resource, max_resource, eta))
    nb = n_rungs + 1 if n_brackets is None else n_brackets
    hb = bracket_probabilities(nb, eta, n_rungs)
    return [float(w) for w in (1.0 - share) * hb + share / nb]


class HyperbandStrategy:
    """Random or model-based configurations, ASHA decisions in Hyperband brackets (also the
    stopper)."""

    name = "hyperband"
    multi_fidelity = True

    def __init__(self, space: SearchSpace, seed: int, *, max_resource: int | str | None = None,
                 min_resource: int = 1, eta: int = 3, mode: str = "stopping",
                 n_brackets: int | None = None, sampler: str = "random",
                 model_state: dict[str, Any] | None = None,
                 bracket_weights: list[float] | None = None,
                 uniform_share: float = 0.0) -> None:
        if max_resource is None:
            raise OptimizerError("strategy 'hyperband': max_resource is required (an int, or "
                                 "the name of a static int hyperparameter such as 'epochs')")
        self._options: dict[str, Any] = {
            "max_resource": max_resource, "min_resource": min_resource, "eta": eta, "mode": mode,
            "n_brackets": n_brackets, "sampler": sampler}
        if bracket_weights is not None:
            self._options["bracket_weights"] = bracket_weights
        if uniform_share:
            self._options["uniform_share"] = uniform_share
        self.max_resource = _resolve_max_resource(space, max_resource)
        self.min_resource = _int_option("min_resource", min_resource, 1)
        if self.min_resource > self.max_resource:
            raise OptimizerError(f"strategy 'hyperband': min_resource ({min_resource}) must be "
                                 f"<= max_resource ({self.max_resource})")
        self.eta = _int_option("eta", eta, 2)
        if mode not in MODES:
            raise OptimizerError(f"strategy 'hyperband': mode must be one of {MODES}, "
                                 f"got {mode!r}")
        self.mode = mode
        if sampler not in SAMPLERS:
            raise OptimizerError(f"strategy 'hyperband': sampler must be one of {SAMPLERS}, "
                                 f"got {sampler!r}")
        if model_state is not None and sampler != "bayesian":
            raise OptimizerError(f"strategy 'hyperband': model_state goes with "
                                 f"sampler='bayesian', got sampler={sampler!r}")
        if isinstance(uniform_share, bool) or not isinstance(uniform_share, int | float) or not (
                0.0 <= uniform_share <= 1.0):
            raise OptimizerError(f"strategy 'hyperband': uniform_share must be a number in "
                                 f"[0, 1], got {uniform_share!r}")
        if uniform_share and bracket_weights is not None:
            raise OptimizerError("strategy 'hyperband': give bracket_weights or uniform_share, "
                                 "not both")
        try:
            if uniform_share:
                bracket_weights = _mixed_weights(self.min_resource, self.max_resource,
                                                 self.eta, n_brackets, float(uniform_share))
            self._table = RungTable(self.min_resource, self.max_resource, self.eta,
                                    n_brackets=n_brackets, mode=mode, seed=seed,
                                    bracket_weights=bracket_weights)
        except ValueError as e:
            raise OptimizerError(f"strategy 'hyperband': {e}") from e
        self._levels = [int(x) for x in self._table.levels]
        self._random = RandomStrategy(space, seed)
        self._model = None if sampler == "random" else RungModelSampler(
            space, seed, self._levels, self.max_resource, model_state)

    @property
    def size(self) -> int | None:
        return self._random.size

    @property
    def rung_levels(self) -> list[int]:
        """Decision rung levels min_resource * eta^k below max_resource."""
        return [int(x) for x in self._table.levels]

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = dict(self._options)
        if self._model is not None:
            options["model_state"] = self._model.state()
        return options

    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        if self._model is not None:
            return self._model.suggest(trial_id, history)
        return self._random.suggest(trial_id, history)

    # ---- the stopper interface (hpo_core.strategies.stopping.Stopper)
    def start_resource(self, trial_id: int) -> int:
        if self.mode == "stopping":  # the table registers the trial at its first report
            return self.max_resource
        return self._table.start_trial(trial_id)

    def observe(self, trial_id: int, step: int, loss: float, last_step: int = -1) -> str:
        """The kernel's decision; a report that crosses no rung level (nor the pause level)
        cannot change a decision, so it skips the kernel when ``last_step`` is given."""
        if last_step >= 0 and step < self.max_resource:
            i = bisect.bisect_right(self._levels, last_step)
            if i == len(self._levels) or self._levels[i] > step:
                return "continue"
        return self._table.report(trial_id, step, loss)

    def observe_many(self, trial_ids: list[int], steps: list[int], losses: list[float]) -> None:
        self._table.report_many(trial_ids, steps, losses)

    def promote(self) -> tuple[int, int] | None:
        if self.mode != "promotion":
            return None
        p = self._table.next_promotion()
        return None if p is None else (p.trial_id, p.resource)

    def mark_promoted(self, trial_id: int, resource: int) -> None:
        p = self._table.next_promotion()
        if p is None or (p.trial_id, p.resource) != (trial_id, resource):
            raise ValueError(f"replayed promotion differs: saved ({trial_id}, {resource}), "
                             f"rebuilt {p}")

    def retire(self, trial_id: int) -> None:
        self._table.retire(trial_id)
