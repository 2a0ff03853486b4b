"""lead_time_change and opening_inventory: arcs, items' and inventory policies' lead times; opening stock."""

from contracts.canonical import CanonicalConfig
from contracts.overrides import LeadTimeChange, OpeningInventory
from services.plan_service.domain.overrides.scope import Outcome, Scope, number


def _held_at(config: CanonicalConfig, code: str) -> set[str]:
    node = next(n for n in config.nodes if n.code == code)
    return {p.item_code for p in node.inventory_policies} | {p.item_code for p in node.production_policies if p.item_code}


def _lead(o: LeadTimeChange, current: int) -> int:
    return o.days if o.days is not None else max(0, current + o.delta)  # type: ignore[operator]


def lead_time_change(doc: dict, o: LeadTimeChange, scope: Scope) -> Outcome:
    config = scope.config
    if o.arc is None and o.node is None and o.item is not None:
        return _item_lead(doc, o, scope)
    arcs = [k for k, a in enumerate(config.arcs) if a.from_node != a.to_node and (
        (a.from_node, a.to_node) == (o.arc.from_node, o.arc.to_node) if o.arc else o.node in (None, a.to_node))]
    if o.item is not None:  # the arcs the item comes over: from a node that holds it, where there is one
        arcs = [k for k in arcs if o.item in _held_at(config, config.arcs[k].from_node)] or arcs
    changed, touched = 0, set()
    for k in arcs:
        arc = config.arcs[k]
        if o.item is None:
            doc["arcs"][k]["lead_time_days"] = _lead(o, arc.lead_time_days)
            changed += 1
        ordered = _held_at(config, arc.from_node) if o.item is None else {o.item}
        changed += _policy_leads(doc, o, scope, arc.to_node, ordered, arc.lead_time_days, touched)
    note = "" if changed or o.item is None else f"no node it reaches holds an inventory policy for {o.item}"
    return Outcome(changed, note)


def _policy_leads(doc: dict, o: LeadTimeChange, scope: Scope, node_code: str, items: set[str], arc_lead: int,
                  touched: set) -> int:
    """Lead times the destination's inventory policies state for these items (they replace the arc's):
    changed too; with an item selector, the policy's own lead time is set even where it stated none."""
    changed = 0
    for n, node in enumerate(scope.config.nodes):
        if node.code != node_code:
            continue
        for j, policy in enumerate(node.inventory_policies):
            if policy.item_code not in items or (n, j) in touched:
                continue
            if policy.lead_time_days is None and o.item is None:
                continue
            current = policy.lead_time_days if policy.lead_time_days is not None else arc_lead
            doc["nodes"][n]["inventory_policies"][j]["lead_time_days"] = _lead(o, current)
            touched.add((n, j))
            changed += 1
    return changed


def _item_lead(doc: dict, o: LeadTimeChange, scope: Scope) -> Outcome:
    k, item = next((k, i) for k, i in enumerate(scope.config.items) if i.code == o.item)
    doc["items"][k]["lead_time_days"] = _lead(o, item.lead_time_days)
    stated = "lead_time_days" in item.model_fields_set
    note = "" if stated else (f"{item.code} stated no lead time (where it is made, the node's applied); "
                              "it now states its own")
    return Outcome(1, note)


def opening_inventory(doc: dict, o: OpeningInventory, scope: Scope) -> Outcome:
    changed = 0
    for n, node in enumerate(scope.config.nodes):
        if not scope.node(o, node.code):
            continue
        for j, policy in enumerate(node.inventory_policies):
            if scope.item(o, policy.item_code):
                raw = doc["nodes"][n]["inventory_policies"][j]
                raw["initial_inventory"] = _stock(o, policy.initial_inventory)
                changed += 1
    for k, row in enumerate(scope.config.planning_inputs.inventory_snapshots):
        node, item = str(row.get("node_code", "")), str(row.get("item_code", ""))
        if node in scope.region and scope.node(o, node) and scope.item(o, item) and "on_hand" in row:
            raw = doc["planning_inputs"]["inventory_snapshots"][k]
            raw["on_hand"] = _stock(o, float(row["on_hand"]))
            changed += 1
    return Outcome(changed)


def _stock(o: OpeningInventory, current: float) -> float | int:
    return number(o.quantity if o.quantity is not None else current * o.factor)  # type: ignore[operator]
