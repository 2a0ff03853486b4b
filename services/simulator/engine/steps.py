"""The four per-echelon steps of a day, as array operations over the echelon's pairs.

Shortages are shared pro rata: when an upstream pair cannot ship every open order, each
downstream pair gets the same fraction of its open order; arc and production capacity are
shared the same way, and so are components among the products that need them.
"""

import numpy as np


def _share(have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Fraction of ``want`` that ``have`` covers, in [0, 1] (1 where nothing is wanted)."""
    return np.divide(have, want, out=np.ones(len(want)), where=want > have)


def produce(t: int, plan, state, rec) -> None:
    """Make what brings the position (stock − open orders − backorders) up to S, within
    capacity and the components on hand; consume quantity × (1 + scrap) per unit made."""
    p, stock = plan.prod, state.stock
    ix, grp, groups = p["ix"], p["grp"], p["groups"]
    made = np.maximum(p["up_to"] - (stock[ix] - state.owed_down[ix] - state.backlog[ix]), 0.0)
    if p["periodic"]:
        made *= t % p["review"] == 0
    made *= _share(state.group_left[groups], np.bincount(grp, made, len(groups)))[grp]
    if len(p["lpar"]):
        lchild, factor, childs = p["lchild"], p["factor"], p["childs"]
        need = np.bincount(lchild, made[p["lpar"]] * factor, len(childs))
        cover = _share(stock[childs] + p["child_inf"], need)[lchild]
        made[p["with_lines"]] *= np.minimum.reduceat(cover, p["starts"])
        used = np.bincount(lchild, made[p["lpar"]] * factor, len(childs))
        left = stock[childs] - used
        stock[childs] = np.where(p["child_inf"] > 0, left, np.maximum(left, 0.0))
        rec["consumed"][t, childs] += used
        rec["demand"][t, childs] += need
        rec["shortage"][t, childs] += np.maximum(need - used, 0.0)
    state.group_left[groups] -= np.bincount(grp, made, len(groups))
    stock[ix] += made
    rec["produced"][t, ix] = made


def sell(t: int, plan, state, rec, demand_today: np.ndarray) -> None:
    """Serve customer backorders first, then the day's new demand; what is left unserved
    becomes backorder, or is lost where the node's policy is lost sales."""
    c = plan.cust
    ix, wanted = c["ix"], demand_today[c["cols"]]
    on_hand, backlog = state.stock[ix], state.backlog[ix]
    late = np.minimum(on_hand, backlog)
    on_hand = on_hand - late
    served = np.minimum(on_hand, wanted)
    state.stock[ix] = on_hand - served
    short = wanted - served
    state.backlog[ix] = np.where(c["lost"], 0.0, backlog - late + short)
    rec["demand"][t, ix] += wanted
    rec["sales"][t, ix] = late + served
    rec["shortage"][t, ix] += short


def ship(t: int, plan, state, rec) -> None:
    """Ship open orders from stock, within arc capacity; an order shipped on day t arrives
    on day t + lead (lead 0: the same day). Shortage counts today's new orders not shipped
    today, older open orders being served first."""
    d, sl, size = plan.down, plan.sl, plan.size
    pos, uloc, darc, arcs = d["pos"], d["uloc"], d["darc"], d["arcs"]
    owed = state.owed[pos]
    total = np.bincount(uloc, owed, size)
    out = owed * _share(state.stock[sl] + plan.inf_add, total)[uloc]
    if d["capped"]:
        out *= _share(state.arc_left[arcs], np.bincount(darc, out, len(arcs)))[darc]
    flow = np.bincount(darc, out, len(arcs))
    state.arc_left[arcs] -= flow
    state.arc_flow[t, arcs] += flow
    shipped = np.bincount(uloc, out, size)
    left = state.stock[sl] - shipped
    state.stock[sl] = np.where(plan.infinite, left, np.maximum(left, 0.0))
    state.owed[pos] = np.maximum(owed - out, 0.0)
    state.transit[pos] += out
    state.pipe[(t + d["lead"]) % len(state.pipe), pos] += out
    rec["shipments"][t, sl] = shipped
    fresh = state.received[sl]
    from_old = np.minimum(shipped, total - fresh)
    rec["shortage"][t, sl] += np.maximum(fresh - (shipped - from_old), 0.0)
    state.owed_down[sl] = np.bincount(uloc, state.owed[pos], size)


def order(t: int, plan, state, rec) -> None:
    """Periodic review, order up to S: on review days, when the inventory position is at or
    below s, order S − position, at least the MOQ, rounded up to the order multiple."""
    o, stock = plan.orders, state.stock
    ix = o["ix"]
    position = stock[ix] + state.transit[ix] + state.owed[ix] - state.owed_down[ix] - state.backlog[ix]
    need = o["up_to"] - position
    go = (position <= o["reorder_at"]) & (need > 1e-9)
    if o["periodic"]:
        go &= t % o["review"] == 0
    qty = np.where(go, np.maximum(need, o["moq"]), 0.0)
    if o["any_mult"]:
        qty = np.where(o["has_mult"], np.ceil(qty / o["mult"] - 1e-9) * o["mult"], qty)
    state.owed[ix] += qty
    rec["ordered"][t, ix] = qty
    ups = o["ups"]
    received = np.bincount(o["upc"], qty, len(ups))
    state.received[ups] += received
    state.owed_down[ups] += received
    rec["demand"][t, ups] += received
