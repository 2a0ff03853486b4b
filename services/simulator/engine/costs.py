"""Daily P&L and the itemised cost trace, computed from the recorded series after the loop.

The trace is a list of blocks ``(category, nodes, items, amounts)``: the amounts form a
(days, k) array whose column j belongs to node ``nodes[j]`` and item ``items[j]`` ("" for
node-level amounts). The P&L of a category is the row sum of its blocks, so the P&L and the
trace agree by construction. Per-pair blocks keep only (series, rate) terms and compute
amounts on demand, so no (days, pairs) cost array is held. Storage and transport are
itemised per node (item ""), the rest per node and item.
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
    fixed: np.ndarray | None = None
    terms: tuple = ()

    def amounts(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """(days first..last-1, k) amounts."""
        if self.fixed is not None:
            return self.fixed[first:last]
        return sum(series[first:last] * rate for series, rate in self.terms)

    def daily(self) -> np.ndarray:
        if self.fixed is not None:
            return self.fixed.sum(axis=1)
        return sum(series @ rate for series, rate in self.terms)


def _group_sum(values: np.ndarray, keys: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (days, n) grouped by ``keys`` (n,) into (days, size)."""
    out = np.zeros((values.shape[0], size))
    if len(keys):
        order = np.argsort(keys, kind="stable")
        present, starts = np.unique(keys[order], return_index=True)
        out[:, present] = np.add.reduceat(values[:, order], starts, axis=1)
    return out


def one_hot(keys: np.ndarray, size: int) -> np.ndarray:
    """(len(keys), size) matrix with a 1 at (j, keys[j]): right-multiplying sums columns by key."""
    matrix = np.zeros((len(keys), size))
    matrix[np.arange(len(keys)), keys] = 1.0
    return matrix


def _pair_blocks(net: Network, state: State) -> list[Block]:
    c, rec, nodes, items = net.costs, state.rec, net.pair_node, [net.item_codes[i] for i in net.pair_item]
    terms = {"revenue": [(rec["sales"], c["price"])], "cogs": [(rec["sales"], c["unit_cost"])],
             "sgna": [(rec["sales"], c["sgna"])],
             "penalty": [(rec["shortage"], c["stockout"]), (rec["backorder"], c["backorder"])]}
    blocks = [Block(cat, nodes, items, terms=tuple((m, r) for m, r in pairs if r.any()))
              for cat, pairs in terms.items() if any(r.any() for _, r in pairs)]
    made = np.nonzero(net.produced)[0]
    var = net.groups["variable"][net.group[made]] if len(made) else np.zeros(0)
    if var.any():
        blocks.append(Block("production", nodes[made], [items[k] for k in made],
                            terms=((state.released_series(net), var),)))
    return blocks


def _group_blocks(net: Network, state: State) -> list[Block]:
    """Fixed and over-capacity production costs per production group, on what each group
    started each day (production is costed when it is released)."""
    g = net.groups
    if not len(g["cap"]):
        return []
    made = _group_sum(state.released_series(net), net.group[net.produced], len(g["cap"]))
    amount = (made > 0) * g["fixed"] + np.maximum(made - g["limit"], 0.0) * g["over"]
    node_ix = {code: k for k, code in enumerate(net.node_codes)}
    return [Block("production", np.array([node_ix[n] for n in g["node"]]), list(g["item"]), fixed=amount)]


def _node_blocks(net: Network, state: State) -> list[Block]:
    a, n = net.arcs, net.node_costs
    flow = state.arc_flow(net)
    transport = flow * a["variable"]
    transport += (flow > 0) * a["fixed"]
    flow -= a["limit"]
    np.maximum(flow, 0.0, out=flow)
    transport += flow * a["over"]
    used, column = np.unique(net.pair_node, return_inverse=True)
    membership = one_hot(column, len(used))
    on_hand = state.rec["end"] @ membership
    storage = state.rec["end"] @ (membership * net.costs["storage"][:, None])
    storage += n["fixed"][used] + np.maximum(on_hand - n["limit"][used], 0.0) * n["over"][used]
    return [Block("transport", a["to"], [""] * len(a["to"]), fixed=transport),
            Block("storage", used, [""] * len(used), fixed=storage)]


def account(net: Network, state: State) -> tuple[dict[str, np.ndarray], list[Block]]:
    """(daily P&L per measure of PNL_MEASURES, cost trace blocks)."""
    blocks = _pair_blocks(net, state) + _group_blocks(net, state) + _node_blocks(net, state)
    pnl = {m: np.zeros(net.days) for m in PNL_MEASURES}
    for block in blocks:
        pnl[block.category] += block.daily()
    pnl["cost_total"] = sum(pnl[c] for c in COST_CATEGORIES)
    pnl["profit"] = pnl["revenue"] - pnl["cost_total"]
    return pnl, blocks
