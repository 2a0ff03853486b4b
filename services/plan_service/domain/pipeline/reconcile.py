"""Step 4, reconcile: each family's load (its allocated supply) against its capacity, piece by piece in
time order. Excess spills into the next piece (so into the next week); unused capacity (slack) carries
forward and absorbs later excess. Load still spilling at the end of the horizon stays unplanned.

The reconciled detail is rolled back up to family × period and compared with the aggregate plan:
``rollup.ok`` says whether every cell is within the tolerance (relative, of max(|aggregate|, 1)).
"""

from dataclasses import dataclass

import numpy as np

from services.plan_service.domain.pipeline.aggregate import AggregatePlan
from services.plan_service.domain.pipeline.allocate import Allocation
from services.plan_service.domain.pipeline.inputs import PlanInputs


@dataclass(frozen=True)
class Reconciled:
    capacity: np.ndarray
    load: np.ndarray
    supply: np.ndarray
    spill: np.ndarray
    slack: np.ndarray
    """Per family and piece; spill and slack are the balances carried out of the piece."""
    item_supply: np.ndarray
    """Per item and piece."""
    rolled_up: np.ndarray
    """Reconciled supply per family and period."""
    deviation: np.ndarray
    """Relative difference to the aggregate's supply per family and period."""
    tolerance: float

    @property
    def rollup_ok(self) -> bool:
        return bool(np.all(self.deviation <= self.tolerance))


def piece_capacity(inputs: PlanInputs) -> np.ndarray:
    return np.stack([inputs.capacity_day[:, p.first - 1:p.last].sum(axis=1) for p in inputs.calendar.pieces], axis=1)


def reconcile(inputs: PlanInputs, plan: AggregatePlan, allocation: Allocation, tolerance: float) -> Reconciled:
    family_count, pieces = len(inputs.families), len(inputs.calendar.pieces)
    capacity = piece_capacity(inputs)
    load = np.zeros((family_count, pieces))
    np.add.at(load, inputs.item_family, allocation.piece_supply)
    supply, spill, slack = (np.zeros_like(load) for _ in range(3))
    item_supply = np.zeros_like(allocation.piece_supply)
    item_backlog = np.zeros(len(inputs.items))
    family_spill, family_slack = np.zeros(family_count), np.zeros(family_count)
    for k in range(pieces):
        wanted = load[:, k] + family_spill
        available = capacity[:, k] + family_slack
        supply[:, k] = np.minimum(wanted, available)
        ratio = np.divide(supply[:, k], wanted, out=np.ones(family_count), where=wanted > 0)
        item_wanted = allocation.piece_supply[:, k] + item_backlog
        item_supply[:, k] = item_wanted * ratio[inputs.item_family]
        item_backlog = item_wanted - item_supply[:, k]
        family_spill, family_slack = wanted - supply[:, k], available - supply[:, k]
        spill[:, k], slack[:, k] = family_spill, family_slack
    rolled_up = inputs.calendar.by_period(supply)
    deviation = np.abs(rolled_up - plan.supply) / np.maximum(np.abs(plan.supply), 1.0)
    return Reconciled(capacity, load, supply, spill, slack, item_supply, rolled_up, deviation, tolerance)
