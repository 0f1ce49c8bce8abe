"""What the job document's strings may hold where they reach the environment and the file system.

A training job sees its hyperparameters as ``SM_HP_<NAME>`` variables and in
``hyperparameters.json``, its Environment as variables, its channels as
``input/data/<channel>`` links and ``SM_CHANNEL_<NAME>`` variables. The rules, checked when the
document is read (before anything runs), each raising
:class:`~hpo_core.errors.JobConfigError` with the field path, the value (repr) and what was
expected:

- every string of the document, keys included: no NUL, encodable as UTF-8
  (:func:`check_document_text`);
- hyperparameter names: at most 256 characters (SageMaker's ``ParameterKey``), no ``=`` (it
  ends an environment variable's name), no control or format characters (SageMaker's
  ``ParameterName`` allows letters, marks, separators, symbols, numbers, punctuation);
- Environment keys: SageMaker's ``[a-zA-Z_][a-zA-Z0-9_]*``, at most 512 characters;
- channel names: SageMaker's ``ChannelName``, ``[A-Za-z0-9.-_]{1,64}``, and not ``.`` or
  ``..``: one path component inside ``input/data``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from hpo_core.errors import JobConfigError
from hpo_core.space.text import text_problem

__all__ = ["check_channel_name", "check_document_text", "check_environment_key",
           "check_hyperparameter_name", "check_path_text", "key_path"]

_CHANNEL = re.compile(r"[A-Za-z0-9.\-_]{1,64}")
_ENV_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,511}")
_HP_NAME_MAX = 256
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_:\-]+")


def key_path(parent: str, key: Any) -> str:
    """The path of field ``key`` of ``parent``: ``parent.key``, or ``parent['../x']`` for a key
    that is not a plain word (so a path never holds a dot, a slash or a line break of its own
    making)."""
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{_short(key)}]"


def check_document_text(doc: Any) -> None:
    """Every string of ``doc`` (keys too, at any depth): no NUL, encodable as UTF-8.

    The walk keeps its own stack, so a deeply nested document cannot exhaust Python's.
    """
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise JobConfigError(path, f"expected text usable in files and environment "
                                     f"variables, got {_short(value)}: it {problem}")
        elif isinstance(value, Mapping):
            items = list(value.items())
            for key, item in reversed(items):
                problem = text_problem(key) if isinstance(key, str) else None
                if problem is not None:
                    raise JobConfigError(path, f"field name {_short(key)} {problem}; expected "
                                         "text usable in files and environment variables")
                stack.append((key_path(path, key), item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))


def check_path_text(value: Any, path: str) -> None:
    """A path given outside the document (``directory=``, ``hpo tune --dir``)."""
    text = value if isinstance(value, str) else str(value)
    problem = text_problem(text)
    if problem is not None:
        raise JobConfigError(path, f"expected a usable path, got {_short(text)}: it {problem}")


def check_channel_name(name: Any, path: str) -> str:
    """A channel name: one path component inside ``input/data`` (SageMaker's pattern)."""
    if not isinstance(name, str) or not _CHANNEL.fullmatch(name) or name in (".", ".."):
        raise JobConfigError(path, "expected a channel name of 1-64 letters, digits, '.', '-' "
                             f"and '_', not '.' or '..' (one folder inside input/data), got "
                             f"{_short(name)}")
    return name


def check_environment_key(key: Any, path: str) -> str:
    """An Environment variable name (SageMaker's pattern)."""
    if not isinstance(key, str) or not _ENV_KEY.fullmatch(key):
        raise JobConfigError(path, "expected an environment variable name: a letter or '_', "
                             f"then letters, digits and '_' (at most 512), got {_short(key)}")
    return key


def check_hyperparameter_name(name: str, path: str) -> str:
    """A hyperparameter name usable as the suffix of ``SM_HP_<NAME>`` and in JSON files."""
    bad = next((c for c in name if c == "=" or unicodedata.category(c) in ("Cc", "Cf")), None)
    if len(name) > _HP_NAME_MAX or bad is not None:
        why = (f"it has {len(name)} characters" if bad is None else
               f"it contains {bad!r}")
        raise JobConfigError(path, f"expected a hyperparameter name of at most {_HP_NAME_MAX} "
                             "characters without '=' or control characters (it becomes the "
                             f"environment variable SM_HP_<NAME>), got {_short(name)}: {why}")
    return name


def _short(text: Any) -> str:
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."
