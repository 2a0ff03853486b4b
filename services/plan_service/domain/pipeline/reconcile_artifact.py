"""The reconcile step's document: weekly load, capacity, supply, spill and slack per family; the roll-up check."""

import numpy as np

from services.plan_service.domain.pipeline.aggregate import AggregatePlan
from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import number, numbers
from services.plan_service.domain.pipeline.reconcile import Reconciled


def last_piece_of_each_week(inputs: PlanInputs) -> np.ndarray:
    last = np.zeros(len(inputs.calendar.weeks), dtype=int)
    for k, week in enumerate(inputs.calendar.piece_week):
        last[week] = k
    return last


def deviations(inputs: PlanInputs, plan: AggregatePlan, rec: Reconciled) -> list[dict]:
    cells = np.argwhere(rec.deviation > rec.tolerance)
    return [{"family": inputs.families[f], "period": inputs.calendar.periods[p].label,
             "aggregate": number(plan.supply[f, p]), "rolled_up": number(rec.rolled_up[f, p]),
             "relative_difference": number(rec.deviation[f, p])} for f, p in cells]


def reconcile_artifact(inputs: PlanInputs, plan: AggregatePlan, rec: Reconciled) -> dict:
    calendar, last = inputs.calendar, last_piece_of_each_week(inputs)
    return {
        "step": "reconcile", "families": inputs.families, "weeks": [w.as_dict() for w in calendar.weeks],
        "layout": "matrices are [family][week]; capacity null means unlimited; spill and slack are carried out of the week",
        "load": numbers(calendar.by_week(rec.load)), "capacity": numbers(calendar.by_week(rec.capacity)),
        "supply": numbers(calendar.by_week(rec.supply)), "spill": numbers(rec.spill[:, last]),
        "slack": numbers(rec.slack[:, last]),
        "unplanned_at_horizon_end": dict(zip(inputs.families, numbers(rec.spill[:, -1]))),
        "rollup": {
            "ok": rec.rollup_ok, "tolerance": rec.tolerance, "periods": [p.label for p in calendar.periods],
            "aggregate_supply": numbers(plan.supply), "rolled_up_supply": numbers(rec.rolled_up),
            "max_relative_difference": number(rec.deviation.max(initial=0.0)),
            "deviations": deviations(inputs, plan, rec),
        },
    }
