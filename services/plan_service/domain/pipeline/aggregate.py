"""Step 1, aggregate: per product family and period, supply is the demand where capacity suffices,
else the demand scaled down to the capacity; backlog is what remains."""

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
    """All per family and period; capacity is ``inf`` where nothing limits the family."""


def aggregate(inputs: PlanInputs) -> AggregatePlan:
    capacity = np.stack([inputs.capacity_day[:, p.first - 1:p.last].sum(axis=1) for p in inputs.calendar.periods], axis=1)
    supply = np.minimum(inputs.family_demand, capacity)
    return AggregatePlan(inputs.family_demand, capacity, supply, inputs.family_demand - supply)


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
        "totals": {"demand": number(plan.demand.sum()), "supply": number(plan.supply.sum()),
                   "backlog": number(plan.backlog.sum())},
    }
