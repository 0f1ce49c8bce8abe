"""Maximize an acquisition over the unit cube with numeric, integer and categorical coordinates.

Notation:
    d            cube dimensions
    M            pool size: scrambled Sobol points plus perturbations of the best observations
    S            starts refined (the best of the pool)
    J, V         swept coordinates and the most values any of them has
    levels       ``(J, V)`` allowed cube values of each swept coordinate (cell centres)
    level_ok     ``(J, V)`` which entries of ``levels`` are real (the rest is padding)
    sweep_dims   ``(J,)`` the coordinate each row of ``levels`` belongs to
    moving       ``(d,)`` coordinates moved by the gradient (numeric ones, and integers with
                 too many values to sweep, which the caller snaps after decoding)

Procedure (one compiled call): evaluate the acquisition on the pool with swept coordinates
snapped to their nearest level; take the ``S`` best as starts, the last of them replaced by
the best observed row itself (as Optuna's GPSampler does: one local search always starts at
the incumbent, so the search keeps refining it however the pool fell); then ``rounds`` times:
refine the moving coordinates with box-constrained L-BFGS (all starts side by side), and sweep every
swept coordinate exactly (each start tries every value of the coordinate and keeps the best;
coordinates in turn). Never relax-and-round: a swept coordinate only ever holds a real value.
Returns the refined starts followed by the best pool points, best first, so the caller can skip
points that decode to an observed or pending trial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from hpo_core.gp import lbfgs
from hpo_core.gp.acquisition import log_ei, ucb
from hpo_core.gp.covariance import matern52, scaled_sq_dist
from hpo_core.gp.model import GPState, posterior_fantasies
from hpo_core.gp.sobol import sobol_unit
from hpo_core.gp.tracing import entry_point, serializable

__all__ = ["AcqConfig", "CubeSpec", "acquisition_values", "incumbent", "optimize_acquisition"]

_PERTURB_SCALES = (0.02, 0.1)
#: Plateau tabu: a tied row's ball reaches this fraction of the way to its nearest tie, and
#: the penalty is ``log sigmoid(_TABU_SHARPNESS * (r2 / radius2 - 1))``.
_PLATEAU_REACH = 0.5
_TABU_SHARPNESS = 8.0


@serializable
class CubeSpec(NamedTuple):
    """What each coordinate of the cube may take (see the module notation)."""

    moving: jax.Array  # (d,) bool
    sweep_dims: jax.Array  # (J,) int
    levels: jax.Array  # (J, V)
    level_ok: jax.Array  # (J, V) bool


@serializable
class AcqConfig(NamedTuple):
    """Acquisition settings (array leaves: changing a value does not recompile)."""

    use_ucb: jax.Array  # () bool: UCB instead of log-EI
    beta: jax.Array  # () UCB exploration weight
    max_iter: jax.Array  # () L-BFGS iterations per refinement round
    #: () log-EI counts improvement below the incumbent minus this margin (in units of the
    #: warped, standardized targets): 0 is plain log-EI; UCB ignores it.
    margin: jax.Array | float = 0.0
    #: () bool: augmented EI (Huang et al. 2006), log-EI plus ``log(1 - sqrt(noise /
    #: (var + noise)))``: a point whose predictive variance is mostly observation noise (a
    #: well-sampled spot of a fit that reads steps as noise) loses its EI; UCB ignores it.
    augmented: jax.Array | bool = False


def incumbent(state: GPState) -> jax.Array:
    """The EI reference of each fantasy ``(F,)``: the lowest posterior mean over the rows in the
    model, pending ones included (with the believer rows left out, a pending point whose mean
    is below the observed best looked like a sure improvement, and the next suggestions of a
    batch piled up next to it)."""
    r2 = scaled_sq_dist(state.x, state.x, state.ls, state.levels, same=True)  # (N, N)
    cross = jnp.where(state.mask[None, :], state.signal * matern52(r2), 0.0)
    means = cross @ (state.alpha[:, None] + state.fantasy)  # (N, F)
    return jnp.min(jnp.where(state.mask[:, None], means, jnp.inf), axis=0)


def plateau_radii(state: GPState, ties: jax.Array) -> jax.Array:
    """``(N,)`` squared radius (scaled distance, as the kernel sees it) of the plateau around
    each row: a row whose value ``ties`` (group id ``>= 0``) ties another row's lies on a
    plateau reaching at least half way to its nearest tie; 0 for rows without a tie."""
    r2 = scaled_sq_dist(state.x, state.x, state.ls, state.levels, same=True)  # (N, N)
    n = ties.shape[0]
    same = (ties[:, None] == ties[None, :]) & (ties[:, None] >= 0) & ~jnp.eye(n, dtype=bool)
    nearest = jnp.min(jnp.where(same, r2, jnp.inf), axis=1)
    return jnp.where(jnp.isfinite(nearest), _PLATEAU_REACH**2 * nearest, 0.0)


def acquisition_values(state: GPState, x: jax.Array, best: jax.Array, config: AcqConfig,
                       plateau_r2: jax.Array | None = None) -> jax.Array:
    """Scores (to maximize) at ``x`` ``(m, d)``: ``(m,)``; log-EI is averaged over the
    fantasies of the pending rows (``log mean_f EI_f``; one term without pending rows).
    With ``plateau_r2`` (:func:`plateau_radii`) a soft tabu on the plateaus: each row's ball
    adds ``log sigmoid(8 (r2 / radius2 - 1))`` (-8 at the row, -0.7 on the rim, ~0 beyond)."""
    means, var = posterior_fantasies(state, x)  # (m, F), (m,)
    per = log_ei(means, var[:, None], best[None, :])
    ei = jax.scipy.special.logsumexp(per, axis=1) - jnp.log(per.shape[1])
    ei = jnp.where(config.augmented,
                   ei + jnp.log1p(-jnp.sqrt(state.noise / (var + state.noise))), ei)
    score = jnp.where(config.use_ucb, ucb(jnp.mean(means, axis=1), var, config.beta), ei)
    if plateau_r2 is None:
        return score
    r2 = scaled_sq_dist(x, state.x, state.ls, state.levels)  # (m, N)
    on = plateau_r2 > 0
    ratio = r2 / jnp.where(on, plateau_r2, 1.0)[None, :]
    tabu = jax.nn.log_sigmoid(_TABU_SHARPNESS * (ratio - 1.0))
    return score + jnp.sum(jnp.where(on[None, :], tabu, 0.0), axis=1)


def _snap(x: jax.Array, cube: CubeSpec) -> jax.Array:
    """Set every swept coordinate of ``x`` ``(m, d)`` to its nearest allowed level."""
    if cube.sweep_dims.shape[0] == 0:
        return x
    cols = x[:, cube.sweep_dims]  # (m, J)
    dist = jnp.where(cube.level_ok[None], jnp.abs(cols[:, :, None] - cube.levels[None]), jnp.inf)
    pick = jnp.argmin(dist, axis=-1)  # (m, J)
    snapped = jnp.take_along_axis(jnp.broadcast_to(cube.levels[None], dist.shape),
                                  pick[..., None], axis=-1)[..., 0]
    return x.at[:, cube.sweep_dims].set(snapped)


def _sweep(acq: Callable[[jax.Array], jax.Array], x: jax.Array, score: jax.Array,
           cube: CubeSpec) -> tuple[jax.Array, jax.Array]:
    """Coordinate-wise exact sweep over the swept coordinates for every start."""
    s, d = x.shape
    v = cube.levels.shape[1]
    if cube.sweep_dims.shape[0] == 0:
        return x, score

    def one(j: jax.Array, carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        x, score = carry
        dim = cube.sweep_dims[j]
        trial = jnp.broadcast_to(x[:, None, :], (s, v, d))
        trial = trial.at[:, :, dim].set(jnp.broadcast_to(cube.levels[j][None], (s, v)))
        vals = acq(trial.reshape(s * v, d)).reshape(s, v)
        vals = jnp.where(cube.level_ok[j][None], vals, -jnp.inf)
        pick = jnp.argmax(vals, axis=1)
        new_score = jnp.take_along_axis(vals, pick[:, None], axis=1)[:, 0]
        better = new_score > score
        x = jnp.where(better[:, None], trial[jnp.arange(s), pick], x)
        return x, jnp.where(better, new_score, score)

    return jax.lax.fori_loop(0, cube.sweep_dims.shape[0], one, (x, score))


def _refine(acq: Callable[[jax.Array], jax.Array], x: jax.Array, cube: CubeSpec,
            config: AcqConfig) -> tuple[jax.Array, jax.Array]:
    """Box-constrained L-BFGS on the moving coordinates of every start."""

    def negative(xi: jax.Array) -> tuple[jax.Array, jax.Array]:
        value, grad = jax.value_and_grad(lambda p: -acq(p[None])[0])(xi)
        return value, grad

    lower = jnp.zeros((x.shape[1],))
    upper = jnp.ones((x.shape[1],))

    def run(x0: jax.Array) -> lbfgs.LbfgsResult:
        return lbfgs.minimize(negative, x0, lower, upper, cube.moving, config.max_iter,
                              gtol=1e-5, ftol=1e-7, first_step=0.05)

    res = jax.vmap(run)(x)
    return res.x, -res.f


@entry_point(static_argnames=("n_starts", "n_perturb", "rounds", "n_pool_out"))
def optimize_acquisition(state: GPState, key: jax.Array, pool: jax.Array, cube: CubeSpec,
                         config: AcqConfig, ties: jax.Array | None = None, n_starts: int = 8,
                         n_perturb: int = 256, rounds: int = 2,
                         n_pool_out: int = 32) -> tuple[jax.Array, jax.Array]:
    """Candidates for the next point, best first.

    Args:
        state: the conditioned GP (pending points already added as fantasies).
        key: ``jax.random`` key (Sobol shift, perturbations).
        pool: ``(P, d)`` uint32 Sobol table (digitally shifted by :func:`~hpo_core.gp.sobol_unit`).
        cube: the coordinates' kinds (:class:`CubeSpec`).
        config: acquisition settings.
        ties: ``(N,)`` int, the same id ``>= 0`` on rows whose observed values are equal
            (-1 elsewhere): the scores get the plateau tabu of :func:`acquisition_values`.
            None: no tabu.
        n_starts: ``S``, pool points refined.
        n_perturb: perturbations of the best observed points added to the pool.
        rounds: refine / sweep alternations.
        n_pool_out: unrefined pool points returned after the refined ones.

    Returns:
        ``(x (S + n_pool_out, d), score (S + n_pool_out,))`` sorted by decreasing score.
    """
    d = state.x.shape[1]
    k_shift, k_pick, k_noise = jax.random.split(key, 3)
    best = incumbent(state) - config.margin
    plateau_r2 = None if ties is None else plateau_radii(state, ties)

    def acq(points: jax.Array) -> jax.Array:
        return acquisition_values(state, points, best, config, plateau_r2)

    sobol = sobol_unit(pool, k_shift)  # (P, d)
    # Perturb the best observed rows (lowest warped target first).
    rank = jnp.argsort(jnp.where(state.observed, state.z, jnp.inf))
    top = jnp.minimum(jnp.sum(state.observed), 8)
    parents = rank[jax.random.randint(k_pick, (n_perturb,), 0, jnp.maximum(top, 1))]
    scales = jnp.asarray(_PERTURB_SCALES)[jnp.arange(n_perturb) % len(_PERTURB_SCALES)]
    noise = jax.random.normal(k_noise, (n_perturb, d)) * scales[:, None]
    near = jnp.clip(state.x[parents] + noise, 0.0, 1.0)
    cands = _snap(jnp.concatenate([sobol, near]), cube)  # (M, d)
    scores = acq(cands)
    scores = jnp.where(jnp.isfinite(scores), scores, -jnp.inf)
    top_scores, top_idx = jax.lax.top_k(scores, n_starts + n_pool_out)
    x = cands[top_idx[:n_starts]]
    score = top_scores[:n_starts]
    incumbent_row = _snap(state.x[rank[:1]], cube)  # (1, d): the last start
    x = x.at[-1].set(incumbent_row[0])
    score = score.at[-1].set(acq(incumbent_row)[0])

    def round_(_: jax.Array, carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        x, score = carry
        x_new, s_new = _refine(acq, x, cube, config)
        better = s_new > score
        x = jnp.where(better[:, None], x_new, x)
        score = jnp.where(better, s_new, score)
        return _sweep(acq, x, score, cube)

    x, score = jax.lax.fori_loop(0, rounds, round_, (x, score))
    out_x = jnp.concatenate([x, cands[top_idx[n_starts:]]])
    out_s = jnp.concatenate([score, top_scores[n_starts:]])
    order = jnp.argsort(-out_s)
    return out_x[order], out_s[order]
