"""Step 5, plan_final: the reconciled weekly supply plan per item and family, and the plan's KPIs."""

import numpy as np

from services.plan_service.domain.pipeline.aggregate import AggregatePlan
from services.plan_service.domain.pipeline.allocate import Allocation
from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import numbers
from services.plan_service.domain.pipeline.mrp import MrpPlan
from services.plan_service.domain.pipeline.reconcile import Reconciled


def plan_kpis(inputs: PlanInputs, plan: AggregatePlan, mrp: MrpPlan, rec: Reconciled) -> dict[str, float]:
    demand, supply = float(plan.demand.sum()), float(rec.supply.sum())
    finite = np.isfinite(rec.capacity)
    capacity = float(rec.capacity[finite].sum())
    return {key: round(value, 6) + 0.0 for key, value in {
        "demand_total": demand,
        "supply_total": supply,
        "backlog_total": demand - supply,
        "capacity_utilisation": float(rec.supply[finite].sum()) / capacity if capacity > 0 else 0.0,
        "fill_rate_estimate": min(1.0, supply / demand) if demand > 0 else 1.0,
        "aggregate_supply_total": float(plan.supply.sum()),
        "unplanned_at_horizon_end": float(rec.spill[:, -1].sum()),
        "rollup_ok": float(rec.rollup_ok),
        "rollup_max_relative_difference": float(rec.deviation.max(initial=0.0)),
        "planned_receipts_total": float(mrp.receipts.sum()),
        "past_due_releases_total": float(mrp.past_due.sum()),
        "families": float(len(inputs.families)),
        "items": float(len(inputs.items)),
        "periods": float(len(inputs.calendar.periods)),
        "weeks": float(len(inputs.calendar.weeks)),
    }.items()}


def final_artifact(inputs: PlanInputs, allocation: Allocation, rec: Reconciled, kpis: dict[str, float]) -> dict:
    calendar = inputs.calendar
    return {
        "step": "plan_final", "start_date": inputs.start.isoformat(), "weeks": [w.as_dict() for w in calendar.weeks],
        "items": [{"item": item, "family": inputs.families[f]} for item, f in zip(inputs.items, inputs.item_family)],
        "families": inputs.families,
        "layout": "matrices are [item][week] or [family][week], in the order of items, families and weeks",
        "supply": numbers(calendar.by_week(rec.item_supply)), "demand": numbers(allocation.week_demand),
        "family_supply": numbers(calendar.by_week(rec.supply)),
        "family_demand": numbers(calendar.by_week(_family_sum(inputs, allocation.piece_demand))),
        "rollup_ok": rec.rollup_ok, "kpis": kpis,
    }


def _family_sum(inputs: PlanInputs, per_item: np.ndarray) -> np.ndarray:
    out = np.zeros((len(inputs.families), per_item.shape[1]))
    np.add.at(out, inputs.item_family, per_item)
    return out
