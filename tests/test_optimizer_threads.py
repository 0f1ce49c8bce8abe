"""One Optimizer shared by threads: distinct trial ids, nothing left pending, a file that loads
(random, Bayesian, Hyperband with reports), and ``optimize`` evaluating outside the lock."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Categorical, Continuous, Integer, Optimizer, SearchSpace

SPACE = SearchSpace({"x": Continuous(-2.0, 2.0), "k": Integer(1, 50),
                     "c": Categorical(["a", "b", "c"])})


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Threads switch every microsecond instead of every 5 ms, so races show up at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _value(params: dict[str, Any]) -> float:
    return float(params["x"]) ** 2 + int(params["k"]) / 50 + (params["c"] == "b")


def _in_threads(work: Callable[[int], object], n_threads: int) -> None:
    """Run ``work(i)`` on ``n_threads`` threads started together; re-raise the first error."""
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def run(i: int) -> None:
        try:
            start.wait(timeout=60)
            work(i)
        except BaseException as e:  # handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a worker hangs"
    if errors:
        raise errors[0]


def _check_consistent(opt: Optimizer, n: int, tmp_path: Path) -> None:
    trials = opt.trials
    assert [t.id for t in trials] == list(range(n))  # distinct, dense ids
    assert not [t for t in trials if t.status == "pending"]
    if opt.strategy == "bayesian":  # a point is never suggested twice
        assert len({SPACE.point_key(t.params) for t in trials}) == n
    opt.save(tmp_path / "opt.json")
    back = Optimizer.load(tmp_path / "opt.json")
    assert back.state_dict() == opt.state_dict()
    assert back.best is not None and opt.best is not None and back.best.id == opt.best.id


@pytest.mark.parametrize(("strategy", "per_thread", "options"), [
    ("random", 500, {}),
    pytest.param("bayesian", 6, {"n_initial": 6, "compile_ahead": False},
                 marks=pytest.mark.slow),
], ids=["random", "bayesian"])
def test_ask_tell_from_four_threads(strategy: str, per_thread: int, options: dict[str, Any],
                                    tmp_path: Path, seed: int) -> None:
    opt = Optimizer(SPACE, strategy, seed=seed, **options)
    seen: list[list[int]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        for _ in range(per_thread):
            trial = opt.ask()
            seen[i].append(trial.id)
            opt.tell(trial, _value(trial.params))
            if len(seen[i]) % 100 == 0:
                opt.save(tmp_path / f"checkpoint-{i}.json")  # saving while others ask

    _in_threads(work, 4)
    ids = [tid for ids in seen for tid in ids]
    assert len(ids) == len(set(ids)) == 4 * per_thread
    _check_consistent(opt, 4 * per_thread, tmp_path)
    for i in range(4):
        if (tmp_path / f"checkpoint-{i}.json").exists():
            Optimizer.load(tmp_path / f"checkpoint-{i}.json")


def test_ask_batch_and_reports_from_threads(tmp_path: Path, seed: int) -> None:
    """Hyperband (stopping mode): reports, stop decisions and tells interleave; ask_batch
    runs beside them."""
    opt = Optimizer(SPACE, "hyperband", seed=seed, min_resource=1, max_resource=9,
                    mode="stopping", sampler="random")

    def work(i: int) -> None:
        for _ in range(40):
            batch = opt.ask_batch(2) if i == 0 else [opt.ask()]
            for trial in batch:
                decision = "continue"
                for step in range(1, (trial.resource or 9) + 1):
                    decision = opt.report(trial, step, _value(trial.params) + 1.0 / step)
                    if decision == "stop":
                        break
                if decision != "stop":
                    opt.tell(trial, _value(trial.params))

    _in_threads(work, 4)
    _check_consistent(opt, 40 * 2 + 3 * 40, tmp_path)


def test_optimize_evaluates_outside_the_lock(seed: int) -> None:
    """Two threads in optimize(): each objective call waits for the other thread's, which
    only works when the objective does not run under the Optimizer's lock."""
    opt = Optimizer(SPACE, "random", seed=seed)
    meet = threading.Barrier(2)

    def fn(params: dict[str, Any]) -> float:
        meet.wait(timeout=30)  # BrokenBarrierError if the other thread is locked out
        return _value(params)

    _in_threads(lambda _i: opt.optimize(fn, n_trials=20), 2)
    assert len(opt.trials) == 40
    assert all(t.status == "completed" for t in opt.trials)
