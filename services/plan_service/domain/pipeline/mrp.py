"""Step 3, mrp: gross requirements per item and week, the BOM exploded level by level (scrap included),
on-hand and open orders netted, lot-for-lot rounded up to the minimum order and lot size, and each
planned receipt released its lead time (whole weeks, rounded up) earlier.

Releases that would fall before week 1 are released in week 1 and reported as past due.
"""

from dataclasses import dataclass

import numpy as np

from contracts.canonical import CanonicalConfig
from services.plan_service.domain.bomgraph import low_level_codes
from services.plan_service.domain.pipeline.allocate import Allocation
from services.plan_service.domain.pipeline.errors import PipelineError
from services.plan_service.domain.pipeline.inputs import PlanInputs
from services.plan_service.domain.pipeline.jsonable import number, numbers
from services.plan_service.domain.pipeline.mrp_inputs import MrpInputs, mrp_inputs


@dataclass(frozen=True)
class MrpPlan:
    inputs: MrpInputs
    gross: np.ndarray
    projected: np.ndarray
    net: np.ndarray
    receipts: np.ndarray
    releases: np.ndarray
    past_due: np.ndarray
    """Per item (``inputs.items``) and week; ``projected`` is on hand at the end of the week."""


def lot_sized(net: np.ndarray, min_qty: np.ndarray, lot: np.ndarray) -> np.ndarray:
    wanted = np.where(net > 1e-9, np.maximum(net, min_qty), 0.0)
    return np.where(lot > 0, np.ceil(wanted / np.where(lot > 0, lot, 1) - 1e-9) * lot, wanted)


def net_level(m: MrpInputs, rows: np.ndarray, gross: np.ndarray, out: dict[str, np.ndarray]) -> None:
    on_hand = m.on_hand[rows].copy()
    for week in range(gross.shape[1]):
        available = on_hand + m.scheduled[rows, week]
        net = np.maximum(0.0, gross[rows, week] + m.safety_stock[rows] - available)
        receipt = lot_sized(net, m.min_qty[rows], m.lot_size[rows])
        on_hand = available + receipt - gross[rows, week]
        out["net"][rows, week], out["receipts"][rows, week], out["projected"][rows, week] = net, receipt, on_hand


def offset(m: MrpInputs, rows: np.ndarray, out: dict[str, np.ndarray]) -> None:
    weeks = out["receipts"].shape[1]
    for row in rows:
        lead, receipts = m.lead_weeks[row], out["receipts"][row]
        out["releases"][row, : max(weeks - lead, 0)] = receipts[lead:]
        out["past_due"][row] = receipts[:lead].sum()
        out["releases"][row, 0] += out["past_due"][row]


def mrp(config: CanonicalConfig, inputs: PlanInputs, allocation: Allocation) -> MrpPlan:
    m = mrp_inputs(config, inputs)
    try:
        levels = low_level_codes((m.items[p], m.items[c]) for p, c in zip(m.parent, m.child))
    except ValueError as exc:
        raise PipelineError("mrp", str(exc)) from exc
    level = np.array([levels.get(item, 0) for item in m.items], dtype=int)
    weeks = len(inputs.calendar.weeks)
    gross = np.zeros((len(m.items), weeks))
    gross[: len(inputs.items)] = allocation.week_supply
    out = {key: np.zeros((len(m.items), weeks)) for key in ("net", "receipts", "projected", "releases")}
    out["past_due"] = np.zeros(len(m.items))
    for depth in range(level.max(initial=0) + 1):
        rows = np.flatnonzero(level == depth)
        net_level(m, rows, gross, out)
        offset(m, rows, out)
        lines = np.flatnonzero(level[m.parent] == depth)
        np.add.at(gross, m.child[lines], out["releases"][m.parent[lines]] * m.per_parent[lines, None])
    return MrpPlan(m, gross, out["projected"], out["net"], out["receipts"], out["releases"], out["past_due"])


def mrp_artifact(inputs: PlanInputs, plan: MrpPlan) -> dict:
    m = plan.inputs
    dependent = {m.items[c] for c in m.child}
    items = [{"item": item, "lead_time_weeks": int(m.lead_weeks[k]), "lot_size": number(m.lot_size[k]),
              "min_order_qty": number(m.min_qty[k]), "safety_stock": number(m.safety_stock[k]),
              "on_hand": number(m.on_hand[k]), "past_due": number(plan.past_due[k]),
              "dependent": item in dependent} for k, item in enumerate(m.items)]
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
