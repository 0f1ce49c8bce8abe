"""hpo_core: hyperparameter optimization with the SageMaker AMT job model.

Public API::

    from hpo_core import SearchSpace, Continuous, Integer, Categorical, Static, Optimizer
"""

from __future__ import annotations

from hpo_core.errors import HPOError, OptimizerError, SearchSpaceError
from hpo_core.optimizer import Optimizer, Trial
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static, hp_string


def __getattr__(name: str) -> object:
    """``hpo_core.TuningJob`` is imported on first use (it pulls in the job machinery)."""
    if name == "TuningJob":
        from hpo_core.jobs.tuning_job import TuningJob

        return TuningJob
    raise AttributeError(f"module 'hpo_core' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "Continuous",
    "HPOError",
    "Integer",
    "Optimizer",
    "OptimizerError",
    "SearchSpace",
    "SearchSpaceError",
    "Static",
    "Trial",
    "TuningJob",
    "__version__",
    "hp_string",
]
