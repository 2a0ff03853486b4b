"""What MRP needs per item: BOM lines, lead time in weeks, lot rules, on hand and open orders."""

import math
from dataclasses import dataclass

import numpy as np

from contracts.buckets import BucketError, day_range
from contracts.canonical import CanonicalConfig
from services.plan_service.domain.pipeline.errors import PipelineError
from services.plan_service.domain.pipeline.inputs import PlanInputs


@dataclass(frozen=True)
class MrpInputs:
    items: list[str]
    """The plan's items first (same order as the plan), then the components their BOMs reach."""
    parent: np.ndarray
    child: np.ndarray
    per_parent: np.ndarray
    """BOM lines as item indexes; quantity × (1 + scrap) of the child per unit of the parent."""
    lead_weeks: np.ndarray
    lot_size: np.ndarray
    min_qty: np.ndarray
    safety_stock: np.ndarray
    on_hand: np.ndarray
    scheduled: np.ndarray
    """Open (inbound) orders per item and week."""


def reached_items(config: CanonicalConfig, planned: list[str]) -> list[str]:
    children: dict[str, list[str]] = {}
    for line in config.bom:
        children.setdefault(line.parent_item, []).append(line.child_item)
    seen, todo = dict.fromkeys(planned), list(planned)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen[child] = None
                todo.append(child)
    return list(seen)


def on_hand_of(config: CanonicalConfig, index: dict[str, int]) -> np.ndarray:
    """Initial inventory summed over the nodes; inventory snapshots replace it for the items they name."""
    on_hand = np.zeros(len(index))
    snapshots = [s for s in config.planning_inputs.inventory_snapshots if s.get("item_code") in index]
    named = {s["item_code"] for s in snapshots}
    for node in config.nodes:
        for policy in node.inventory_policies:
            if policy.item_code in index and policy.item_code not in named:
                on_hand[index[policy.item_code]] += policy.initial_inventory
    for snapshot in snapshots:
        on_hand[index[snapshot["item_code"]]] += float(snapshot.get("on_hand", 0))
    return on_hand


def week_of(order: dict, inputs: PlanInputs) -> int | None:
    """Index of the week an open order arrives in: by week label, bucket or day; None past the horizon."""
    weeks = inputs.calendar.weeks
    labels = {w.label: k for k, w in enumerate(weeks)}
    if "week" in order and str(order["week"]) in labels:
        return labels[str(order["week"])]
    try:
        day = int(order["day"]) if "day" in order else day_range(str(order["week"]), inputs.start).first
    except (BucketError, KeyError, ValueError) as exc:
        raise PipelineError("mrp", f"open order {order!r} names no week or day") from exc
    return next((k for k, w in enumerate(weeks) if day <= w.last), None) if day <= weeks[-1].last else None


def mrp_inputs(config: CanonicalConfig, inputs: PlanInputs) -> MrpInputs:
    items = reached_items(config, inputs.items)
    index = {item: k for k, item in enumerate(items)}
    by_code = {item.code: item for item in config.items}
    lines = [line for line in config.bom if line.parent_item in index]
    scheduled = np.zeros((len(items), len(inputs.calendar.weeks)))
    for order in config.planning_inputs.inbound_orders:
        if order.get("item_code") in index and (week := week_of(order, inputs)) is not None:
            scheduled[index[order["item_code"]], week] += float(order.get("quantity", 0))

    def column(field: str) -> np.ndarray:
        return np.array([float(getattr(by_code[item], field)) if item in by_code else 0.0 for item in items])

    return MrpInputs(
        items, np.array([index[line.parent_item] for line in lines], dtype=int),
        np.array([index[line.child_item] for line in lines], dtype=int),
        np.array([line.quantity * (1 + line.scrap_rate) for line in lines]),
        np.array([math.ceil(by_code[i].lead_time_days / 7) if i in by_code else 0 for i in items], dtype=int),
        column("lot_size"), column("min_order_qty"), column("safety_stock"), on_hand_of(config, index), scheduled,
    )
