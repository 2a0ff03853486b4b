"""Components that production needs and nothing replenishes: a pure check of a canonical config.

Sourcing follows the simulator's rule (services/simulator/engine/pairs.py): a node-item pair is
replenished when the node makes the item, when the node is an infinite source, or from its
upstream: the first arc into the node (config order, self-loops aside) whose source node holds
the item, else the first arc from an infinite-source node. A component that a node's production
consumes (a BOM child of an item the node makes) has **no source** when that chain reaches
neither production nor an infinite source: it can only be used from the opening stock along
the chain. The check warns when that stock is below the horizon's expected need.

Expected need: each item's demand over the horizon (demand rows' means, the share of each
bucket inside the horizon), net of the item's opening stock anywhere in the network, exploded
through the BOM (quantity × (1 + scrap)); a product made at several nodes is split equally
between them. Run at import, at plan time and with every run (RunSummary.warnings).
"""

from typing import NamedTuple

from contracts.buckets import BucketError, day_range, start_date_of
from contracts.canonical import CanonicalConfig

CODE = "component_without_source"


class SupplyWarning(NamedTuple):
    code: str
    node: str
    item: str
    needed: float
    on_hand: float
    message: str


def made_at(config: CanonicalConfig) -> dict[str, list[str]]:
    """Items each node makes: those its production policies name and, with a whole-node policy,
    every product or BOM parent it holds an inventory policy for (the simulator's reading)."""
    makeable = {b.parent_item for b in config.bom} | {i.code for i in config.items if i.item_type == "product"}
    made: dict[str, list[str]] = {}
    for node in config.nodes:
        named = [p.item_code for p in node.production_policies if p.item_code]
        if any(p.item_code is None for p in node.production_policies):
            named += [p.item_code for p in node.inventory_policies if p.item_code in makeable]
        made[node.code] = list(dict.fromkeys(named))
    return made


def _horizon_demand(config: CanonicalConfig) -> dict[str, float]:
    days, start, demand = config.planning_days, start_date_of(config.meta.attributes), {}
    for row in config.demands:
        try:
            whole = day_range(row.bucket, start)
        except BucketError:
            continue
        if whole.days:
            demand[row.item_code] = demand.get(row.item_code, 0.0) + row.mean * whole.clip(days).days / whole.days
    return demand


def _net_needs(config: CanonicalConfig) -> dict[str, float]:
    """Per item: horizon demand plus the needs of its BOM parents, net of opening stock."""
    demand, stock = _horizon_demand(config), {}
    for node in config.nodes:
        for policy in node.inventory_policies:
            stock[policy.item_code] = stock.get(policy.item_code, 0.0) + policy.initial_inventory
    parents: dict[str, list] = {}
    for line in config.bom:
        parents.setdefault(line.child_item, []).append(line)
    net: dict[str, float] = {}

    def need(item: str, seen: frozenset = frozenset()) -> float:
        if item not in net:
            gross = demand.get(item, 0.0) + sum(need(line.parent_item, seen | {item}) * line.quantity
                                                * (1 + line.scrap_rate)
                                                for line in parents.get(item, []) if line.parent_item not in seen)
            net[item] = max(0.0, gross - stock.get(item, 0.0))
        return net[item]

    for item in {i.code for i in config.items}:
        need(item)
    return net


def _chains(config: CanonicalConfig, made: dict[str, list[str]]):
    nodes = {n.code: n for n in config.nodes}
    held = {(n.code, p.item_code) for n in config.nodes for p in n.inventory_policies}
    held |= {(d.node_code, d.item_code) for d in config.demands}
    for code, items in made.items():
        held |= {(code, i) for i in items} | {(code, b.child_item) for b in config.bom if b.parent_item in items}
    inbound: dict[str, list[str]] = {}
    for arc in config.arcs:
        if arc.from_node != arc.to_node and arc.from_node in nodes:
            inbound.setdefault(arc.to_node, []).append(arc.from_node)

    def chain(node: str, item: str) -> list[str] | None:
        """Nodes whose opening stock of ``item`` can reach ``node``, or None when it is sourced."""
        seen: list[str] = []
        while node not in seen:
            seen.append(node)
            if item in made.get(node, ()) or nodes[node].infinite_source:
                return None
            sources = inbound.get(node, [])
            holding = [s for s in sources if (s, item) in held]
            if not holding and any(nodes[s].infinite_source for s in sources):
                return None
            if not holding:
                return seen
            node = holding[0]
        return seen

    return chain


def unsourced_components(config: CanonicalConfig) -> list[SupplyWarning]:
    """A warning per (node, component) that production at the node consumes, that nothing
    replenishes, and whose opening stock along its chain is below the horizon's expected need."""
    made, nodes = made_at(config), {n.code for n in config.nodes}
    net, chain = _net_needs(config), _chains(config, made)
    makers: dict[str, int] = {}
    for items in made.values():
        for item in items:
            makers[item] = makers.get(item, 0) + 1
    opening = {(n.code, p.item_code): p.initial_inventory for n in config.nodes for p in n.inventory_policies}
    warnings = []
    for node, items in made.items():
        needs: dict[str, float] = {}
        for line in config.bom:
            if line.parent_item in items:
                share = net.get(line.parent_item, 0.0) / makers[line.parent_item]
                needs[line.child_item] = needs.get(line.child_item, 0.0) + share * line.quantity * (1 + line.scrap_rate)
        for item, needed in needs.items():
            reach = chain(node, item) if node in nodes else None
            if reach is None or needed <= 1e-9:
                continue
            on_hand = sum(opening.get((n, item), 0.0) for n in reach)
            if on_hand < needed - 1e-9:
                warnings.append(SupplyWarning(CODE, node, item, round(needed, 4), on_hand, (
                    f"component {item} at {node} has no source (no supplier, arc or production replenishes it) "
                    f"and its opening stock ({on_hand:g}) covers {on_hand / needed:.0%} of the {needed:,.0f} the "
                    f"horizon's production is expected to need")))
    return warnings
