"""Tuning-job errors, kept importable from their first home; they live in
:mod:`hpo_core.errors`, the one hierarchy."""

from __future__ import annotations

from hpo_core.errors import ACTIONS, ExecutionError, JobConfigError, JobStateError

__all__ = ["ACTIONS", "ExecutionError", "JobConfigError", "JobStateError"]
