"""The Bayesian strategy's shell around :mod:`hpo_core.gp`: on-disk caches and compiling ahead.

- :func:`enable_caches` points JAX's persistent compilation cache at
  ``$XDG_CACHE_HOME/hpo_core/jax`` (default ``~/.cache/hpo_core/jax``) unless the user has
  configured one, and keeps the traced GP programs (``jax.export``) in
  ``$XDG_CACHE_HOME/hpo_core/gp-programs`` so a later process skips tracing them as well.
  Entries are keyed by the GP sources, the JAX version, the backend and the argument shapes, so
  a changed installation never reads a stale program; a damaged entry is rebuilt.
- :class:`Precompiler` compiles the entry points of an upcoming size bucket on one background
  thread while the caller goes on (on a 2-core machine the compilation uses the core the
  single-threaded GP leaves free). Before each job it checks that the main thread is still
  running: a process that ends drops the jobs not yet started and waits only for the one in
  progress (a few seconds at most), since an XLA compilation cannot be interrupted safely.

The Bayesian strategy (:mod:`hpo_core.strategies.bayesian`) uses both. Each size bucket
needs its own executables (:mod:`hpo_core.gp.tracing`); with option ``compile_ahead``
(default on) it builds them on the :func:`shared_precompiler`: the first GP bucket while the
initial design runs; the next bucket from the program store as soon as a bucket is entered (a
load), or compiled once the observations are half way through the current bucket; and, at the
first ask of a bucket, the acquisition optimizer while the ask itself builds the model fit.
With option ``jax_cache`` (default on) the first Bayesian strategy of a process calls
:func:`enable_caches`, so a later process loads instead of tracing and compiling; configuring
``jax_compilation_cache_dir`` yourself keeps JAX's cache where you put it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

__all__ = ["FileExportStore", "Precompiler", "cache_base", "enable_caches", "shared_precompiler",
           "source_fingerprint"]

#: Persistent-cache threshold (seconds of compilation) when hpo_core owns the JAX cache: the
#: smaller entry points (conditioning with fixed hyperparameters) compile in well under JAX's
#: default of one second and would otherwise be compiled again by every process.
MIN_COMPILE_SECONDS = 0.1


def cache_base() -> Path:
    """``$XDG_CACHE_HOME/hpo_core`` (default ``~/.cache/hpo_core``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hpo_core"


def source_fingerprint() -> str | None:
    """A digest of the :mod:`hpo_core.gp` sources (programs traced from other sources differ),
    or None where they cannot be read (an installation without ``.py`` files)."""
    import hpo_core.gp

    digest = hashlib.sha256()
    try:
        paths = sorted(Path(hpo_core.gp.__file__).parent.glob("*.py"))
        for path in paths:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:16] if paths else None


class FileExportStore:
    """Serialized GP programs as files ``<fingerprint>-<key>.jaxexport`` in ``directory``.

    Reading or writing never raises: an unreadable entry is a miss, a failed write is
    skipped (the program is rebuilt next time). Writes are atomic (temporary file, rename).
    """

    def __init__(self, directory: str | os.PathLike[str], fingerprint: str) -> None:
        self.directory = Path(directory)
        self._prefix = fingerprint

    def _path(self, key: str) -> Path:
        return self.directory / f"{self._prefix}-{key}.jaxexport"

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, blob: bytes) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):  # the directory is missing or not one
                tmp.unlink(missing_ok=True)


_CACHES_SET = False


def enable_caches() -> None:
    """Set up JAX's persistent cache (unless configured) and the program store, once."""
    global _CACHES_SET
    if _CACHES_SET:
        return
    _CACHES_SET = True
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    from hpo_core import gp

    base = cache_base()
    if not getattr(jax.config, "jax_compilation_cache_dir", None):
        cc.reset_cache()  # forget a "no cache" decision taken by an earlier compile
        cc.set_cache_dir(str(base / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    fingerprint = source_fingerprint()
    if fingerprint is not None:  # without one, programs of other code could be read back
        gp.set_export_store(FileExportStore(base / "gp-programs", fingerprint))


class Precompiler:
    """Runs compile jobs one at a time on a background thread, each tag at most once.

    ``errors`` keeps the failures (tag, message): a job that fails costs nothing but time,
    since the call that needs the executable builds it again and raises there if it must.
    """

    def __init__(self) -> None:
        self._jobs: deque[tuple[str, Callable[[], None]]] = deque()
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = False
        self.errors: list[tuple[str, str]] = []

    def submit(self, tag: str, job: Callable[[], None]) -> None:
        """Queue ``job`` unless a job with ``tag`` was queued before."""
        with self._lock:
            if tag in self._seen:
                return
            self._seen.add(tag)
            self._jobs.append((tag, job))
            if not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._run, name="hpo-gp-precompile")
                self._thread.start()

    def wait(self) -> None:
        """Block until every queued job has run (tests, benchmarks)."""
        while True:
            with self._lock:
                thread = self._thread
                if thread is None or not self._running:
                    return
            thread.join()

    def reset(self) -> None:
        """Forget every job (a forked child: the parent's worker thread does not exist there)."""
        self._jobs = deque()
        self._seen = set()
        self._lock = threading.Lock()
        self._thread = None
        self._running = False

    def _run(self) -> None:
        main = threading.main_thread()
        finished = False
        try:
            while True:
                with self._lock:  # the last check and the end of the worker are one step
                    if not self._jobs or not main.is_alive():
                        self._jobs.clear()
                        self._running = False
                        finished = True
                        return
                    tag, job = self._jobs.popleft()
                try:
                    job()
                except Exception as e:  # see the class docstring
                    self.errors.append((tag, f"{type(e).__name__}: {e}"))
        finally:
            if not finished:  # a BaseException ended the worker: a later submit starts one
                with self._lock:
                    self._running = False


_SHARED: Precompiler | None = None


def shared_precompiler() -> Precompiler:
    """The process's one background compiler (executables are shared by every strategy); a
    forked child starts with an empty one."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Precompiler()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_SHARED.reset)
    return _SHARED
