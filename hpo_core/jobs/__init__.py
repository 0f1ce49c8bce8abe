"""Tuning jobs: the AMT job document, the durable trial store, metric scraping, the rules
(limits, early stopping, completion, warm start) and the engine that runs training jobs.

Modules, lowest first: :mod:`.fields` and :mod:`.sections` (document validation helpers),
:mod:`.patterns` (RE2 / time-budgeted regexes), :mod:`.metrics` (regex/JSON metric
scraping), :mod:`.feed` (reader threads -> loop, bounded), :mod:`.jobdir` (layout, storage
checks), :mod:`.store` (SQLite), :mod:`.rules`,
:mod:`.document` (the parsed :class:`~hpo_core.jobs.document.JobSpec`), :mod:`.warm`,
:mod:`.views` (describe / summaries / progress), :mod:`.run_table`, :mod:`.engine`,
:mod:`.tuning_job` (:class:`TuningJob`, the public entry point), :mod:`.amt_export`.
"""

from __future__ import annotations

from hpo_core.jobs.tuning_job import TuningJob

__all__ = ["TuningJob"]
