"""Pending trials in the Bayesian strategy: options ``pending`` and ``fantasy_spread`` (pure
Python, no model).

Every tuning job runs trials in parallel, so most asks see other trials still running. Their
rows enter the GP (:func:`hpo_core.gp.condition_on_pending`) with the hyperparameters fitted
on the observed rows; once two observed values tie, as exact values of the latent function
(see "Exact pending rows" below), before that with the fitted noise of the observed rows.

``pending="fantasies"`` (default) draws 16 joint posterior samples of their latent values (8
and their mirrors, keyed by seed and trial) and averages EI over them, each fantasy against
its own incumbent (the lowest posterior mean over every row, pending ones included: with the
incumbent of the observed rows alone the next points piled up next to a pending point
believed to improve; measured again on 2026-12-07: at q=4 every synthetic problem's median
worse, e.g. ackley10 16.8 against 8.78). ``pending="believer"`` gives every pending row its
posterior mean (no fantasies: the Kriging believer).

``fantasy_spread`` scales each fantasy's deviation from the posterior mean: 1.0 is a
posterior draw, the principled value for the batch's expected improvement, but it pushes the
points after the first towards exploration (a fantasy in which a pending point improves
lowers that fantasy's incumbent, and the neighbourhood of the best, where a finite budget
pays off, loses most). On smooth objectives 0.5 keeps the batch spread out and closer to what
the sequential search would do: on the six synthetic problems at q=4 and with 4 asynchronous
workers, 10 seeds each (benchmarks/RESULTS.md, "Fantasy spread"), 0.5 beat 1.0 in 79 of 120
seed-paired runs (sign test p = 0.00067; rosenbrock8 with 4 workers 9 of 10, 606 against
1780; 0.25 and the believer gained as much on average but less consistently). On objectives
with flat regions the exploration is what pays: on the six scikit-learn tasks at q=8 a batch
at 0.5 kept putting most of its 8 points on the incumbent's plateau (``dt_wine``, seed 0: 42
of the last 80 trials at the incumbent's value) and trailed 1.0 in mean normalized score
(0.555 against 0.630 with Optuna's samplers in the comparison; 2026-12-08). Exact ties among
observed values (12 significant digits, :func:`~hpo_core.strategies.plateaus.has_ties`) are
what marks such an objective, so the default ``"auto"`` uses 0.5 while no two observed
values tie and 1.0 once two do (:func:`auto_fantasy_spread`); a number fixes it. Any exact
repeat counts, a sentinel value that an objective returns for every broken configuration
included (failed trials do not: they have no value).

Exact pending rows (2026-12-08): a fantasy is a draw of what the objective is at the
pending points, so under it the model knows those values; a candidate on a pending point then
adds nothing to the round and one next to it little, which is what the batch's expected
improvement says. With the fitted noise on the pending rows, as before, a fit that reads an
objective as noisy keeps most of a pending point's variance and scores every point of a
round as if the others did not exist: ``svm_breast`` (an error rate in steps of one example,
whose fit reads the steps as noise, 0.03-0.2 of the standardized variance) at q=8, seed 7,
sent 80 of its last 88 trials to one corner of the box (C = 1000, gamma = 1e-4, 8-9 errors),
differing only in ``tol``, and ended at 0.0176; with exact rows its rounds spread out and it
ended at 0.0132. Exact rows everywhere lost on smooth problems, where the fitted noise is a
nugget of 1e-6 - 1e-5 and lets the points of a round sit close together near the optimum:
``hartmann6`` at q=4 ended worse in 23 of 30 seeds (median 1.05e-4 against 4.77e-5 over seeds
10-29); capping the pending rows' noise at 1e-3 of the signal variance left the smooth runs
unchanged but helped ``svm_breast`` less (0.0132 reached in 10 of 30 runs, against 17 with
exact rows and 7 before), since the latent variance at a well-sampled spot is already below
such a cap. So exact rows follow the same mark as the spread: observed values that
tie (:func:`~hpo_core.strategies.plateaus.has_ties`), where repeated values say that the
fitted noise is the model's misfit of steps and plateaus, not noise of the evaluations. The
measurements: benchmarks/RESULTS.md, "Exact pending rows".
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_FANTASY_SPREAD", "PENDING_METHODS", "SMOOTH_SPREAD", "TIED_SPREAD",
           "auto_fantasy_spread", "is_auto"]

#: How pending trials enter the model (option ``pending``).
PENDING_METHODS = ("fantasies", "believer")
#: Default of option ``fantasy_spread``: the spread follows the observed values
#: (:func:`auto_fantasy_spread`).
DEFAULT_FANTASY_SPREAD = "auto"
#: ``"auto"``: the fantasies' deviations from the posterior mean while no two observed values
#: tie (half those of posterior draws) ...
SMOOTH_SPREAD = 0.5
#: ... and once two do (the objective has flat regions): full posterior draws.
TIED_SPREAD = 1.0


def is_auto(fantasy_spread: Any) -> bool:
    """Whether a ``fantasy_spread`` value is the string ``"auto"`` (not an array holding it)."""
    return isinstance(fantasy_spread, str) and fantasy_spread == "auto"


def auto_fantasy_spread(tied: bool) -> float:
    """The spread of ``fantasy_spread="auto"``: :data:`TIED_SPREAD` when observed values tie
    (:func:`hpo_core.strategies.plateaus.has_ties`), else :data:`SMOOTH_SPREAD`."""
    return TIED_SPREAD if tied else SMOOTH_SPREAD
