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
    "JobStateError",
    "OptimizerError",
    "ReportDependencyError",
    "ReportError",
    "SearchSpaceError",
    "StorageError",
    "describe",
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
