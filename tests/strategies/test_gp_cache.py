"""The Bayesian strategy's shell: program store on disk, background compilation."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hpo_core import Optimizer, gp
from hpo_core.gp import tracing
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace
from hpo_core.strategies import gp_cache
from hpo_core.strategies.gp_cache import FileExportStore, Precompiler, source_fingerprint


def test_file_store_round_trip_and_misses(tmp_path: Path):
    store = FileExportStore(tmp_path / "programs", "abc")
    assert store.get("fit-1") is None
    store.put("fit-1", b"\x00program")
    assert store.get("fit-1") == b"\x00program"
    assert FileExportStore(tmp_path / "programs", "other").get("fit-1") is None  # new sources
    assert not [p for p in (tmp_path / "programs").iterdir() if p.name.startswith(".")]


def test_file_store_never_raises(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    store = FileExportStore(blocker / "programs", "abc")
    store.put("k", b"x")  # cannot create the directory: skipped
    assert store.get("k") is None


def test_source_fingerprint_is_stable():
    assert source_fingerprint() == source_fingerprint()
    assert len(source_fingerprint()) == 16


def test_precompiler_runs_each_tag_once_and_keeps_errors():
    pre = Precompiler()
    ran: list[str] = []
    gate = threading.Event()
    pre.submit("a", lambda: (gate.wait(5), ran.append("a")))
    pre.submit("a", lambda: ran.append("a-again"))
    pre.submit("b", lambda: ran.append("b"))

    def broken() -> None:
        raise RuntimeError("boom")

    pre.submit("c", broken)
    gate.set()
    pre.wait()
    assert ran == ["a", "b"]
    assert pre.errors == [("c", "RuntimeError: boom")]
    pre.submit("d", lambda: ran.append("d"))  # a new worker after the first one ended
    pre.wait()
    assert ran == ["a", "b", "d"]


def _space(extra: int) -> SearchSpace:  # shapes no other test uses: new programs
    params = {"a": Continuous(0.0, 1.0), "b": Integer(1, 300, "log"),
              "c": Categorical(["p", "q", "r", "s", "t"])}
    params.update({f"e{i}": Continuous(-1.0, 1.0) for i in range(extra)})
    return SearchSpace(params)


def _objective(p: dict) -> float:
    return (p["a"] - 0.3) ** 2 + abs(p["b"] - 40) / 300 + {"p": 0.2, "q": 0.0}.get(p["c"], 0.5)


@pytest.mark.parametrize(("ahead", "extra"), [(True, 2), (False, 3)])
def test_the_first_gp_ask_finds_its_programs_compiled_ahead(monkeypatch, ahead, extra):
    monkeypatch.setattr(tracing, "_STORE", None)  # every build traces: visible in the counts
    opt = Optimizer(_space(extra), "bayesian", seed=5, n_initial=6, compile_ahead=ahead,
                    jax_cache=False)
    for _ in range(6):
        t = opt.ask()
        opt.tell(t, _objective(t.params))
    gp_cache.shared_precompiler().wait()
    before = gp.compile_counts()
    t = opt.ask()  # the first GP suggestion: bucket 16
    opt.tell(t, _objective(t.params))
    grown = {k: v - before.get(k, 0) for k, v in gp.compile_counts().items()}
    built = {k for k, v in grown.items() if v}
    if ahead:
        assert not built & {"fit", "optimize_acquisition"}, grown
    else:
        assert {"fit", "optimize_acquisition"} <= built, grown


def test_a_process_exits_cleanly_while_compiling_ahead(tmp_path: Path):
    marker = tmp_path / "ran"
    script = (
        "import pathlib, time\n"
        "from hpo_core import Optimizer\n"
        "from hpo_core.space import SearchSpace, Continuous\n"
        "from hpo_core.strategies import gp_cache\n"
        "s = SearchSpace({f'x{i}': Continuous(0.0, 1.0) for i in range(7)})\n"
        "o = Optimizer(s, 'bayesian', seed=1)\n"
        "t = o.ask()\n"  # queues the first GP bucket's compilations
        "pre = gp_cache.shared_precompiler()\n"
        "pre.submit('slow', lambda: time.sleep(1.0))\n"
        f"pre.submit('marker', lambda: pathlib.Path({str(marker)!r}).write_text('x'))\n"
        "print('asked', flush=True)\n")  # ... and the main thread ends at once
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))  # empty caches: real compiles
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]  # no abort from a thread inside XLA
    assert "asked" in done.stdout
    assert not marker.exists()  # jobs not started when the main thread ended were dropped


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_ended_by_a_base_exception_is_replaced():
    pre = Precompiler()

    def interrupted() -> None:
        raise KeyboardInterrupt

    pre.submit("x", interrupted)
    pre.wait()  # returns: the worker is gone
    ran: list[str] = []
    pre.submit("y", lambda: ran.append("y"))
    pre.wait()
    assert ran == ["y"]
