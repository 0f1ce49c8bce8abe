"""Which strings can travel: parameter names and string values end up in JSON files, SQLite
rows, environment variables and argv, so they must encode as UTF-8 and hold no NUL.

:func:`text_problem` says what is wrong with a string (None when it is fine); the space uses it
for names and values, the job document (:mod:`hpo_core.jobs.names`) for every string it reads.
"""

from __future__ import annotations

__all__ = ["text_problem"]


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be written to a file, an environment variable or argv, or None.

    Two things break them all: a NUL character (C strings end there) and a lone surrogate
    such as ``"\\ud800"`` (from a JSON escape; it has no UTF-8 encoding).
    """
    at = text.find("\x00")
    if at >= 0:
        return f"contains a NUL character at index {at}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return (f"contains a lone surrogate {text[e.start]!r} at index {e.start}: not "
                "encodable as UTF-8")
    return None
