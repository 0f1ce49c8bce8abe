"""What every strategy ``hpo bench`` runs is behind: a :class:`Session` (one run's ask/tell), the
:class:`StrategySpec` that makes one, and :class:`Skip` for a combination that does not apply.

Kept apart from :mod:`.strategies` (the registry) so the peer adapters (:mod:`.peers`,
:mod:`.botorch_peer`) and the registry both import it and not each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hpo_core.benchmarks.problems import Problem

__all__ = ["Session", "Skip", "StrategySpec"]


class Skip(Exception):
    """The strategy does not apply to the problem; ``str(skip)`` says why.

    Whether a strategy applies must depend on the problem only, never on the seed: the runner
    skips every seed of a (problem, strategy) pair at the first Skip.
    """


class Session(Protocol):
    """One optimization run of one strategy on one problem with one seed."""

    @property
    def capacity(self) -> int | None:
        """How many distinct points the strategy can suggest (None: unbounded)."""

    def ask(self) -> tuple[Any, dict[str, Any]]:
        """The next point: ``(token, params)``; the token goes back to :meth:`tell`."""

    def tell(self, token: Any, value: float | None, reason: str | None = None) -> None:
        """Report the objective value of an asked point; None means the evaluation failed."""


@dataclass(frozen=True)
class StrategySpec:
    """A strategy ``hpo bench`` can run.

    Attributes:
        name: the name ``--strategies`` takes (peers: ``library-method``, e.g. ``optuna-tpe``).
        make: ``make(problem, seed) -> Session``; raises :class:`Skip` when the strategy does
            not apply to the problem.
        packages: distributions whose versions go into each run record.
        description: one line for ``hpo bench --help``.
        peer: True for another library's method (the reports compare every strategy with the
            best peer on each problem).
    """

    name: str
    make: Callable[[Problem, int], Session]
    packages: tuple[str, ...]
    description: str
    peer: bool = False
