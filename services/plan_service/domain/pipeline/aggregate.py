"""Step 1, aggregate: per product family and period, supply is the demand where capacity suffices,
else the demand scaled down to the capacity; backlog is what remains.

When the config gives period costs or scores (an original scpln input set's period_cost.csv and
period_score.csv), a period's shortfall is carried, as the original's carryover does, into the
neighbouring period with the more weighted headroom (free capacity × the period's preference:
raised by its score, lowered by its cost; on a tie the next period), then into the other one:
built ahead in the previous period or supplied late in the next. What no neighbour can take stays
backlog."""

from dataclasses import dataclass

import numpy as np

from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import number


@dataclass(frozen=True)
class AggregatePlan:
    demand: np.ndarray
    capacity: np.ndarray
    supply: np.ndarray
    backlog: np.ndarray
    """All per family and period; capacity is ``inf`` where nothing limits the family. ``supply`` is
    what is made in the period (for its own demand or a neighbour's); ``backlog`` is the period's
    demand nobody supplies."""
    carryover: tuple[tuple[int, int, int, float], ...] = ()
    """(family, from period, to period, quantity): shortfalls supplied in a neighbouring period."""


def aggregate(inputs: PlanInputs) -> AggregatePlan:
    capacity = np.stack([inputs.capacity_day[:, p.first - 1:p.last].sum(axis=1) for p in inputs.calendar.periods], axis=1)
    supply = np.minimum(inputs.family_demand, capacity)
    backlog = inputs.family_demand - supply
    carried: list[tuple[int, int, int, float]] = []
    if inputs.period_preference is not None:
        carried = carry_shortfalls(capacity, supply, backlog, inputs.period_preference)
    return AggregatePlan(inputs.family_demand, capacity, supply, backlog, tuple(carried))


def carry_shortfalls(capacity: np.ndarray, supply: np.ndarray, backlog: np.ndarray,
                     preference: np.ndarray) -> list[tuple[int, int, int, float]]:
    """Move each period's backlog into its neighbours' free capacity, the better-weighted one first
    (``supply`` and ``backlog`` are changed in place); returns the moves."""
    moves: list[tuple[int, int, int, float]] = []
    periods = capacity.shape[1]
    for f, p in zip(*np.nonzero(backlog > 1e-9)):
        neighbours = [q for q in (p + 1, p - 1) if 0 <= q < periods]
        neighbours.sort(key=lambda q: -(capacity[f, q] - supply[f, q]) * preference[q])
        for q in neighbours:
            moved = min(backlog[f, p], max(capacity[f, q] - supply[f, q], 0.0))
            if moved > 1e-9 and preference[q] > 0:
                supply[f, q] += moved
                backlog[f, p] -= moved
                moves.append((int(f), int(p), int(q), float(moved)))
    return moves


def aggregate_artifact(inputs: PlanInputs, plan: AggregatePlan) -> dict:
    periods = inputs.calendar.periods
    rows = [
        {"family": family, "period": period.label, "demand": number(plan.demand[f, p]),
         "capacity": number(plan.capacity[f, p]), "supply": number(plan.supply[f, p]),
         "backlog": number(plan.backlog[f, p])}
        for f, family in enumerate(inputs.families) for p, period in enumerate(periods)
    ]
    return {
        "step": "aggregate", "start_date": inputs.start.isoformat(), "horizon_days": inputs.calendar.horizon,
        "families": inputs.families, "periods": [p.as_dict() for p in periods], "rows": rows,
        "capacity_note": "capacity null: nothing limits the family in that period",
        "carryover": [{"family": inputs.families[f], "from_period": periods[p].label, "to_period": periods[q].label,
                       "quantity": number(quantity), "preference": number(inputs.period_preference[q])}
                      for f, p, q, quantity in plan.carryover] if inputs.period_preference is not None else [],
        "totals": {"demand": number(plan.demand.sum()), "supply": number(plan.supply.sum()),
                   "backlog": number(plan.backlog.sum())},
    }
