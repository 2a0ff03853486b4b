"""Replenishment parameters per pair: lead time, review period, MOQ, multiple, and the
periodic-review order-up-to levels.

Order-up-to S = mu * (L + R) + max(z * sigma * sqrt(L + R), safety_stock), with z from the
node's service level, L the pair's lead time (its production lead time for produced pairs),
R the review period, and
mu/sigma the daily demand the pair faces: customer demand at its node plus everything its
downstream pairs face (through arcs, and through the BOM times quantity × (1 + scrap)).
A policy's ``order_up_to`` replaces S; its ``reorder_point`` s makes it an (s, S) policy
(order only when the inventory position is at or below s); otherwise s = S.
"""

from statistics import NormalDist

import numpy as np

from contracts.canonical import CanonicalConfig

from .pairs import PairGraph


def _policies(config: CanonicalConfig) -> dict:
    return {(n.code, p.item_code): p for n in config.nodes for p in n.inventory_policies}


def pair_arrays(config: CanonicalConfig, graph: PairGraph) -> dict:
    nodes = {n.code: n for n in config.nodes}
    policies = _policies(config)
    lead, moq, multiple, init = [], [], [], []
    for k, (node, item) in enumerate(graph.pairs):
        policy, arc = policies.get((node, item)), config.arcs[graph.arc_of[k]] if k in graph.arc_of else None
        arc_lead = arc.lead_time_days if arc else 0
        lead.append(policy.lead_time_days if policy and policy.lead_time_days is not None and arc else arc_lead)
        moq.append(max(policy.min_order_qty if policy else 0.0, arc.min_order_qty.get(item, 0.0) if arc else 0.0))
        multiple.append(max(policy.order_multiple if policy else 0.0, arc.order_multiple.get(item, 0.0) if arc else 0.0))
        init.append(policy.initial_inventory if policy else 0.0)
    return {
        "lead": np.array(lead, dtype=np.int64),
        "review": np.array([nodes[n].review_period_days for n, _ in graph.pairs], dtype=np.int64),
        "lost": np.array([nodes[n].backorder_policy == "lost_sales" for n, _ in graph.pairs]),
        "moq": np.array(moq, dtype=float), "multiple": np.array(multiple, dtype=float),
        "init": np.array(init, dtype=float),
    }


def demand_faced(config, graph, index, cust_pairs, mean, std):
    """Daily mean and variance of the demand each pair faces, propagated upstream."""
    mu, var = np.zeros(len(graph.pairs)), np.zeros(len(graph.pairs))
    for col, pair in enumerate(cust_pairs):
        mu[index[pair]] += mean[col]
        var[index[pair]] += std[col] ** 2
    lines: dict[str, list] = {}
    for line in config.bom:
        lines.setdefault(line.parent_item, []).append(line)
    for k in sorted(range(len(graph.pairs)), key=lambda k: graph.echelon[k]):
        if k in graph.upstream:
            mu[graph.upstream[k]] += mu[k]
            var[graph.upstream[k]] += var[k]
        if k in graph.produced:
            node, item = graph.pairs[k]
            for line in lines.get(item, []):
                factor = line.quantity * (1 + line.scrap_rate)
                mu[index[node, line.child_item]] += mu[k] * factor
                var[index[node, line.child_item]] += var[k] * factor ** 2
    return mu, np.sqrt(var)


def order_levels(config, graph, arrays, index, cust_pairs, mean, std, prod_lead) -> dict:
    nodes = {n.code: n for n in config.nodes}
    items, policies = {i.code: i for i in config.items}, _policies(config)
    mu, sigma = demand_faced(config, graph, index, cust_pairs, mean, std)
    up_to, reorder = np.zeros(len(graph.pairs)), np.zeros(len(graph.pairs))
    for k, (node, item) in enumerate(graph.pairs):
        policy = policies.get((node, item))
        span = (prod_lead[k] if k in graph.produced else arrays["lead"][k]) + arrays["review"][k]
        safety = policy.safety_stock if policy else items[item].safety_stock
        z = NormalDist().inv_cdf(nodes[node].service_level)
        level = mu[k] * span + max(z * sigma[k] * np.sqrt(span), safety)
        if policy and policy.order_up_to is not None:
            level = policy.order_up_to
        s = policy.reorder_point if policy and policy.reorder_point is not None else level
        up_to[k], reorder[k] = max(level, s), s
    return {"order_up_to": up_to, "reorder_at": reorder}
