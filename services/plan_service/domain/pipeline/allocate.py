"""Step 2, allocate: family supply → items by mix share, periods → weeks by the calendar's weights.

Both splits use shares that sum to 1, so family totals = item totals = weekly totals.
"""

from dataclasses import dataclass

import numpy as np

from services.plan_service.domain.pipeline.aggregate import AggregatePlan
from services.plan_service.domain.pipeline.errors import PipelineError
from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import number, numbers


@dataclass(frozen=True)
class Allocation:
    period_supply: np.ndarray
    """Per item and period."""
    piece_supply: np.ndarray
    piece_demand: np.ndarray
    """Per item and calendar piece (a week's share of a period)."""
    week_supply: np.ndarray
    week_demand: np.ndarray


def allocate(inputs: PlanInputs, plan: AggregatePlan) -> Allocation:
    orphans = set(range(len(inputs.families))) - set(inputs.item_family.tolist())
    if unplannable := [inputs.families[f] for f in sorted(orphans) if plan.demand[f].sum() > 0]:
        raise PipelineError("allocate", f"families with demand but no items to allocate to: {', '.join(unplannable)}")
    calendar = inputs.calendar
    period_supply = plan.supply[inputs.item_family] * inputs.mix_share
    period_demand = plan.demand[inputs.item_family] * inputs.mix_share
    piece_supply = period_supply[:, calendar.piece_period] * calendar.weight
    piece_demand = period_demand[:, calendar.piece_period] * calendar.weight
    return Allocation(period_supply, piece_supply, piece_demand, calendar.by_week(piece_supply),
                      calendar.by_week(piece_demand))


def allocate_artifact(inputs: PlanInputs, plan: AggregatePlan, allocation: Allocation) -> dict:
    calendar = inputs.calendar
    return {
        "step": "allocate",
        "items": [{"item": item, "family": inputs.families[f]} for item, f in zip(inputs.items, inputs.item_family)],
        "periods": [p.as_dict() for p in calendar.periods], "weeks": [w.as_dict() for w in calendar.weeks],
        "calendar": [{"period": calendar.periods[p].label, "week": calendar.weeks[w].label, "first_day": piece.first,
                      "last_day": piece.last, "weight": number(weight)}
                     for piece, p, w, weight in zip(calendar.pieces, calendar.piece_period, calendar.piece_week,
                                                    calendar.weight)],
        "mix_share": numbers(inputs.mix_share), "period_supply": numbers(allocation.period_supply),
        "week_supply": numbers(allocation.week_supply), "week_demand": numbers(allocation.week_demand),
        "layout": "matrices are [item][period] or [item][week], in the order of items, periods and weeks",
        "totals": {"family_supply": number(plan.supply.sum()), "item_supply": number(allocation.period_supply.sum()),
                   "week_supply": number(allocation.week_supply.sum())},
    }
