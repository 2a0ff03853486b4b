"""The PSI simulation engine (DESIGN §9): a pure library, no I/O.

``simulate(config, seed=..., run_id=..., supply_plan=...)`` compiles the canonical config (and
the supply plan the run executes, supply.py) into arrays over node-item pairs, runs the daily
loop (vectorised across pairs, echelon by echelon) and returns a :class:`SimulationOutput` with
the RunSummary, the compressed daily results and how the run held up against its plan
(attainment.py).
"""

from collections.abc import Callable

from contracts.canonical import CanonicalConfig
from contracts.supply_plan import SupplyPlan

from . import attainment
from .costs import account
from .errors import SimulationInputError
from .loop import run
from .network import build
from .output import SimulationOutput
from .summary import summarise

__all__ = ["SimulationInputError", "SimulationOutput", "simulate"]


def simulate(config: CanonicalConfig, *, seed: int, run_id: str, supply_plan: SupplyPlan | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> SimulationOutput:
    """Simulate ``config`` day by day, executing ``supply_plan`` (contracts.supply_plan) where it
    says something and the inventory policies elsewhere; without one, the policies everywhere.
    ``on_progress(day, planning_days)`` is called at least every 10% of the horizon and on the
    last day. Raises SimulationInputError for a config that cannot be simulated."""
    network = build(config, seed, supply_plan)
    state = run(network, on_progress)
    pnl, blocks = account(network, state)
    lines = attainment.plan_lines(network, state)
    return SimulationOutput(run_id=run_id, network=network, state=state, pnl=pnl, blocks=blocks,
                            summary=summarise(network, state, pnl, lines), plan=attainment.section(network, lines))
