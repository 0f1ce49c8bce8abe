"""Speed benchmark (pytest-benchmark): the simulator's own overhead per report.

A constant learning curve and a do-nothing optimizer (it stops two trials in three at the
rungs 1, 3, 9, 27) leave only the simulator's work: the event heap, the bookkeeping and the
calls. ``pytest benchmarks/multifidelity/bench_simulator.py`` gives the figures; CI runs it
once with ``--benchmark-disable``. The full figure (10^5 trials)::

    .venv/bin/python -m hpo_core.benchmarks.multifidelity.bench_simulator
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpo_core.benchmarks.multifidelity.problems import Curve, MultiFidelityProblem
from hpo_core.benchmarks.multifidelity.simulator import SimResult, simulate
from hpo_core.space import Continuous, SearchSpace

_CURVE = Curve(np.linspace(1.0, 0.0, 81), 1.0)
_PROBLEM = MultiFidelityProblem("constant", SearchSpace({"x": Continuous(0.0, 1.0)}), 81,
                                "minimize", 0.0, lambda params: _CURVE)


@dataclass(eq=False)
class _Trial:
    id: int
    params: dict[str, Any]
    resource: int = 81


class _Idle:
    """Asks cost nothing; two trials in three are stopped at their first rung."""

    def __init__(self) -> None:
        self.n = 0

    def ask(self) -> _Trial:
        self.n += 1
        return _Trial(self.n, {"x": 0.5})

    def report(self, trial: _Trial, step: int, value: float) -> str:
        return "stop" if step in (1, 3, 9, 27) and trial.id % 3 else "continue"

    def tell(self, trial: _Trial, value: float | None = None) -> None:
        return None


def _run(n_trials: int, n_workers: int = 8) -> SimResult:
    return simulate(_PROBLEM, lambda problem, seed: _Idle(), n_workers=n_workers, seed=0,
                    max_trials=n_trials)


def test_simulator_overhead_10k_trials(benchmark: Any) -> None:
    """10^4 simulated trials (about 2.8 * 10^5 reports) with an idle optimizer."""
    result = benchmark(_run, 10_000)
    assert result.n_trials == 10_000
    assert result.total_resource == result.n_reports


def main() -> None:
    """Print the overhead of a 10^5-trial run."""
    t0 = time.perf_counter()
    result = _run(100_000)
    wall = time.perf_counter() - t0
    print(f"{result.n_trials} trials, {result.n_reports} reports, {wall:.2f} s, "
          f"{wall / result.n_reports * 1e6:.2f} us per report, "
          f"{wall / result.n_trials * 1e6:.1f} us per trial")


if __name__ == "__main__":
    main()
