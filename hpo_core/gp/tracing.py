"""Compiled entry points of :mod:`hpo_core.gp`: one executable per argument signature, a
compile counter, ahead-of-time compilation and a pluggable store of traced programs.

Every entry point (:func:`entry_point`) keeps one compiled executable per signature (the tree
structure, shapes and dtypes of its array arguments plus its static arguments). Building one
takes three steps: trace and lower the Python function to a program (``jax.export``; about half
a second of Python for the model fit), compile the program (seconds; JAX's persistent
compilation cache turns this into a load when it is configured), and keep the result. A store
(:func:`set_export_store`, supplied by the caller: this package reads no file) keeps the
serialized programs, so a later process skips the tracing as well. Where exporting fails (an
old JAX, a construct ``jax.export`` refuses), the entry point falls back to ``jax.jit`` alone
and :func:`export_fallbacks` says which did.

:meth:`EntryPoint.precompile` builds the executable of a signature without running it, so a
caller may compile the entry points of an upcoming size bucket on another thread; a call that
needs an executable another thread is building waits for it instead of building it twice.

The counter grows once per trace (a real compilation, or a persistent-cache hit after tracing),
never on a cached call and never when the program came from the store; tests and benchmarks
read it to check that observations padded to one size bucket do not recompile. It is
diagnostics only: no result depends on it.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

import jax

__all__ = ["COMPILER_OPTIONS", "OPTIONAL_COMPILER_OPTIONS", "EntryPoint", "ExportStore",
           "build_counts", "compile_counts", "compiler_options", "count_trace",
           "entry_point", "export_fallbacks", "reset_compile_counts", "serializable",
           "set_export_store"]

#: XLA options of every entry point. Measured on a 2-core machine (fit, N=128, d=6): the
#: default pipeline compiled in 8.4 s and ran in 92 ms; level 1 without LLVM's expensive
#: passes compiled in 4.9 s and ran in 95 ms (the work is LAPACK/BLAS calls, which LLVM does
#: not touch); level 0 compiled in 3.3 s but ran 9x slower.
COMPILER_OPTIONS = {"xla_backend_optimization_level": 1,
                    "xla_llvm_disable_expensive_passes": True}
#: Options used where this XLA knows them. Without the newer fusion emitters the fit (N=16,
#: d=6) compiled in 1.1 s instead of 2.1 s and the acquisition optimizer (N=96) in 1.5 s
#: instead of 2.1 s, with the same results and run times (2-core machine, XLA of JAX 0.10).
OPTIONAL_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False}

_COUNTS: dict[str, int] = {}
_BUILDS: dict[str, int] = {}
_FALLBACKS: dict[str, str] = {}


class ExportStore(Protocol):
    """Where serialized programs are kept between processes (bytes by key). A key names the
    entry point, the argument signature, JAX's version, backend and configuration, but not
    the version of hpo_core's own code: a store must keep the programs of different code
    apart (:class:`hpo_core.strategies.gp_cache.FileExportStore` prefixes a digest of the
    sources). ``get`` and ``put`` may fail: a failure is a miss, or a program not kept."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, blob: bytes) -> None: ...


_STORE: ExportStore | None = None
# Tracing is Python (it holds the GIL); compiling is not. Two threads tracing at once
# interleave and both finish late; one at a time, the first compiles while the second traces.
_TRACE_LOCK = threading.RLock()


def set_export_store(store: ExportStore | None) -> None:
    """Use ``store`` for serialized programs from now on (``None``: keep them in memory only)."""
    global _STORE
    _STORE = store


_OPTIONS: dict[str, Any] | None = None


def compiler_options() -> dict[str, Any]:
    """:data:`COMPILER_OPTIONS` plus those of :data:`OPTIONAL_COMPILER_OPTIONS` this XLA
    accepts (checked once, on a one-line program)."""
    global _OPTIONS
    if _OPTIONS is None:
        options = dict(COMPILER_OPTIONS)
        for name, value in OPTIONAL_COMPILER_OPTIONS.items():
            trial = {**options, name: value}
            try:
                jax.jit(lambda v: v + 1, compiler_options=trial).lower(1.0).compile()
            except Exception:  # an XLA that does not know the option
                continue
            options = trial
        _OPTIONS = options
    return dict(_OPTIONS)


def count_trace(name: str) -> None:
    """Record one trace of entry point ``name`` (call it inside the traced function)."""
    _COUNTS[name] = _COUNTS.get(name, 0) + 1


def serializable(cls: Any) -> Any:
    """Class decorator: let ``jax.export`` serialize tree structures holding the NamedTuple
    ``cls`` (a no-op where this JAX lacks the registry)."""
    try:
        from jax import export

        export.register_namedtuple_serialization(cls, serialized_name=f"hpo_core.{cls.__name__}")
    except (ImportError, AttributeError, ValueError):  # older JAX; or registered already
        pass
    return cls


def _as_array(leaf: Any) -> Any:
    return leaf if isinstance(leaf, jax.Array | jax.ShapeDtypeStruct) else jax.numpy.asarray(leaf)


def _abstract(leaf: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(leaf.shape, leaf.dtype,
                                weak_type=bool(getattr(leaf, "weak_type", False)))


def _config_key() -> tuple[Any, ...]:
    """JAX's configuration as tracing sees it (x64, PRNG implementation, promotion rules...):
    a program traced under other settings may compute something else. Only plain values are
    kept (the list also holds objects whose ``repr`` differs between processes)."""
    try:
        from jax._src import config as jax_config

        values = tuple(jax_config.trace_context())
    except Exception:  # a JAX without it: the one flag the GP depends on
        return (bool(jax.config.read("jax_enable_x64")),)

    def plain(v: Any) -> Any:
        if v is None or isinstance(v, bool | int | float | str | enum.Enum):
            return v
        if isinstance(v, tuple) and all(isinstance(x, bool | int | float | str) for x in v):
            return v
        return type(v).__name__

    return tuple(plain(v) for v in values)


def _signature(args: tuple[Any, ...], dynamic: dict[str, Any],
               static: tuple[tuple[str, Any], ...]) -> tuple[Any, ...]:
    leaves, tree = jax.tree.flatten((args, dynamic))
    avals = tuple((tuple(x.shape), str(x.dtype), bool(getattr(x, "weak_type", False)))
                  for x in leaves)
    return tree, avals, static, _config_key()


_ENTRY_POINTS: list[EntryPoint] = []


class EntryPoint:
    """A jitted function with one executable per signature (see the module docstring).

    Called with concrete arrays it runs the executable of their signature, building it first
    if needed; called with tracers (inside another entry point, or under a caller's own
    ``jax.jit``/``vmap``/``grad``) it runs the Python function itself, since XLA options may
    only be set on the outermost compiled function.
    """

    def __init__(self, fun: Callable[..., Any], static_argnames: tuple[str, ...]) -> None:
        self.fun = fun
        self.name = fun.__name__.lstrip("_")
        self._static = static_argnames

        def counted(*args: Any, **kwargs: Any) -> Any:
            count_trace(self.name)
            return fun(*args, **kwargs)

        self.jitted = jax.jit(counted, static_argnames=static_argnames)  # traced, not compiled
        self._ready: dict[tuple[Any, ...], Any] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        functools.update_wrapper(self, fun)
        _ENTRY_POINTS.append(self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves((args, kwargs))):
            return self.fun(*args, **kwargs)
        args, dynamic, static = self._split(args, kwargs)
        return self._executable(args, dynamic, static)(*args, **dynamic)

    def precompile(self, *args: Any, stored_only: bool = False, **kwargs: Any) -> bool:
        """Build the executable for these arguments (arrays or ``jax.ShapeDtypeStruct``)
        without running it; thread-safe, and a no-op when it exists. With ``stored_only``,
        build only from a program the store holds (a load, not a compilation, when JAX's
        persistent cache has it too). Returns whether the executable exists now."""
        args, dynamic, static = self._split(args, kwargs)
        sig = _signature(args, dynamic, static)
        if stored_only and self._ready.get(sig) is None:
            store = _STORE
            if store is None or _store_get(store, self._store_key(sig)) is None:
                return False
        self._executable(args, dynamic, static)
        return True

    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[
            tuple[Any, ...], dict[str, Any], tuple[tuple[str, Any], ...]]:
        static = tuple(sorted((k, v) for k, v in kwargs.items() if k in self._static))
        dynamic = {k: v for k, v in kwargs.items() if k not in self._static}
        args, dynamic = jax.tree.map(_as_array, (args, dynamic))
        return args, dynamic, static

    def _executable(self, args: tuple[Any, ...], dynamic: dict[str, Any],
                    static: tuple[tuple[str, Any], ...]) -> Any:
        sig = _signature(args, dynamic, static)
        ready = self._ready.get(sig)
        if ready is not None:
            return ready
        with self._guard:
            lock = self._locks.setdefault(sig, threading.Lock())
        with lock:  # a second caller of the same signature waits for the first one's build
            ready = self._ready.get(sig)
            if ready is None:
                # Lower from shapes alone: a program built for a call and one built ahead
                # from shapes are then the same, and so are their persistent-cache entries.
                args, dynamic = jax.tree.map(_abstract, (args, dynamic))
                ready = self._build(sig, args, dynamic, dict(static))
                _BUILDS[self.name] = _BUILDS.get(self.name, 0) + 1
                self._ready[sig] = ready
        return ready

    def _build(self, sig: tuple[Any, ...], args: tuple[Any, ...], dynamic: dict[str, Any],
               static: dict[str, Any]) -> Any:
        from_store = False
        try:
            exported, from_store = self._exported(sig, args, dynamic, static, use_store=True)
            return self._compile(exported, args, dynamic)
        except Exception as e:  # an export failure, or a stored program that does not fit
            failure: Exception = e
        if from_store:  # trace the program again, replacing the stored one
            try:
                exported, _ = self._exported(sig, args, dynamic, static, use_store=False)
                return self._compile(exported, args, dynamic)
            except Exception as e:
                failure = e
        _FALLBACKS[self.name] = f"{type(failure).__name__}: {failure}"
        jitted = jax.jit(self.jitted, compiler_options=compiler_options(),
                         static_argnames=self._static)
        return jitted.lower(*args, **dynamic, **static).compile()

    @staticmethod
    def _compile(exported: Any, args: tuple[Any, ...], dynamic: dict[str, Any]) -> Any:
        return jax.jit(exported.call, compiler_options=compiler_options()).lower(
            *args, **dynamic).compile()

    def _store_key(self, sig: tuple[Any, ...]) -> str:
        text = repr((self.name, str(sig[0]), sig[1:], jax.__version__, jax.default_backend()))
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:40]}"

    def _exported(self, sig: tuple[Any, ...], args: tuple[Any, ...], dynamic: dict[str, Any],
                  static: dict[str, Any], use_store: bool) -> tuple[Any, bool]:
        """``(program, whether it came from the store)``."""
        from jax import export

        store = _STORE
        key = self._store_key(sig)
        if store is not None and use_store:
            blob = _store_get(store, key)
            if blob is not None:
                try:
                    return export.deserialize(bytearray(blob)), True
                except Exception:  # a damaged entry is rebuilt below
                    pass
        with _TRACE_LOCK:
            exported = export.export(self.jitted)(*args, **dynamic, **static)
        if store is not None:
            with contextlib.suppress(Exception):  # not kept: the program is still good
                store.put(key, bytes(exported.serialize()))
        return exported, False


def _store_get(store: ExportStore, key: str) -> bytes | None:
    try:
        return store.get(key)
    except Exception:  # an unreadable store is a miss
        return None


def _after_fork_in_child() -> None:
    """A forked child starts with fresh locks: one held by another thread at the fork
    would never be released there."""
    global _TRACE_LOCK
    _TRACE_LOCK = threading.RLock()
    for ep in _ENTRY_POINTS:
        ep._guard = threading.Lock()
        ep._locks = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def entry_point(fun: Any = None, *, static_argnames: tuple[str, ...] = ()) -> Any:
    """Decorator: make ``fun`` an :class:`EntryPoint` (see the module docstring)."""
    if fun is None:
        return functools.partial(entry_point, static_argnames=static_argnames)
    return EntryPoint(fun, static_argnames)


def compile_counts() -> dict[str, int]:
    """Traces so far per entry point, e.g. ``{"fit": 3, "posterior": 1}``."""
    return dict(_COUNTS)


def build_counts() -> dict[str, int]:
    """Executables built so far per entry point, whether traced, loaded from the store or
    compiled without a program (``compile_counts`` counts traces only)."""
    return dict(_BUILDS)


def export_fallbacks() -> dict[str, str]:
    """Entry points that could not be exported (and were compiled by ``jax.jit`` alone), with
    the reason: empty when every program could be stored."""
    return dict(_FALLBACKS)


def reset_compile_counts() -> None:
    """Zero every counter (tests)."""
    _COUNTS.clear()
    _BUILDS.clear()

