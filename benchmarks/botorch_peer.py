"""The ``botorch`` peer for ``hpo bench``: BoTorch's standard qLogEI / SingleTaskGP loop.

The loop of BoTorch's "closed loop" tutorial, in the unit cube of the problem's space
(:meth:`~hpo_core.space.SearchSpace.encode` / ``decode``, so log / reverse-log scalings apply
and integers and categoricals are relaxed to their index coordinate and rounded by ``decode``):

    initial design  2 (d + 1) scrambled Sobol points (``SobolEngine(d, scramble=True, seed)``)
    model           ``SingleTaskGP(X, Y, outcome_transform=Standardize(m=1))`` on Y = -f
                    (BoTorch maximizes), hyperparameters by ``fit_gpytorch_mll``, refitted at
                    every ask
    acquisition     ``qLogExpectedImprovement(best_f=max Y, X_pending=pending points)``
    optimizer       ``optimize_acqf(q, num_restarts=10, raw_samples=512)`` in [0, 1]^d

A batch of q is one ``optimize_acqf`` with that q (joint qLogEI). A failed evaluation is
modelled at the worst value seen (and left out before any value is seen). torch runs on one
intra-op thread, float64; draws are seeded from (seed, number of points asked).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from hpo_core.benchmarks.peers import one_torch_thread
from hpo_core.benchmarks.problems import Problem
from hpo_core.benchmarks.session import Skip

__all__ = ["BotorchSession", "botorch_session"]

NUM_RESTARTS = 10
RAW_SAMPLES = 512


class BotorchSession:
    """A Session running BoTorch's qLogEI loop on the problem's unit cube (minimizing)."""

    def __init__(self, problem: Problem, seed: int) -> None:
        import torch
        from torch.quasirandom import SobolEngine

        one_torch_thread()
        self._torch = torch
        self._space = problem.space
        self._d = problem.space.dims
        self._seed = seed
        self._n_init = 2 * (self._d + 1)
        self._sobol = SobolEngine(self._d, scramble=True, seed=seed)
        self._x: list[np.ndarray] = []  # (d,) unit-cube points told
        self._y: list[float | None] = []  # their values (None: failed)
        self._pending: dict[int, np.ndarray] = {}
        self._asked = 0

    @property
    def capacity(self) -> int | None:
        return None

    def ask(self) -> tuple[Any, dict[str, Any]]:
        return self.ask_batch(1)[0]

    def ask_batch(self, q: int) -> list[tuple[Any, dict[str, Any]]]:
        torch = self._torch
        n_sobol = min(q, max(0, self._n_init - self._asked))
        if not any(v is not None for v in self._y):
            n_sobol = q  # nothing to model yet
        points: list[np.ndarray] = []
        if n_sobol:
            points += list(self._sobol.draw(n_sobol).to(torch.float64).numpy())
        if q - n_sobol:
            points += self._suggest(q - n_sobol, points)
        out: list[tuple[Any, dict[str, Any]]] = []
        for u in points:
            params = self._space.decode(np.clip(u, 0.0, 1.0))
            token = self._asked
            self._asked += 1
            self._pending[token] = self._space.encode(params)  # the point actually evaluated
            out.append((token, params))
        return out

    def _suggest(self, q: int, fresh: list[np.ndarray]) -> list[np.ndarray]:
        torch = self._torch
        from botorch.acquisition.logei import qLogExpectedImprovement
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.outcome import Standardize
        from botorch.optim import optimize_acqf
        from gpytorch.mlls import ExactMarginalLogLikelihood

        seen = [v for v in self._y if v is not None]
        worst = max(seen)
        x = torch.tensor(np.array(self._x), dtype=torch.float64)
        y = -torch.tensor([[worst if v is None else v] for v in self._y], dtype=torch.float64)
        torch.manual_seed(self._seed * 1_000_003 + self._asked)
        model = SingleTaskGP(x, y, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        pending = [*self._pending.values(), *fresh]
        x_pending = torch.tensor(np.array(pending), dtype=torch.float64) if pending else None
        acq = qLogExpectedImprovement(model, best_f=y.max(), X_pending=x_pending)
        bounds = torch.stack([torch.zeros(self._d, dtype=torch.float64),
                              torch.ones(self._d, dtype=torch.float64)])
        cand, _ = optimize_acqf(acq, bounds=bounds, q=q, num_restarts=NUM_RESTARTS,
                                raw_samples=RAW_SAMPLES)
        return list(cand.detach().numpy())

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        self._x.append(self._pending.pop(token))
        self._y.append(value)


def botorch_session(problem: Problem, seed: int) -> BotorchSession:
    missing = [m for m in ("torch", "botorch") if importlib.util.find_spec(m) is None]
    if missing:
        raise Skip(f"the botorch peer needs torch and botorch ({', '.join(missing)} not "
                   f"installed; extra 'torch-peers': pip install 'hpo_core[torch-peers]')")
    return BotorchSession(problem, seed)
