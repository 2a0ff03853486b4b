"""Per-echelon index plans: every fancy index the daily loop needs, computed once.

Indices are global pair positions; a run of consecutive positions becomes a ``slice`` so the
loop works on views. Downstream pairs (``down``) are those whose upstream pair lies in the
echelon; ``uloc`` maps each of them to its upstream's position within the echelon.
"""

from dataclasses import dataclass

import numpy as np

from .alloc import alone
from .network import Network


def as_index(positions: np.ndarray):
    """A slice when the positions are one ascending run, else the array itself."""
    if len(positions) and positions[-1] - positions[0] == len(positions) - 1 and np.all(np.diff(positions) == 1):
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


def compact(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique values, position of each value in the unique list)."""
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, inverse.astype(np.int64)


def _review(review: np.ndarray) -> dict:
    """``every``: the common review period when all pairs share one above 1 (the step then
    runs on review days only), else 0; ``periodic``: review days differ between pairs."""
    every = int(review[0]) if len(review) and review[0] > 1 and (review == review[0]).all() else 0
    return {"every": every, "periodic": bool((review > 1).any()) and not every}


@dataclass
class Echelon:
    sl: slice
    size: int
    inf_add: np.ndarray
    infinite: np.ndarray
    any_inf: bool
    prod: dict | None
    cust: dict | None
    down: dict | None
    orders: dict | None


def _whole(discrete: np.ndarray):
    """alloc.share's ``discrete``: True when every member is discrete, False when none is."""
    return True if discrete.all() else False if not discrete.any() else discrete


def _groups(limit: np.ndarray) -> dict:
    """Members' limit indices compacted: -1 (no limit) stays a group, read as the inf sentinel."""
    unique, inverse = np.unique(limit, return_inverse=True)
    return {"at": unique, "of": inverse.astype(np.int64), "any": bool((unique >= 0).any()),
            "single": alone(inverse, unique < 0)}


def _planned(members: np.ndarray, planned: np.ndarray | None, release: np.ndarray | None, until: int) -> dict | None:
    """Members the supply plan drives: ``loc`` their positions among ``members``, ``col`` their
    columns in the plan's arrays, ``release`` (days, len(loc)) what the plan releases each day."""
    if planned is None or not len(planned):
        return None
    loc = np.nonzero(np.isin(members, planned))[0]
    if not len(loc):
        return None
    col = np.searchsorted(planned, members[loc])
    return {"loc": loc, "col": col, "release": None if release is None else release[:, col], "until": until}


def _production(net: Network, members: np.ndarray) -> dict | None:
    prod = members[net.produced[members]]
    if not len(prod):
        return None
    groups, grp = compact(net.group[prod])
    line_mask = np.isin(net.bom["parent"], prod)
    par_global = net.bom["parent"][line_mask]
    order = np.argsort(par_global, kind="stable")
    par_global, child = par_global[order], net.bom["child"][line_mask][order]
    local = {int(p): k for k, p in enumerate(prod)}
    lpar = np.array([local[int(p)] for p in par_global], dtype=np.int64)
    childs, lchild = compact(child)
    with_lines, starts = np.unique(lpar, return_index=True)
    child_inf = net.infinite[childs]
    lead = net.prod_lead[prod]
    pcol = np.searchsorted(np.nonzero(net.produced)[0], prod)
    return {"ix": as_index(prod), "grp": grp, "groups": groups, "lpar": lpar, "lchild": lchild,
            "capped": bool(np.isfinite(net.groups["cap"][groups]).any()), "lines": bool(len(lpar)),
            "single": alone(grp, ~np.isfinite(net.groups["cap"][groups])),
            "all_inf": bool(child_inf.all()),
            "childs": childs, "factor": net.bom["factor"][line_mask][order], "starts": starts,
            "ends": np.append(starts[1:], len(lpar)),
            "with_lines": with_lines, "child_inf": np.where(net.infinite[childs], np.inf, 0.0),
            "review": net.review[prod], **_review(net.review[prod]),
            "up_to": net.order_up_to[prod], "discrete": net.discrete[prod], "whole": _whole(net.discrete[prod]),
            "rank": net.rank[prod],
            "any_disc": bool(net.discrete[prod].any()), "all_disc": bool(net.discrete[prod].all()), "limits": _groups(net.prod_limit[prod]),
            "rooms": _groups(net.room_of[prod]), "lagged": bool((lead > 0).any()), "now": lead == 0,
            "all_later": bool((lead > 0).all()), "one_lead": int(lead[0]) if (lead == lead[0]).all() else None,
            "pcol": as_index(pcol), "due": lead * int(net.produced.sum()) + pcol,
            "plan": _planned(prod, net.plan.prod, net.plan.prod_release, net.plan.until) if net.plan else None}


def _customers(net: Network, lo: int, hi: int) -> dict | None:
    cols = np.nonzero((net.cust >= lo) & (net.cust < hi))[0]
    if not len(cols):
        return None
    pairs = net.cust[cols]
    order = np.argsort(pairs)
    lost = net.lost[pairs[order]]
    return {"ix": as_index(pairs[order]), "cols": as_index(cols[order]), "lost_mask": lost,
            "lost": "all" if lost.all() else "none" if not lost.any() else "some"}


def _downstream(net: Network, lo: int, hi: int) -> dict | None:
    down = np.nonzero((net.up >= lo) & (net.up < hi))[0]
    if not len(down):
        return None
    arcs, darc = compact(net.arc[down])
    lead = net.lead[down]
    same_day = np.nonzero(lead == 0)[0]
    return {"ix": as_index(down), "uloc": net.up[down] - lo, "arcs": arcs, "darc": darc,
            "discrete": _whole(net.discrete[down]), "rank": net.rank[down],
            "single_up": alone(net.up[down] - lo, net.infinite[lo:hi]),
            "single_arc": alone(darc, ~np.isfinite(net.arcs["cap"][arcs])),
            "supply": _groups(net.supply_limit[net.up[down]]), "rooms": _groups(net.room_of[down]),
            "capped": bool(np.isfinite(net.arcs["cap"][arcs]).any()), "flat": lead * net.pair_count + down,
            "same_day": as_index(down[same_day]) if len(same_day) else None, "same_day_sel": as_index(same_day),
            "plan": _planned(down, net.plan.order, None, net.plan.until) if net.plan else None}


def _orders(net: Network, members: np.ndarray) -> dict | None:
    own = members[net.up[members] >= 0]
    if not len(own):
        return None
    ups, upc = compact(net.up[own])
    mult = net.multiple[own]
    return {"ix": as_index(own), "ups": ups, "upc": upc, "review": net.review[own],
            "backlog": bool(np.isin(own, net.cust).any()), "owed_down": bool(np.isin(own, net.up).any()),
            **_review(net.review[own]),
            "s_S": bool((net.reorder_at[own] != net.order_up_to[own]).any()),
            "up_to": net.order_up_to[own],
            "reorder_at": net.reorder_at[own], "moq": net.moq[own], "has_mult": mult > 0,
            "mult": np.where(mult > 0, mult, 1.0), "any_mult": bool((mult > 0).any()),
            "discrete": net.discrete[own], "any_disc": bool(net.discrete[own].any()),
            "all_disc": bool(net.discrete[own].all()),
            "plan": _planned(own, net.plan.order, net.plan.order_release, net.plan.until) if net.plan else None}


def echelons(net: Network) -> list[Echelon]:
    plans = []
    for level in range(int(net.echelon.max()) + 1 if net.pair_count else 0):
        members = np.nonzero(net.echelon == level)[0]
        lo, hi = int(members[0]), int(members[-1]) + 1
        infinite = net.infinite[lo:hi]
        plans.append(Echelon(sl=slice(lo, hi), size=hi - lo, inf_add=np.where(infinite, np.inf, 0.0),
                             infinite=infinite, any_inf=bool(infinite.any()), prod=_production(net, members), cust=_customers(net, lo, hi),
                             down=_downstream(net, lo, hi), orders=_orders(net, members)))
    return plans
