"""One exception hierarchy for hpo_core.

Every error the library raises on purpose derives from :class:`HPOError`. Each subclass also
derives from the builtin a caller would naturally catch (``ValueError`` for bad input), so
``except ValueError`` keeps working for code that does not know about hpo_core.

Execution errors (added by the adapters) say what the caller should do next: retry, mark the
trial failed, or abort the job.
"""

from __future__ import annotations

__all__ = [
    "ACTIONS",
    "ExecutionError",
    "HPOError",
    "JobConfigError",
    "JobConfigErrors",
    "JobStateError",
    "OptimizerError",
    "ReportDependencyError",
    "ReportError",
    "SearchSpaceError",
    "StorageError",
    "describe",
    "did_you_mean",
    "suggestion",
]

def describe(value: object) -> str:
    """A received value for an error message: its repr (cut to 60 characters) and type,
    ``'3x' (str)``."""
    try:
        text = repr(value)
    except RecursionError:
        text = "<nested too deeply to show>"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def suggestion(word: object, choices: object) -> str | None:
    """The one of ``choices`` that ``word`` most likely meant: the same name in another case,
    the only name it begins (3 characters at least), else the closest by difflib's ratio
    (>= 0.6, compared in lower case); None when nothing is close."""
    import difflib

    if not isinstance(word, str) or not word:
        return None
    names = [c for c in choices if isinstance(c, str)]  # type: ignore[attr-defined]
    low = word.lower()
    by_lower = {c.lower(): c for c in names}
    if low in by_lower:
        return by_lower[low] if by_lower[low] != word else None
    starts = [c for c in names if len(low) >= 3 and c.lower().startswith(low)]
    if len(starts) == 1:
        return starts[0]
    found = difflib.get_close_matches(low, list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def did_you_mean(word: object, choices: object) -> str:
    """``" (did you mean 'X'?)"`` for :func:`suggestion`, or ``""``."""
    hint = suggestion(word, choices)
    return f" (did you mean {hint!r}?)" if hint else ""


#: What the tuner does with an :class:`ExecutionError`.
ACTIONS = ("retry", "fail_trial", "abort")


class HPOError(Exception):
    """Root of every error raised by hpo_core."""


class SearchSpaceError(HPOError, ValueError):
    """An invalid search-space definition, or a point that does not belong to the space."""


class OptimizerError(HPOError, ValueError):
    """A misuse of the ask/tell API: unknown or already-told trial, bad value, exhausted space,
    unreadable saved state."""


class JobConfigError(HPOError, ValueError):
    """An invalid tuning-job document. ``path`` names the field (``""`` for the whole document),
    e.g. ``HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs``.

    Args:
        path: dotted field path, list items as ``[i]``.
        message: what was received and what was expected.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


class JobConfigErrors(JobConfigError):
    """Several problems of one job document, found in one pass (document order as read).
    ``errors`` holds each one; ``path`` is the first one's."""

    errors: tuple[JobConfigError, ...]

    def __init__(self, errors: list[JobConfigError]) -> None:
        flat: list[JobConfigError] = []
        for e in errors:
            flat.extend(e.errors if isinstance(e, JobConfigErrors) else [e])
        self.errors = tuple(flat)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(self.errors[0].path, self.errors[0].detail)
        self.args = (f"{len(self.errors)} problems in the job document:\n{lines}",)

    def __str__(self) -> str:
        return str(self.args[0])


class ExecutionError(HPOError, RuntimeError):
    """A training job could not be run. ``action`` tells the tuner what to do next:

    - ``"retry"``: transient (resources, a signal the tuner did not send): run it again if the
      definition's RetryStrategy allows;
    - ``"fail_trial"``: this training job failed; record the reason and go on;
    - ``"abort"``: a configuration problem every training job would hit (the command does not
      exist, ...): end the tuning job with this message.
    """

    def __init__(self, message: str, action: str = "fail_trial") -> None:
        if action not in ACTIONS:
            raise ValueError(f"ExecutionError.action: expected one of {ACTIONS}, got {action!r}")
        self.action = action
        super().__init__(message)


class JobStateError(HPOError, RuntimeError):
    """The job directory cannot be used as asked: locked by another tuner, holding a different
    job, not a job directory, or written by a newer hpo_core."""


class StorageError(JobStateError):
    """The job directory's storage failed or cannot be trusted: a damaged, empty or stale store
    (one that lost transactions), a full disk, a read-only file system. The message names the
    file and says what to do; after a full disk the job is resumable once space is freed."""


class ReportError(HPOError, ValueError):
    """A source that analytics or the report cannot read, or a bad report option."""


class ReportDependencyError(ReportError, ImportError):
    """An optional package of the ``report`` extra is missing."""
