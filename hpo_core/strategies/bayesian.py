"""Bayesian optimization: a Gaussian process (:mod:`hpo_core.gp`) with log expected improvement.

Phases:
    1. Initial design: the first ``n_initial`` observations come from one scrambled Sobol
       sequence (Joe-Kuo, :mod:`hpo_core.strategies.quasirandom`, with a digital shift keyed
       by the seed; trial ``i`` takes point ``i``), with
       ``n_initial = min(20, max(5, 2 * (dims + 1)))`` unless given: 6 points in 2-D, 14 in
       6-D, 20 from 9-D on (BoTorch's 2(d+1); with d + 3 points, 2 of 5 Hartmann6 seeds
       settled in the second basin for 100 trials, with 2(d+1) none of those 5 did; over
       seeds 0-39, 11 runs with the earlier fixed-seed direction numbers and 15 with the
       Sobol sequence do, within seed noise of each other, Mann-Whitney p = 0.44).
    2. Model phase: a GP on every observed trial (failed ones count as the worst value),
       conditioned on the pending trials (option ``pending``: by default log-EI averaged
       over fantasies of their values, or the Kriging believer, each pending point at its
       posterior mean; see "Pending trials" below), so parallel asks and ``ask_batch`` spread out;
       the next point maximizes log-EI (or UCB) over the cube (:mod:`hpo_core.gp.optimize`),
       skipping any candidate that decodes to an observed or pending point.

Pending trials (options ``pending`` and ``fantasy_spread``): every tuning job runs trials in
parallel, so most asks see other trials still running; they enter the GP with fantasies of
their values whose spread follows the observed ties (default ``"auto"``), and once values
tie as exact values of the latent function: how and why, with the measurements, in
:mod:`hpo_core.strategies.pending`.

Augmented EI once values tie: where observed values tie (the same mark as above), log-EI
gets the factor of augmented EI (Huang et al. 2006), ``1 - sqrt(noise / (var + noise))``
(:class:`hpo_core.gp.AcqConfig`'s ``augmented``), so a well-sampled spot of a fit that reads
steps as noise stops winning: one trial at a time the search kept returning to the
incumbent's plateau (``svm_breast`` seed 9: 102 of 128 values at 0.0198) and lost to random
search on ``dt_wine`` and ``svm_breast``; with the factor the sequential search is ahead on
all six scikit-learn tasks, and so is q=8 (benchmarks/RESULTS.md, "Augmented EI once values
tie"). Objectives whose values never tie are untouched.

Lengthscale floor (option ``min_lengthscale``): continuous coordinates keep their GP
lengthscale at or above 0.1 of the cube, integer and categorical ones their own cell; why,
and what it changed on the real tasks: :mod:`hpo_core.strategies.lengthscales`.

Plateaus (option ``plateaus``, default ``"off"``): two remedies for objectives that are flat
over wide regions, ``"margin"`` and ``"tabu"``, measured and kept as options, neither the
default: :mod:`hpo_core.strategies.plateaus`.

Refit policy: the hyperparameters are refit (MAP, several restarts in one compiled call, one
of them warm-started from the previous fit) at every ask while fewer than ``REFIT_ALWAYS``
trials are observed, then whenever the observed count has grown by ``REFIT_GROWTH`` (10 %)
since the last fit; in between, the last hyperparameters are reused and only the Cholesky
factor is rebuilt with the new rows. Past ``REFIT_ALWAYS`` observations a refit within the same
size bucket as the previous fit runs the warm start alone (cheap: it starts near the optimum);
the first fit in each new bucket runs every restart again, up to ``FULL_FIT_LIMIT``
observations.

The last fit (its observed count and ``theta``) is the only state a suggestion depends on
beyond the history; :meth:`BayesianStrategy.options` returns it as the ``warm_start`` option,
so an Optimizer saved and loaded mid-run suggests exactly what the original would have.
Every random draw is keyed by (seed, trial id, purpose).

Speed: the core runs inside ``threadpoolctl.threadpool_limits(1)`` (one BLAS thread; JAX's
CPU linear algebra runs on it) and observations are padded to size buckets so that nothing
recompiles as trials accumulate. XLA's own CPU threads are process-wide: set
``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false"`` before
importing jax to pin them (the library never sets environment variables).

Compilation and caches: each size bucket needs its own executables, built ahead on one
background thread (option ``compile_ahead``) and kept on disk (option ``jax_cache``): see
:mod:`hpo_core.strategies.gp_cache`.

Float64: using this strategy imports :mod:`hpo_core.gp`, which enables ``jax_enable_x64``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from hpo_core.space import Categorical, Integer, SearchSpace
from hpo_core.strategies.base import History, rng_for
from hpo_core.strategies.bayesian_options import (
    check_bayesian_options,
    check_option_values,
    initial_design_size,
    read_warm_start,
)
from hpo_core.strategies.gp_cache import enable_caches, shared_precompiler
from hpo_core.strategies.lengthscales import (
    DEFAULT_MIN_LENGTHSCALE,
    check_min_lengthscale,
    lengthscale_floors,
)
from hpo_core.strategies.pending import DEFAULT_FANTASY_SPREAD, auto_fantasy_spread, is_auto
from hpo_core.strategies.plateaus import keys_repeat, plateau_margin, tie_groups, tie_key
from hpo_core.strategies.quasirandom import sobol_table
from hpo_core.strategies.random import RandomStrategy

__all__ = ["BayesianStrategy", "check_bayesian_options", "initial_design_size"]

#: Refit the hyperparameters at every ask below this many observed trials.
REFIT_ALWAYS = 40
#: Above it, refit once the observed count has grown by this fraction since the last fit.
REFIT_GROWTH = 0.1
#: L-BFGS iterations per restart of a full fit, and of a warm-start-only refit.
FIT_ITERATIONS = 60
LATE_FIT_ITERATIONS = 25
#: Integer coordinates with at most this many values are swept exactly; wider ones move with
#: the gradient and are rounded by ``decode``.
SWEEP_LIMIT = 64
#: Scrambled Sobol points (a new digital shift at every ask) in the acquisition pool (the
#: smaller pool above ``SMALL_POOL_FROM`` rows, from bucket 384 on, where the posterior
#: variance of each pool point costs an (N, N) triangular solve).
POOL_SIZE = 2048
SMALL_POOL_SIZE = 1024
SMALL_POOL_FROM = 256
#: Above this many observations a new size bucket no longer triggers a fit with every restart
#: (each restart costs O(N^3) per iteration): the warm start alone keeps being refined. At 256
#: the full fits at the 96 and 128 buckets cost 90-220 ms each on Hartmann6 (2-core machine),
#: most of the mean per-trial overhead at n = 51-100; at 64 that mean fell from 11-13 ms to
#: 7-8 ms with median regrets within seed noise on the six synthetic problems (10 seeds).
FULL_FIT_LIMIT = 64
_OBSERVED = ("completed", "failed", "stopped")


_CONTROLLER: Any = None


def _one_thread() -> Any:
    """A context manager limiting BLAS/OpenMP pools to one thread (controller built once)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1)


class BayesianStrategy:
    """GP-based suggestions (see the module docstring).

    Args:
        space: the search space.
        seed: the Optimizer's seed.
        n_initial: quasi-random points before the GP (default :func:`initial_design_size`).
        acquisition: ``"log_ei"`` (default) or ``"ucb"``.
        ucb_beta: UCB exploration weight (``mean - sqrt(beta) * sd``).
        jax_cache: enable the persistent compilation cache and the program store
            (:mod:`hpo_core.strategies.gp_cache`).
        compile_ahead: compile the next size bucket's entry points on a background thread.
        warm_start: ``{"n": observed count, "theta": [...]}`` of the last fit (restored by
            ``Optimizer.load``; leave it out otherwise).
        pending: how pending trials enter the model: ``"fantasies"`` (default: log-EI
            averaged over joint fantasies of their values) or ``"believer"`` (their
            posterior mean, the Kriging believer); either way the posterior variance is
            that of the model with the pending rows in.
        fantasy_spread: ``"auto"`` (default: 0.5 while no two observed values tie, 1.0
            once two do) or a number in ``(0, 1]``: the fantasies' deviation from the
            posterior mean relative to posterior draws (1.0 gives the model of 2026-12-06
            and earlier, 0.5 that of 2026-12-07; see :mod:`hpo_core.strategies.pending`).
        plateaus: ``"off"`` (default): plain log-EI; ``"margin"``: log-EI's margin grows
            with the values that repeat an earlier one since the best was first seen
            (log-EI only); ``"tabu"``: observed trials whose values tie mark a plateau the
            acquisition avoids (:mod:`hpo_core.strategies.plateaus`: both measured,
            neither better overall).
        min_lengthscale: the lengthscale floor of continuous coordinates, in unit-cube
            widths (default 0.1; integer coordinates keep ``1 / k`` for ``k`` values, at
            least 0.025, categorical ones 0.025: :mod:`hpo_core.strategies.lengthscales`);
            0.025 gives the model of 2026-12-04 and earlier.
    """

    name = "bayesian"

    def __init__(self, space: SearchSpace, seed: int, n_initial: int | None = None,
                 acquisition: str = "log_ei", ucb_beta: float = 1.0, jax_cache: bool = True,
                 compile_ahead: bool = True, warm_start: dict[str, Any] | None = None,
                 pending: str = "fantasies", plateaus: str = "off",
                 min_lengthscale: float = DEFAULT_MIN_LENGTHSCALE,
                 fantasy_spread: float | str = DEFAULT_FANTASY_SPREAD) -> None:
        check_option_values(n_initial, acquisition, ucb_beta, jax_cache, compile_ahead,
                            pending, plateaus, fantasy_spread)
        self._min_lengthscale = check_min_lengthscale(min_lengthscale, "strategy 'bayesian'")
        self._pending = pending
        self._fantasy_spread: float | str = (
            "auto" if is_auto(fantasy_spread) else float(fantasy_spread))
        self._plateaus = plateaus
        self._space = space
        self._seed = seed
        self._n_initial_option = n_initial
        self._n_initial = n_initial if n_initial is not None else initial_design_size(space.dims)
        self._acquisition = acquisition
        self._ucb_beta = float(ucb_beta)
        self._jax_cache = jax_cache
        self._compile_ahead = compile_ahead
        self._fit: tuple[int, np.ndarray] | None = read_warm_start(warm_start, space.dims)
        self._rows: dict[int, tuple[Any, np.ndarray]] = {}  # derived cache: trial id -> row
        self._tie_keys: dict[int, tuple[float, float]] = {}  # trial id -> (value, tie key)
        self._core: Any = None  # the GP machinery, built on first use

    @property
    def size(self) -> int | None:
        return self._space.size

    def options(self) -> dict[str, Any]:
        warm = None if self._fit is None else {"n": self._fit[0],
                                               "theta": [float(v) for v in self._fit[1]]}
        return {"n_initial": self._n_initial_option, "acquisition": self._acquisition,
                "ucb_beta": self._ucb_beta, "jax_cache": self._jax_cache,
                "compile_ahead": self._compile_ahead, "warm_start": warm,
                "pending": self._pending, "plateaus": self._plateaus,
                "min_lengthscale": self._min_lengthscale,
                "fantasy_spread": self._fantasy_spread}

    # ------------------------------------------------------------------ suggestions
    def suggest(self, trial_id: int, history: History) -> dict[str, Any] | None:
        space = self._space
        if space.dims == 0:
            point = space.decode(np.zeros(0))
            return None if space.point_key(point) in history.used_keys else point
        if space.size is not None and len(history.used_keys) >= space.size:
            return None
        observed = [t for t in history.trials if t.status in _OBSERVED]
        values = [t for t in observed if t.value is not None]
        if len(observed) < self._n_initial or len(values) < 2:
            self._ahead(_bucket(self._n_initial), current=False)
            return self._initial(trial_id, history)
        with _one_thread():
            return self._model_suggestion(trial_id, history, observed)

    def _initial(self, trial_id: int, history: History) -> dict[str, Any] | None:
        space = self._space
        n = max(64, 1 << trial_id.bit_length())
        table = sobol_table(n, space.dims)
        shift = rng_for(self._seed, 0, "initial-design").integers(0, 2**32, space.dims,
                                                                  dtype=np.uint64)
        u = ((table[trial_id].astype(np.uint64) ^ shift).astype(np.float64) + 0.5) / 2.0**32
        point = space.decode(np.clip(u, 0.0, 1.0))
        if space.point_key(point) not in history.used_keys:
            return point
        return RandomStrategy(space, self._seed).suggest(trial_id, history)

    def _row(self, trial: Any) -> np.ndarray:
        cached = self._rows.get(trial.id)
        if cached is not None and cached[0] is trial:
            return cached[1]
        row = self._space.encode(trial.params)
        self._rows[trial.id] = (trial, row)
        return row

    def _model_suggestion(self, trial_id: int, history: History,
                          observed: list[Any]) -> dict[str, Any] | None:
        import jax

        from hpo_core import gp

        core = self._core or self._build_core()
        space = self._space
        pending = [t for t in history.trials if t.status not in _OBSERVED]
        n_obs, n_all = len(observed), len(observed) + len(pending)
        size = gp.bucket_size(n_all)
        self._ahead(size, current=True)
        # The next bucket: loaded at once where the program store has it (cheap), compiled
        # once the observations are half way through this bucket (a compilation is not, and
        # a run may end before it needs the next bucket).
        half = 2 * n_all >= size + _previous_bucket(size)
        self._ahead(gp.bucket_size(size + 1), current=False, stored_only=not half)
        x = np.zeros((size, space.dims))
        y = np.zeros(size)
        for i, t in enumerate(observed + pending):
            x[i] = self._row(t)
        x = x[:, core["perm"]]  # categorical coordinates last, as the GP expects
        sign = 1.0 if history.minimize else -1.0
        y[:n_obs] = [np.nan if t.value is None else sign * t.value for t in observed]
        mask = np.arange(size) < n_obs
        data = gp.GPData(jax.numpy.asarray(x), jax.numpy.asarray(y), jax.numpy.asarray(mask),
                         core["levels"])
        prior = core["prior"]
        if self._needs_refit(n_obs):
            key = _jax_key(rng_for(self._seed, trial_id, "gp-fit"))
            warm = None if self._fit is None else self._fit[1]
            full = self._fit is None or n_obs < REFIT_ALWAYS or (
                n_obs <= FULL_FIT_LIMIT
                and gp.bucket_size(self._fit[0]) != gp.bucket_size(n_obs))
            if full:
                state = gp.fit(data, key, prior, warm_start=warm, max_iter=FIT_ITERATIONS)
            else:  # many observations, previous optimum close: the warm start alone
                state = gp.refit(data, warm, prior, LATE_FIT_ITERATIONS)
            self._fit = (n_obs, np.asarray(state.theta))
        else:
            assert self._fit is not None
            state = gp.with_hyperparameters(data, self._fit[1], prior)
        tied = self._tied(observed)
        if pending:
            pend = (np.arange(size) >= n_obs) & (np.arange(size) < n_all)
            fkey = _jax_key(rng_for(self._seed, trial_id, "gp-fantasies"))
            spread = self._spread(tied) if self._pending == "fantasies" else 0.0
            # a Python float, as precompile_bucket passes it (the same weakly typed scalar);
            # pending rows are exact latent values where values tie (strategies.pending)
            state = gp.condition_on_pending(state, jax.numpy.asarray(pend), prior, fkey,
                                            jax.numpy.asarray(spread), jax.numpy.asarray(tied))
        key = _jax_key(rng_for(self._seed, trial_id, "gp-acquisition"))
        ties = (jax.numpy.asarray(tie_groups(y[:n_obs], size)) if self._plateaus == "tabu"
                else None)  # off: the program without the tabu
        # augmented EI where values tie ("Augmented EI" above); a bool array, as precompiled
        config = core["config"]._replace(augmented=jax.numpy.asarray(tied))
        if self._plateaus == "margin":
            # a Python float: the precompiled programs take a weakly typed scalar here
            margin = plateau_margin(y[:n_obs])
            config = config._replace(margin=jax.numpy.asarray(margin))
        xs, _ = gp.optimize_acquisition(state, key, _pool(core, size), core["cube"], config,
                                        ties, rounds=core["rounds"])
        u = np.empty(space.dims)
        for row in np.asarray(xs):
            u[core["perm"]] = np.clip(row, 0.0, 1.0)
            point = space.decode(u)
            if space.point_key(point) not in history.used_keys:
                return point
        return RandomStrategy(space, self._seed).suggest(trial_id, history)

    def _spread(self, tied: bool) -> float:
        """The fantasies' spread (option ``fantasy_spread``); ``tied``: observed values tie."""
        if not is_auto(self._fantasy_spread):
            return float(self._fantasy_spread)
        return auto_fantasy_spread(tied)

    def _tied(self, observed: list[Any]) -> bool:
        """Whether two observed values tie (:func:`~hpo_core.strategies.plateaus.has_ties`),
        each value's key computed once per trial."""
        return keys_repeat(self._tie_key(t) for t in observed if t.value is not None)

    def _tie_key(self, trial: Any) -> float:
        hit = self._tie_keys.get(trial.id)
        if hit is None or hit[0] != trial.value:
            hit = (trial.value, tie_key(float(trial.value)))
            self._tie_keys[trial.id] = hit
        return hit[1]

    def _ahead(self, size: int, current: bool, stored_only: bool = False) -> None:
        """Queue the compilation of bucket ``size``'s entry points on the background thread;
        for the ``current`` bucket all but ``fit``, which the caller builds right away (the two
        compilations then run side by side); ``stored_only``: loads from the program store
        only (see :func:`hpo_core.gp.precompile_bucket`)."""
        if not self._compile_ahead:
            return
        from hpo_core import gp

        core = self._core or self._build_core()
        names = ["optimize_acquisition"]
        if size <= gp.bucket_size(FULL_FIT_LIMIT) and not current:
            names.append("fit")  # after the acquisition: a caller that needs fit first builds it
        if size >= REFIT_ALWAYS:
            names += ["refit", "with_hyperparameters"]
        names.append("condition_on_pending")  # pending trials are the common case
        for name in names:
            job = functools.partial(gp.precompile_bucket, size, core["levels"], core["prior"],
                                    _pool(core, size), core["cube"], core["config"],
                                    core["rounds"], (name,), LATE_FIT_ITERATIONS, stored_only,
                                    self._plateaus == "tabu")
            kind = "stored" if stored_only else "build"
            tabu = self._plateaus == "tabu"  # "off" and "margin" share the programs
            shared_precompiler().submit(f"{core['tag']}:{size}:{name}:{kind}:{tabu}", job)

    def _needs_refit(self, n_obs: int) -> bool:
        if self._fit is None:
            return True
        last = self._fit[0]
        if n_obs < last:
            return True
        if last < REFIT_ALWAYS:
            return n_obs > last
        return n_obs >= last + max(1, math.ceil(REFIT_GROWTH * last))

    def _build_core(self) -> dict[str, Any]:
        if self._jax_cache:
            enable_caches()
        import jax.numpy as jnp

        from hpo_core import gp

        space = self._space
        coords = space.coordinates
        # GP column order: numeric coordinates, then categorical ones.
        perm = [j for j, c in enumerate(coords) if c.kind != "categorical"]
        perm += [j for j, c in enumerate(coords) if c.kind == "categorical"]
        levels = np.array([c.n_values for c in coords if c.kind == "categorical"],
                          dtype=np.float64)
        swept: list[tuple[int, list[float]]] = []
        moving = np.ones(space.dims, dtype=bool)
        for col, j in enumerate(perm):
            p = space[coords[j].name]
            if isinstance(p, Categorical):
                swept.append((col, [(i + 0.5) / p.n_values for i in range(p.n_values)]))
            elif isinstance(p, Integer) and p.n_values <= SWEEP_LIMIT:
                swept.append((col, [p.to_unit(k) for k in range(p.min_value, p.max_value + 1)]))
            else:
                continue
            moving[col] = False
        width = max([len(v) for _, v in swept], default=1)
        table = np.zeros((len(swept), width))
        ok = np.zeros((len(swept), width), dtype=bool)
        for r, (_, vals) in enumerate(swept):
            table[r, :len(vals)] = vals
            table[r, len(vals):] = vals[0]
            ok[r, :len(vals)] = True
        cube = gp.CubeSpec(jnp.asarray(moving), jnp.asarray([j for j, _ in swept], dtype=int),
                           jnp.asarray(table), jnp.asarray(ok))
        config = gp.AcqConfig(jnp.asarray(self._acquisition == "ucb"),
                              jnp.asarray(self._ucb_beta), jnp.asarray(25), jnp.asarray(0.0),
                              jnp.asarray(False))
        self._core = {"tag": repr((space.dims, levels.tolist(), table.shape, 2 if swept else 1)),
                      "levels": jnp.asarray(levels), "perm": np.asarray(perm, dtype=int),
                      "prior": gp.default_prior(space.dims, ls_floor=lengthscale_floors(
                          space, perm, self._min_lengthscale)),
                      "cube": cube, "config": config, "rounds": 2 if swept else 1,
                      "pool": jnp.asarray(sobol_table(POOL_SIZE, space.dims)),
                      "small_pool": jnp.asarray(sobol_table(SMALL_POOL_SIZE, space.dims))}
        return self._core


def _pool(core: dict[str, Any], size: int) -> Any:
    """The acquisition pool for observations padded to ``size`` rows."""
    return core["pool"] if size <= SMALL_POOL_FROM else core["small_pool"]


def _bucket(n: int) -> int:
    from hpo_core.gp.model import bucket_size

    return bucket_size(n)


def _previous_bucket(size: int) -> int:
    """The bucket below ``size`` (0 below the first)."""
    below, b = 0, _bucket(1)
    while b < size:
        below, b = b, _bucket(b + 1)
    return below


def _jax_key(gen: np.random.Generator) -> Any:
    import jax

    return jax.random.key(int(gen.integers(0, 2**32)))
