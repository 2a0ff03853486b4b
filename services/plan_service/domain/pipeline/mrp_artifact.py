"""The mrp step's document: per item its parameters and its weekly records."""

from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import number, numbers
from services.plan_service.domain.pipeline.mrp import MrpPlan


def mrp_artifact(inputs: PlanInputs, plan: MrpPlan) -> dict:
    m = plan.inputs
    parents = {m.items[c] for c in m.child}
    items = [{"item": item, "lead_time_weeks": int(m.lead_weeks[k]), "lot_size": number(m.lot_size[k]),
              "min_order_qty": number(m.min_qty[k]), "safety_stock": number(m.safety_stock[k]),
              "on_hand": number(m.on_hand[k]), "past_due": number(plan.past_due[k]),
              "dependent": item in parents} for k, item in enumerate(m.items)]
    return {
        "step": "mrp", "weeks": [w.as_dict() for w in inputs.calendar.weeks], "items": items,
        "layout": "matrices are [item][week]; projected_on_hand is at the end of the week; "
                  "releases due before week 1 are released in week 1 and counted as past_due",
        "gross_requirements": numbers(plan.gross), "scheduled_receipts": numbers(m.scheduled),
        "net_requirements": numbers(plan.net), "planned_receipts": numbers(plan.receipts),
        "planned_releases": numbers(plan.releases), "projected_on_hand": numbers(plan.projected),
        "bom": [{"parent_item": m.items[p], "child_item": m.items[c], "per_parent": number(q)}
                for p, c, q in zip(m.parent, m.child, m.per_parent)],
    }
