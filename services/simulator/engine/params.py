"""Production groups, BOM lines, arcs and cost rates as arrays.

A production group is what one production policy costs: a single pair (policy naming the
item) or every pair a node makes without its own policy (node-wide policy, item_code None).
Capacity ``cap`` is the binding limit of an item's own policy (inf when unlimited or
over-capacity is allowed); a node-wide policy binds through the node's production limit
(limits.py), which covers every item the node makes, so its group's ``cap`` is inf. ``limit``
is the nominal capacity beyond which over-capacity is costed.
"""

import numpy as np

from contracts.canonical import CanonicalConfig

from .pairs import PairGraph

INF = np.inf


def _bound(capacity, allow_over: bool) -> tuple[float, float]:
    limit = INF if capacity is None else float(capacity)
    return (INF if allow_over else limit), limit


def production_groups(config: CanonicalConfig, graph: PairGraph) -> dict:
    nodes = {n.code: n for n in config.nodes}
    keys: dict[tuple, int] = {}
    rows, group = [], np.full(len(graph.pairs), -1, dtype=np.int64)
    for k in sorted(graph.produced):
        node, item = graph.pairs[k]
        own = [p for p in nodes[node].production_policies if p.item_code == item]
        policy = (own or [p for p in nodes[node].production_policies if p.item_code is None])[0]
        key = (node, item if own else None)
        if key not in keys:
            keys[key] = len(rows)
            cap, limit = _bound(policy.production_capacity, policy.allow_over_capacity)
            rows.append((node, key[1] or "", cap if own else INF, limit,
                         policy.fixed_cost, policy.variable_cost, policy.over_capacity_cost))
        group[k] = keys[key]
    columns = list(zip(*rows)) or [()] * 7
    groups = {"node": list(columns[0]), "item": list(columns[1])}
    groups |= {name: np.array(col, dtype=float) for name, col in
               zip(("cap", "limit", "fixed", "variable", "over"), columns[2:])}
    return {"group": group, "groups": groups}


def bom_lines(config: CanonicalConfig, graph: PairGraph) -> dict:
    index = graph.index()
    parent, child, factor = [], [], []
    for k in sorted(graph.produced):
        node, item = graph.pairs[k]
        for line in config.bom:
            if line.parent_item == item:
                parent.append(k)
                child.append(index[node, line.child_item])
                factor.append(line.quantity * (1 + line.scrap_rate))
    return {"parent": np.array(parent, dtype=np.int64), "child": np.array(child, dtype=np.int64),
            "factor": np.array(factor, dtype=float)}


def arc_arrays(config: CanonicalConfig) -> dict:
    node_ix = {n.code: k for k, n in enumerate(config.nodes)}
    bounds = [_bound(a.capacity_per_day, a.allow_over_capacity) for a in config.arcs]
    return {"cap": np.array([b[0] for b in bounds], dtype=float), "limit": np.array([b[1] for b in bounds], dtype=float),
            "fixed": np.array([a.transport_cost_fixed for a in config.arcs], dtype=float),
            "variable": np.array([a.transport_cost_variable for a in config.arcs], dtype=float),
            "over": np.array([a.over_capacity_cost for a in config.arcs], dtype=float),
            "to": np.array([node_ix[a.to_node] for a in config.arcs], dtype=np.int64)}


def cost_rates(config: CanonicalConfig, graph: PairGraph) -> dict:
    nodes = {n.code: n for n in config.nodes}
    items = {i.code: i for i in config.items}
    policies = {(n.code, p.item_code): p for n in config.nodes for p in n.inventory_policies}

    def per_pair(value) -> np.ndarray:
        return np.array([float(value(nodes[n], items[i], policies.get((n, i)))) for n, i in graph.pairs])

    pair = {
        "price": per_pair(lambda n, i, p: i.attributes.get("sales_price", 0) or 0),
        "unit_cost": per_pair(lambda n, i, p: i.unit_cost),
        "sgna": per_pair(lambda n, i, p: i.attributes.get("sgna_cost_per_unit", 0) or 0),
        "storage": per_pair(lambda n, i, p: n.storage_cost_variable + (p.storage_cost if p else 0)),
        "stockout": per_pair(lambda n, i, p: p.stockout_cost if p else 0),
        "backorder": per_pair(lambda n, i, p: p.backorder_cost if p else 0),
    }
    node = {"fixed": np.array([n.storage_cost_fixed for n in config.nodes], dtype=float),
            "limit": np.array([INF if n.storage_capacity is None else n.storage_capacity for n in config.nodes]),
            "over": np.array([n.storage_over_capacity_cost for n in config.nodes], dtype=float)}
    return {"costs": pair, "node_costs": node}
