"""hpo_core: hyperparameter optimization with the SageMaker AMT job model.

Public API::

    from hpo_core import SearchSpace, Continuous, Integer, Categorical, Static, Optimizer
"""

from __future__ import annotations

from hpo_core.errors import HPOError, OptimizerError, SearchSpaceError
from hpo_core.optimizer import Optimizer, Trial
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static, hp_string

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
    "__version__",
    "hp_string",
]
