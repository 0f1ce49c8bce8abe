"""benchmarks/bench_gp.py: what the overhead figures time, and its flags."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_core.benchmarks import bench_gp
from hpo_core.benchmarks.problems import PROBLEMS


class _Clock:
    """A perf_counter that only the objective moves (1000 s per evaluation)."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def test_overhead_does_not_time_the_objective(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, branin = _Clock(), PROBLEMS["branin"]

    class Slow:
        space = branin.space

        def __call__(self, params: dict[str, Any]) -> float:
            clock.now += 1000.0
            return branin(params)

    monkeypatch.setattr(bench_gp, "time", clock)
    monkeypatch.setattr(bench_gp, "_problem", lambda dims: Slow())
    r = bench_gp.overhead(n=4, dims=2, steps=3)
    assert (r["first_ms"], r["p50_ms"], r["p95_ms"], r["mean_ms"]) == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("argv, message", [
    (["--steps", "1"], "--steps: expected an integer >= 2, got 1"),
    (["--trials", "0"], "--trials: expected an integer >= 1, got 0"),
])
def test_bad_counts_exit_2_naming_the_flag(argv: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench_gp.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
