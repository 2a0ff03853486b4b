"""price_change and cost_change: items' prices and costs, production, transport and storage costs."""

from typing import Any

from contracts.overrides import CostChange, PriceChange
from services.plan_service.domain.overrides.scope import Outcome, Scope, number


def _amount(o: PriceChange | CostChange, current: float) -> float | int:
    return number(current * o.factor if o.factor is not None else max(0.0, current + o.delta))  # type: ignore[operator]


def _item_attribute(doc: dict, o: Any, scope: Scope, key: str) -> int:
    changed = 0
    for k, item in enumerate(scope.config.items):
        if scope.item(o, item.code):
            attributes = doc["items"][k].setdefault("attributes", {})
            attributes[key] = _amount(o, float(item.attributes.get(key) or 0))
            changed += 1
    return changed


def price_change(doc: dict, o: PriceChange, scope: Scope) -> Outcome:
    return Outcome(_item_attribute(doc, o, scope, "sales_price"))


def cost_change(doc: dict, o: CostChange, scope: Scope) -> Outcome:
    config, changed = scope.config, 0
    if o.cost == "sgna":
        return Outcome(_item_attribute(doc, o, scope, "sgna_cost_per_unit"))
    if o.cost == "unit_cost":
        for k, item in enumerate(config.items):
            if scope.item(o, item.code):
                doc["items"][k]["unit_cost"] = _amount(o, item.unit_cost)
                changed += 1
        return Outcome(changed)
    if o.cost == "transport":
        for k, arc in enumerate(config.arcs):
            if o.node in (None, arc.from_node):
                doc["arcs"][k]["transport_cost_variable"] = _amount(o, arc.transport_cost_variable)
                changed += 1
        return Outcome(changed)
    for n, node in enumerate(config.nodes):
        if not scope.node(o, node.code):
            continue
        raw = doc["nodes"][n]
        if o.cost == "production":
            for j, policy in enumerate(node.production_policies):
                if scope.item(o, policy.item_code):
                    raw["production_policies"][j]["variable_cost"] = _amount(o, policy.variable_cost)
                    changed += 1
            continue
        if scope.item(o, None):
            raw["storage_cost_variable"] = _amount(o, node.storage_cost_variable)
            changed += 1
        for j, inventory in enumerate(node.inventory_policies):
            if scope.item(o, inventory.item_code):
                raw["inventory_policies"][j]["storage_cost"] = _amount(o, inventory.storage_cost)
                changed += 1
    return Outcome(changed)
