"""Our GP against Optuna's on the same rows: ``python -m hpo_core.benchmarks.gp_compare``.

When a peer's Bayesian optimizer beats ours on a problem, the question is whether its model
predicts better or its search uses the model better. This tool separates the two: it runs our
Bayesian strategy sequentially on a synthetic problem for ``--trials`` trials, fits our GP
(:func:`hpo_core.gp.fit`, the strategy's priors and lengthscale floors, ``--floor`` as its
``min_lengthscale``) and Optuna's
GPSampler model (``optuna._gp``: its Matern-5/2 kernel, its default prior, values
standardized as GPSampler does) to those same rows, and reports the fitted hyperparameters and
how well each posterior mean ranks the true objective (Spearman correlation) on three test
sets: uniform points of the cube, and Gaussian clouds of standard deviation 0.05 and 0.15
(cube units) around the best trial, where the search spends its late trials. A third row
conditions our GP (our output warping and kernel) on Optuna's fitted hyperparameters: when it
ranks like Optuna's model, the difference lies in the hyperparameter fit.

Optuna's GP module is private (``optuna._gp``; written against Optuna 5.1, whose
``GPRegressor`` has ``posterior`` and ``length_scales``); when it is missing or its interface
differs, the tool says so and reports our model alone. Numeric spaces only (not ``mixed``
nor ``discrete``, which have categorical parameters). Threads: run it with ``OMP_NUM_THREADS=1`` and
``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false`` like ``hpo bench``.

Usage::

    python -m hpo_core.benchmarks.gp_compare levy10 [--seed 0] [--trials 60] [--floor 0.1]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hpo_core.benchmarks.problems import PROBLEMS, Problem
from hpo_core.errors import HPOError

__all__ = ["Fit", "compare", "fit_optuna", "fit_ours", "history", "main", "test_sets"]

#: name, posterior mean (higher = worse, on the objective's own orientation), hyperparameters
Fit = tuple[str, Callable[[np.ndarray], np.ndarray], dict[str, Any]]


def history(problem: Problem, seed: int, trials: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x (n, d) in the unit cube, y (n,))`` of a sequential Bayesian run (minimizing)."""
    from hpo_core import Optimizer

    if any(c.kind == "categorical" for c in problem.space.coordinates):
        raise HPOError(f"gp_compare: problem {problem.name!r} has categorical parameters; "
                       f"expected a numeric space")
    opt = Optimizer(problem.space, strategy="bayesian", seed=seed)
    for _ in range(trials):
        trial = opt.ask()
        opt.tell(trial, problem(trial.params))
    x = np.array([problem.space.encode(t.params) for t in opt.trials])
    return x, np.array([float(t.value) for t in opt.trials])


def fit_ours(problem: Problem, x: np.ndarray, y: np.ndarray, floor: float,
             hyper: dict[str, Any] | None = None) -> Fit:
    """Our GP on ``x`` ``(n, d)``, ``y`` ``(n,)``: the strategy's priors and per-coordinate
    lengthscale floors with ``min_lengthscale=floor``, MAP-fitted; or, given ``hyper``
    (another fit's ``lengthscales``, ``signal`` and ``noise``), conditioned with those instead
    (lengthscales below our floor are raised to it)."""
    import jax
    import jax.numpy as jnp

    from hpo_core import gp
    from hpo_core.strategies.lengthscales import lengthscale_floors

    n, d = x.shape
    size = gp.bucket_size(n)
    xp, yp = np.zeros((size, d)), np.zeros(size)
    xp[:n], yp[:n] = x, y
    data = gp.GPData(jnp.asarray(xp), jnp.asarray(yp), jnp.asarray(np.arange(size) < n),
                     jnp.zeros(0))
    floors = lengthscale_floors(problem.space, list(range(d)), floor)
    prior = gp.default_prior(d, ls_floor=floors)
    name = f"ours (floor {floor:g})"
    if hyper is None:
        state = gp.fit(data, jax.random.key(0), prior)
    else:  # theta = [log(ls - floor), log signal, log(noise - noise floor)]
        excess = np.maximum(np.asarray(hyper["lengthscales"]) - floors, 1e-9)
        noise = max(hyper["noise"] - float(prior.noise_floor), 1e-12)
        theta = np.concatenate([np.log(excess), [np.log(hyper["signal"]), np.log(noise)]])
        state = gp.with_hyperparameters(data, jnp.asarray(theta), prior)
        name += ", Optuna's hyperparameters"

    def mean(u: np.ndarray) -> np.ndarray:
        return np.asarray(gp.posterior(state, jnp.asarray(u))[0])

    return (name, mean, {"lengthscales": np.asarray(state.ls), "signal": float(state.signal),
                         "noise": float(state.noise)})


def fit_optuna(x: np.ndarray, y: np.ndarray) -> Fit:
    """Optuna GPSampler's model on the same rows (it maximizes standardized ``-y``)."""
    import torch
    from optuna._gp import gp as ogp
    from optuna._gp import prior as oprior

    from hpo_core.benchmarks.peers import one_torch_thread

    one_torch_thread()
    z = (y - y.mean()) / max(float(y.std()), 1e-10)
    model = ogp.fit_kernel_params(x, -z, np.zeros(x.shape[1], dtype=bool),
                                  oprior.default_log_prior, oprior.DEFAULT_MINIMUM_NOISE_VAR,
                                  False)

    def mean(u: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return -model.posterior(torch.from_numpy(u))[0].numpy()

    return ("optuna GPSampler", mean,
            {"lengthscales": np.asarray(model.length_scales),
             "signal": float(model.kernel_scale), "noise": float(model.noise_var)})


def test_sets(x: np.ndarray, y: np.ndarray, seed: int = 0,
              m: int = 2000) -> dict[str, np.ndarray]:
    """Uniform points and two Gaussian clouds around the best row, each ``(m, d)``."""
    rng = np.random.default_rng(seed)
    best = x[int(np.argmin(y))]
    d = x.shape[1]
    return {"uniform": rng.random((m, d)),
            "near best, sd 0.05": np.clip(best + 0.05 * rng.standard_normal((m, d)), 0.0, 1.0),
            "near best, sd 0.15": np.clip(best + 0.15 * rng.standard_normal((m, d)), 0.0, 1.0)}


def compare(problem: Problem, seed: int, trials: int, floor: float) -> str:
    """The Markdown report (see the module docstring)."""
    from scipy.stats import spearmanr

    x, y = history(problem, seed, trials)
    fits = [fit_ours(problem, x, y, floor)]
    note = ""
    try:
        fit = fit_optuna(x, y)
        fit[1](x[:2])  # the posterior too: a changed private API fails here, not below
        fits += [fit, fit_ours(problem, x, y, floor, fit[2])]
    except (ImportError, AttributeError, TypeError, ValueError, RuntimeError) as e:
        note = f"\nOptuna's GP not compared: {type(e).__name__}: {e}\n"
    sets = test_sets(x, y)
    truth = {k: np.array([problem(problem.space.decode(u)) for u in v]) for k, v in sets.items()}
    lines = [f"{problem.name}, seed {seed}, {trials} trials of our sequential run "
             f"(best {y.min():.4g})", "",
             "| model | " + " | ".join(f"Spearman, {k}" for k in sets)
             + " | lengthscales | signal | noise |",
             "|---|" + "---:|" * (len(sets) + 3)]
    for name, mean, hyper in fits:
        rho = [float(spearmanr(mean(u), truth[k])[0]) for k, u in sets.items()]
        ls = " ".join(f"{v:.3g}" for v in hyper["lengthscales"])
        lines.append(f"| {name} | " + " | ".join(f"{r:.3f}" for r in rho)
                     + f" | {ls} | {hyper['signal']:.3g} | {hyper['noise']:.3g} |")
    return "\n".join(lines) + "\n" + note


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpo_core.benchmarks.gp_compare",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("problem", help="a synthetic problem with a numeric space (not mixed "
                                        "nor discrete)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--floor", type=float, default=0.1,
                        help="our lengthscale floor (the strategy's default for continuous "
                             "coordinates: 0.1)")
    args = parser.parse_args(argv)
    numeric = [n for n, p in PROBLEMS.items()
               if all(c.kind != "categorical" for c in p.space.coordinates)]
    if args.problem not in numeric:
        parser.error(f"problem: expected one of {', '.join(numeric)} (numeric spaces), got "
                     f"{args.problem!r}")
    if args.trials < 3:
        parser.error(f"--trials: expected an int >= 3, got {args.trials}")
    if not 0.0 < args.floor <= 1.0:
        parser.error(f"--floor: expected a number in (0, 1], got {args.floor}")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        print(compare(PROBLEMS[args.problem], args.seed, args.trials, args.floor))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
