"""The PSI simulation engine (DESIGN §9): a pure library, no I/O.

``simulate(config, seed=..., run_id=...)`` compiles the canonical config into arrays over
node-item pairs, runs the daily loop (vectorised across pairs, echelon by echelon) and
returns a :class:`SimulationOutput` with the RunSummary and the compressed daily results.
"""

from collections.abc import Callable

from contracts.canonical import CanonicalConfig

from .costs import account
from .errors import SimulationInputError
from .loop import run
from .network import build
from .output import SimulationOutput
from .summary import summarise

__all__ = ["SimulationInputError", "SimulationOutput", "simulate"]


def simulate(config: CanonicalConfig, *, seed: int, run_id: str,
             on_progress: Callable[[int, int], None] | None = None) -> SimulationOutput:
    """Simulate ``config`` day by day. ``on_progress(day, planning_days)`` is called at
    least every 10% of the horizon and on the last day. Raises SimulationInputError for a
    config that cannot be simulated."""
    network = build(config, seed)
    state = run(network, on_progress)
    pnl, blocks = account(network, state)
    return SimulationOutput(run_id=run_id, network=network, state=state, pnl=pnl, blocks=blocks,
                            summary=summarise(network, state, pnl))
