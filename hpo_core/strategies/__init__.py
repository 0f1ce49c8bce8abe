"""Search strategies behind the Optimizer: each small, each with the same interface
(:class:`hpo_core.strategies.base.Strategy`)."""

from __future__ import annotations

from typing import Any

from hpo_core.errors import OptimizerError
from hpo_core.space import SearchSpace
from hpo_core.strategies.base import History, Strategy, rng_for

__all__ = ["AVAILABLE", "PLANNED", "History", "Strategy", "make_strategy", "rng_for"]

AVAILABLE = ("random", "grid", "bayesian", "hyperband")
#: Named by the API but not built yet: asking for one is a clear error.
PLANNED: dict[str, str] = {}


def _known_options(name: str, options: dict[str, Any], known: set[str]) -> dict[str, Any]:
    unknown = sorted(set(options) - known)
    if unknown:
        raise OptimizerError(f"strategy {name!r}: unknown option(s) {unknown!r}; expected "
                             f"{sorted(known)!r}")
    return options


# The strategy modules are imported when one is made: the Bayesian one brings JAX (seconds
# to import), and most processes use one strategy only.
def make_strategy(name: Any, space: SearchSpace, seed: int, options: dict[str, Any]) -> Strategy:
    """Build strategy ``name`` (case-insensitive) with its options."""
    key = name.lower() if isinstance(name, str) else name
    if key == "random":
        if options:
            raise OptimizerError(f"strategy 'random': unknown option(s) {sorted(options)!r}; "
                                 "it takes none")
        from hpo_core.strategies.random import RandomStrategy

        return RandomStrategy(space, seed)
    if key == "grid":
        from hpo_core.strategies.grid import GridStrategy, check_grid_options

        check_grid_options(options)
        return GridStrategy(space, seed, **options)
    if key == "bayesian":
        from hpo_core.strategies.bayesian import BayesianStrategy, check_bayesian_options

        check_bayesian_options(options)
        return BayesianStrategy(space, seed, **options)
    if key == "hyperband":
        from hpo_core.strategies.hyperband import HyperbandStrategy

        return HyperbandStrategy(space, seed, **_known_options("hyperband", options, {
            "max_resource", "min_resource", "eta", "mode", "n_brackets", "sampler",
            "model_state", "bracket_weights", "uniform_share"}))
    if key in PLANNED:
        raise OptimizerError(
            f"strategy {name!r}: {PLANNED[key]} is not available in this version yet; "
            f"available: {', '.join(AVAILABLE)}")
    raise OptimizerError(
        f"strategy: unknown strategy {name!r}; expected one of {', '.join(AVAILABLE)}")
