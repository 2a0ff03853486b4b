"""Daily P&L and the itemised cost trace, computed from the recorded series after the loop.

The trace is a list of blocks ``(category, nodes, items, amounts)``: ``amounts`` is a
(days, k) array whose column j belongs to node ``nodes[j]`` and item ``items[j]`` ("" for
node-level amounts). The P&L of a category is the row sum of its blocks, so the P&L and the
trace agree by construction.
"""

from dataclasses import dataclass

import numpy as np

from contracts.results import PNL_MEASURES

from .network import Network
from .state import State

COST_CATEGORIES = ("cogs", "sgna", "transport", "production", "storage", "penalty")


@dataclass
class Block:
    category: str
    nodes: np.ndarray
    items: list[str]
    amounts: np.ndarray


def _group_sum(values: np.ndarray, keys: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (days, n) grouped by ``keys`` (n,) into (days, size)."""
    out = np.zeros((values.shape[0], size))
    if len(keys):
        order = np.argsort(keys, kind="stable")
        present, starts = np.unique(keys[order], return_index=True)
        out[:, present] = np.add.reduceat(values[:, order], starts, axis=1)
    return out


def _pair_blocks(net: Network, rec: dict) -> list[Block]:
    c, nodes, items = net.costs, net.pair_node, [net.item_codes[i] for i in net.pair_item]
    var, made = np.zeros(net.pair_count), net.group >= 0
    var[made] = net.groups["variable"][net.group[made]]
    amounts = {"revenue": rec["sales"] * c["price"], "cogs": rec["sales"] * c["unit_cost"],
               "sgna": rec["sales"] * c["sgna"], "storage": rec["end"] * c["storage"],
               "penalty": rec["shortage"] * c["stockout"] + rec["backorder"] * c["backorder"],
               "production": rec["produced"] * var}
    return [Block(cat, nodes, items, amount) for cat, amount in amounts.items()]


def _group_blocks(net: Network, rec: dict) -> list[Block]:
    g = net.groups
    if not len(g["cap"]):
        return []
    produced_pairs = rec["produced"][:, net.group >= 0]
    made = _group_sum(produced_pairs, net.group[net.group >= 0], len(g["cap"]))
    amount = (made > 0) * g["fixed"] + np.maximum(made - g["limit"], 0.0) * g["over"]
    node_ix = {code: k for k, code in enumerate(net.node_codes)}
    return [Block("production", np.array([node_ix[n] for n in g["node"]]), list(g["item"]), amount)]


def _node_blocks(net: Network, state: State) -> list[Block]:
    a, n = net.arcs, net.node_costs
    flow = state.arc_flow(net)
    transport = (flow > 0) * a["fixed"] + flow * a["variable"] + np.maximum(flow - a["limit"], 0.0) * a["over"]
    used = np.unique(net.pair_node)
    on_hand = _group_sum(state.rec["end"], net.pair_node, len(net.node_codes))[:, used]
    storage = n["fixed"][used] + np.maximum(on_hand - n["limit"][used], 0.0) * n["over"][used]
    return [Block("transport", a["to"], [""] * len(a["to"]), transport),
            Block("storage", used, [""] * len(used), np.broadcast_to(storage, on_hand.shape).copy())]


def account(net: Network, state: State) -> tuple[dict[str, np.ndarray], list[Block]]:
    """(daily P&L per measure of PNL_MEASURES, cost trace blocks)."""
    blocks = _pair_blocks(net, state.rec) + _group_blocks(net, state.rec) + _node_blocks(net, state)
    pnl = {m: np.zeros(net.days) for m in PNL_MEASURES}
    for block in blocks:
        pnl[block.category] += block.amounts.sum(axis=1)
    pnl["cost_total"] = sum(pnl[c] for c in COST_CATEGORIES)
    pnl["profit"] = pnl["revenue"] - pnl["cost_total"]
    return pnl, blocks
