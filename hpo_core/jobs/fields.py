"""Typed readers for job-document fields: each checks one value and raises
:class:`~hpo_core.errors.JobConfigError` naming the field path, the value received and what
was expected. Used by :mod:`hpo_core.jobs.document`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from hpo_core.errors import JobConfigError, describe, did_you_mean, suggestion
from hpo_core.jobs.problems import Recorded, report

__all__ = ["Obj", "show"]

_MISSING = object()


def show(value: Any) -> str:
    """A short description of a received value: ``"3x" (str)``."""
    return describe(value)


class Obj:
    """A JSON object at ``path`` whose fields are read (and ticked off) one by one.

    Args:
        value: the received value (must be a mapping).
        path: its field path (``""`` for the document itself).
        allowed: every field name the object may hold; anything else is an error.
    """

    def __init__(self, value: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(value, Mapping):
            raise JobConfigError(path, f"expected an object, got {show(value)}")
        self.path = path
        self.data = value
        # A list keeps its own membership test (AnyKeys accepts every key).
        allowed = allowed if isinstance(allowed, list) else list(allowed)
        #: allowed name -> the unknown name that looks like a misspelling of it
        self.misspelled: dict[str, str] = {}
        for key in value:  # every unknown name is one problem; the known fields are still read
            if not isinstance(key, str) or key not in allowed:
                hint = suggestion(key, allowed)
                if hint is not None and hint not in value:
                    self.misspelled[hint] = str(key)
                report(JobConfigError(self.at(str(key)), "unknown field" + (
                    f" (did you mean {hint!r}?)" if hint else "") +
                    f"; expected one of {sorted(allowed)}"))

    def at(self, key: str) -> str:
        """The path of field ``key``."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, required: bool = False, default: Any = None) -> Any:
        if key not in self.data:
            if required and key in self.misspelled:  # reported as the misspelled name
                raise Recorded()
            if required:
                raise JobConfigError(self.at(key), "required field is missing")
            return default
        return self.data[key]

    def obj(self, key: str, allowed: Iterable[str], required: bool = False) -> Obj | None:
        value = self.raw(key, required, _MISSING)
        return None if value is _MISSING else Obj(value, self.at(key), allowed)

    def string(self, key: str, required: bool = False, default: str | None = None,
               pattern: str | None = None, what: str = "") -> str | None:
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not value:
            raise JobConfigError(self.at(key), f"expected a non-empty string, got {show(value)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise JobConfigError(self.at(key), f"expected {what or 'a string matching ' + pattern}"
                                 f", got {value!r}")
        return value

    def enum(self, key: str, choices: Iterable[str], required: bool = False,
             default: str | None = None) -> str | None:
        choices = list(choices)
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return default
        if value not in choices:
            raise JobConfigError(self.at(key), f"expected one of {choices}, got {show(value)}"
                                 + did_you_mean(value, choices))
        return value

    def integer(self, key: str, lo: int | None = None, hi: int | None = None,
                required: bool = False, default: int | None = None) -> int | None:
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return default
        return check_int(value, self.at(key), lo, hi)

    def number(self, key: str, required: bool = False) -> float | None:
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value \
                or value in (float("inf"), float("-inf")):
            raise JobConfigError(self.at(key), f"expected a finite number, got {show(value)}")
        return float(value)

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw(key, False, _MISSING)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise JobConfigError(self.at(key), f"expected true or false, got {show(value)}")
        return value

    def items(self, key: str, required: bool = False, lo: int = 0,
              hi: int | None = None) -> list[tuple[str, Any]]:
        """A list field as ``[(path of item i, item i), ...]``, with a length check."""
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return []
        path = self.at(key)
        if not isinstance(value, list):
            raise JobConfigError(path, f"expected a list, got {show(value)}")
        if len(value) < lo or (hi is not None and len(value) > hi):
            bounds = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
            raise JobConfigError(path, f"expected {bounds} items, got {len(value)}")
        return [(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def strings(self, key: str, required: bool = False, lo: int = 0) -> list[str] | None:
        value = self.raw(key, required, _MISSING)
        if value is _MISSING:
            return None
        path = self.at(key)
        if not isinstance(value, list) or len(value) < lo:
            raise JobConfigError(path, f"expected a list of at least {lo} non-empty strings, "
                                 f"got {show(value)}")
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v:
                raise JobConfigError(f"{path}[{i}]", f"expected a non-empty string, got "
                                     f"{show(v)}")
        return list(value)

    def string_map(self, key: str) -> dict[str, str]:
        """An object of string -> string (StaticHyperParameters, Environment, ...)."""
        value = self.raw(key, False, _MISSING)
        if value is _MISSING:
            return {}
        path = self.at(key)
        if not isinstance(value, Mapping):
            raise JobConfigError(path, f"expected an object of string values, got {show(value)}")
        for k, v in value.items():
            if not isinstance(v, str):
                raise JobConfigError(f"{path}.{k}", f"expected a string (AMT holds every value "
                                     f"as a string, e.g. \"3\"), got {show(v)}")
        return dict(value)


def check_int(value: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (not a bool, not a float, not a string) within ``[lo, hi]``."""
    bounds = (f" >= {lo}" if hi is None else f" in [{lo}, {hi}]") if lo is not None else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise JobConfigError(path, f"expected an integer{bounds}, got {show(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise JobConfigError(path, f"expected an integer{bounds}, got {value}")
    return value
