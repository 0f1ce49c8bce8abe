"""Reading and writing AMT's ``ParameterRanges`` document.

AMT holds every number and categorical value as a string::

    {"IntegerParameterRanges":     [{"Name": "max_depth", "MinValue": "1", "MaxValue": "10",
                                     "ScalingType": "Auto"}],
     "ContinuousParameterRanges":  [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5",
                                     "ScalingType": "Logarithmic"}],
     "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}]}

Categorical values stay the strings AMT holds. This module converts between those entries and
parameter definitions; :class:`~hpo_core.space.SearchSpace` builds on it
(``from_sagemaker`` / ``to_sagemaker``) and remembers the entries it was read from, so a
document read and written again comes back unchanged (number spellings such as ``"1e-3"``,
absent ``ScalingType``, empty lists). Parameters built in Python are written with ``repr`` for
floats and ``str`` for ints.

Hand-written documents may give numbers for range bounds (``"MinValue": 0.1``):
:func:`string_ranges` turns them into the strings AMT holds (``repr`` for floats, ``str`` for
ints), and :func:`params_from_sagemaker` reads ranges through it, so a space remembers (and
exports) the strings. Categorical ``Values`` stay strings only (export alone converts them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpo_core.errors import SearchSpaceError, did_you_mean
from hpo_core.space.parameters import (
    _AMT_SCALING,
    Categorical,
    Continuous,
    Integer,
    Param,
    Static,
    hp_string,
)

__all__ = ["params_from_sagemaker", "params_to_sagemaker", "string_ranges"]

_KINDS = {
    "IntegerParameterRanges": Integer,
    "ContinuousParameterRanges": Continuous,
    "CategoricalParameterRanges": Categorical,
}
_ENTRY_KEYS = {
    Integer: {"Name", "MinValue", "MaxValue", "ScalingType"},
    Continuous: {"Name", "MinValue", "MaxValue", "ScalingType"},
    Categorical: {"Name", "Values"},
}


def _number_string(value: Any) -> Any:
    """A number as the string AMT holds; anything else unchanged (and rejected later)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def string_ranges(parameter_ranges: Any, values: bool = False) -> Any:
    """``ParameterRanges`` with numeric ``MinValue`` / ``MaxValue`` (and, with ``values``,
    categorical ``Values``) written as strings; a copy, entries of another shape are left for
    validation to report."""
    if not isinstance(parameter_ranges, Mapping):
        return parameter_ranges
    out = dict(parameter_ranges)
    for key in _KINDS:
        entries = out.get(key)
        if not isinstance(entries, list):
            continue
        fixed = []
        for entry in entries:
            if isinstance(entry, Mapping):
                entry = dict(entry)
                for bound in ("MinValue", "MaxValue"):
                    if bound in entry:
                        entry[bound] = _number_string(entry[bound])
                items = entry.get("Values")
                if values and isinstance(items, list):
                    entry["Values"] = [str(v).lower() if isinstance(v, bool)
                                       else _number_string(v) for v in items]
            fixed.append(entry)
        out[key] = fixed
    return out


def _string(entry: Mapping[str, Any], key: str, path: str) -> str:
    if key not in entry:
        raise SearchSpaceError(f"{path}.{key}: required field is missing")
    value = entry[key]
    if not isinstance(value, str):
        raise SearchSpaceError(
            f"{path}.{key}: expected a string (AMT holds numbers as strings, e.g. \"0.1\"), "
            f"got {value!r} ({type(value).__name__})")
    return value


def _parse_number(text: str, kind: type, path: str) -> int | float:
    try:
        return int(text) if kind is Integer else float(text)
    except ValueError:
        what = "an integer" if kind is Integer else "a number"
        raise SearchSpaceError(f"{path}: expected a string holding {what}, got {text!r}") from None


def _parse_entry(kind: type, entry: Any, path: str) -> tuple[str, Param]:
    if not isinstance(entry, Mapping):
        raise SearchSpaceError(f"{path}: expected an object, got {type(entry).__name__}")
    unknown = sorted(set(entry) - _ENTRY_KEYS[kind], key=str)
    if unknown:
        hints = "".join(did_you_mean(u, _ENTRY_KEYS[kind]) for u in unknown)
        raise SearchSpaceError(
            f"{path}: unknown field(s) {unknown!r}{hints}; expected "
            f"{sorted(_ENTRY_KEYS[kind])!r}")
    name = _string(entry, "Name", path)
    if not name:
        raise SearchSpaceError(f"{path}.Name: expected a non-empty string, got ''")
    try:
        if kind is Categorical:
            values = entry.get("Values")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SearchSpaceError(f"Values: expected a list of strings, got {values!r}")
            return name, Categorical(values)
        lo = _parse_number(_string(entry, "MinValue", path), kind, f"{path}.MinValue")
        hi = _parse_number(_string(entry, "MaxValue", path), kind, f"{path}.MaxValue")
        scaling = entry.get("ScalingType", "Auto")
        return name, kind(lo, hi, scaling)
    except SearchSpaceError as e:
        raise SearchSpaceError(f"{path} (Name={name!r}): {e}") from None


def params_from_sagemaker(parameter_ranges: Mapping[str, Any],
                          static_hyperparameters: Mapping[str, str] | None,
                          problems: list[SearchSpaceError] | None = None) -> dict[str, Param]:
    """Parameter definitions from AMT's ``ParameterRanges`` and ``StaticHyperParameters``, in
    document order (integer, continuous, categorical ranges, then statics).

    Args:
        problems: when given, a bad range entry or static value is appended here and the
            others are still read (a document reader reports them all at once); the result
            then lacks the bad entries.

    Raises:
        SearchSpaceError: an entry that is not AMT's shape, naming its field path (the
            first one, when ``problems`` is None).
    """
    def problem(error: SearchSpaceError) -> None:
        if problems is None:
            raise error
        problems.append(error)

    if not isinstance(parameter_ranges, Mapping):
        raise SearchSpaceError(
            f"ParameterRanges: expected an object, got {type(parameter_ranges).__name__}")
    parameter_ranges = string_ranges(parameter_ranges)
    if "AutoParameters" in parameter_ranges:
        raise SearchSpaceError(
            "ParameterRanges.AutoParameters: not supported; give explicit ranges instead")
    unknown = sorted(set(parameter_ranges) - set(_KINDS), key=str)
    if unknown:
        hints = "".join(did_you_mean(u, _KINDS) for u in unknown)
        raise SearchSpaceError(
            f"ParameterRanges: unknown field(s) {unknown!r}{hints}; expected {sorted(_KINDS)!r}")
    params: dict[str, Param] = {}
    for key, kind in _KINDS.items():
        entries = parameter_ranges.get(key, [])
        if not isinstance(entries, list):
            raise SearchSpaceError(
                f"ParameterRanges.{key}: expected a list, got {type(entries).__name__}")
        for i, entry in enumerate(entries):
            try:
                name, param = _parse_entry(kind, entry, f"ParameterRanges.{key}[{i}]")
            except SearchSpaceError as e:
                problem(e)
                continue
            if name in params:
                problem(SearchSpaceError(
                    f"ParameterRanges.{key}[{i}].Name: duplicate parameter name {name!r}"))
                continue
            params[name] = param
    statics = static_hyperparameters or {}
    if not isinstance(statics, Mapping):
        raise SearchSpaceError(
            f"StaticHyperParameters: expected an object, got {type(statics).__name__}")
    for name, value in statics.items():
        if not isinstance(name, str) or not isinstance(value, str):
            problem(SearchSpaceError(
                f"StaticHyperParameters[{name!r}]: expected string names and string values, "
                f"got {value!r} ({type(value).__name__})"))
        elif name in params:
            problem(SearchSpaceError(
                f"StaticHyperParameters[{name!r}]: also defined in ParameterRanges; a "
                "hyperparameter is either tuned or static"))
        else:
            try:
                params[name] = Static(value)
            except SearchSpaceError as e:
                problem(SearchSpaceError(f"StaticHyperParameters[{name!r}]: {e}"))
    return params


def _number_text(x: int | float) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


def _entry(name: str, p: Param) -> dict[str, Any]:
    if isinstance(p, Categorical):
        return {"Name": name, "Values": [hp_string(v) for v in p.values]}
    assert isinstance(p, Continuous | Integer)
    return {"Name": name, "MinValue": _number_text(p.min_value),
            "MaxValue": _number_text(p.max_value), "ScalingType": _AMT_SCALING[p.scaling]}


def params_to_sagemaker(params: Mapping[str, Param]) -> dict[str, Any]:
    """AMT's ``ParameterRanges`` for these definitions (Static parameters are left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, kind in _KINDS.items():
        entries = [_entry(n, p) for n, p in params.items() if type(p) is kind]
        if entries:
            out[key] = entries
    return out
