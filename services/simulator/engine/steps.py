"""The four per-echelon steps of a day, as array operations over the echelon's pairs.

Shortages are shared pro rata: when an upstream pair cannot ship every open order, each
downstream pair gets the same fraction of its open order; arc and production capacity are
shared the same way, and so are components among the products that need them. Branches on
plan flags only skip work that would change nothing (no capacity, no infinite source, …).
"""

import numpy as np


def _share(have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Fraction of ``want`` that ``have`` covers, in [0, 1] (1 where nothing is wanted)."""
    return np.divide(have, want, out=np.ones(len(want)), where=want > have)


def produce(t: int, p: dict, state, rec) -> None:
    """Make what brings the position (stock − open orders − backorders) up to S, within
    capacity and the components on hand; consume quantity × (1 + scrap) per unit made."""
    if p["every"] and t % p["every"]:
        return
    stock, ix = state.stock, p["ix"]
    made = np.maximum(p["up_to"] - stock[ix] + state.owed_down[ix] + state.backlog[ix], 0.0)
    if p["periodic"]:
        made *= t % p["review"] == 0
    if p["capped"]:
        grp, groups = p["grp"], p["groups"]
        made *= _share(state.group_left[groups], np.bincount(grp, made, len(groups)))[grp]
    if p["lines"]:
        lchild, factor, childs, lpar = p["lchild"], p["factor"], p["childs"], p["lpar"]
        need = np.bincount(lchild, made[lpar] * factor, len(childs))
        if p["all_inf"]:
            used = need
        else:
            cover = _share(stock[childs] + p["child_inf"], need)[lchild]
            made[p["with_lines"]] *= np.minimum.reduceat(cover, p["starts"])
            used = np.bincount(lchild, made[lpar] * factor, len(childs))
            rec["shortage"][t, childs] += need - used
        left = stock[childs] - used
        stock[childs] = left if p["all_inf"] else np.where(p["child_inf"] > 0, left, np.maximum(left, 0.0))
        rec["consumed"][t, childs] += used
        rec["demand"][t, childs] += need
    if p["capped"]:
        state.group_left[p["groups"]] -= np.bincount(p["grp"], made, len(p["groups"]))
    stock[ix] += made
    rec["produced"][t, ix] = made


def sell(t: int, c: dict, state, rec, demand_today: np.ndarray) -> None:
    """Serve customer backorders first, then the day's new demand; what is left unserved
    becomes backorder, or is lost where the node's policy is lost sales."""
    ix = c["ix"]
    wanted, on_hand = demand_today[c["cols"]], state.stock[ix]
    if c["lost"] == "all":
        served = np.minimum(on_hand, wanted)
        sold = served
    else:
        backlog = state.backlog[ix]
        late = np.minimum(on_hand, backlog)
        served = np.minimum(on_hand - late, wanted)
        sold = late + served
        left = backlog - late + wanted - served
        state.backlog[ix] = left if c["lost"] == "none" else np.where(c["lost_mask"], 0.0, left)
    state.stock[ix] = on_hand - sold
    rec["demand"][t, ix] += wanted
    rec["sales"][t, ix] = sold
    rec["shortage"][t, ix] += wanted - served


def ship(t: int, plan, state, rec) -> None:
    """Ship open orders from stock, within arc capacity; an order shipped on day t arrives
    on day t + lead (lead 0: at once). Shortage counts today's new orders not shipped
    today, older open orders being served first."""
    d, sl, size = plan.down, plan.sl, plan.size
    ix, uloc = d["ix"], d["uloc"]
    owed = state.owed[ix]
    total = np.bincount(uloc, owed, size)
    out = owed * _share(state.stock[sl] + plan.inf_add if plan.any_inf else state.stock[sl], total)[uloc]
    if d["capped"]:
        darc, arcs = d["darc"], d["arcs"]
        out *= _share(state.arc_left[arcs], np.bincount(darc, out, len(arcs)))[darc]
        state.arc_left[arcs] -= np.bincount(darc, out, len(arcs))
    shipped = np.bincount(uloc, out, size)
    left = state.stock[sl] - shipped
    state.stock[sl] = np.where(plan.infinite, left, np.maximum(left, 0.0)) if plan.any_inf else np.maximum(left, 0.0)
    owed = owed - out
    state.owed[ix] = owed
    state.arrivals_flat[d["flat"] + t * state.arrivals.shape[1]] += out
    if d["same_day"] is not None:
        now, sel = d["same_day"], d["same_day_sel"]
        state.stock[now] += out[sel]
        state.on_order[now] -= out[sel]
    rec["shipments"][t, sl] = shipped
    fresh = state.received[sl]
    rec["shortage"][t, sl] += np.maximum(fresh - np.maximum(shipped - (total - fresh), 0.0), 0.0)
    state.owed_down[sl] = np.bincount(uloc, owed, size)


def order(t: int, o: dict, state, rec) -> None:
    """Periodic review, order up to S: on review days, when the inventory position is at or
    below s, order S − position, at least the MOQ, rounded up to the order multiple."""
    if o["every"] and t % o["every"]:
        return
    ix = o["ix"]
    position = state.stock[ix] + state.on_order[ix]
    if o["backlog"]:
        position -= state.backlog[ix]
    if o["owed_down"]:
        position -= state.owed_down[ix]
    need = o["up_to"] - position
    go = need > 1e-9
    if o["s_S"]:
        go &= position <= o["reorder_at"]
    if o["periodic"]:
        go &= t % o["review"] == 0
    qty = np.where(go, np.maximum(need, o["moq"]), 0.0)
    if o["any_mult"]:
        qty = np.where(o["has_mult"], np.ceil(qty / o["mult"] - 1e-9) * o["mult"], qty)
    state.owed[ix] += qty
    state.on_order[ix] += qty
    rec["ordered"][t, ix] = qty
    ups = o["ups"]
    received = np.bincount(o["upc"], qty, len(ups))
    state.received[ups] += received
    state.owed_down[ups] += received
    rec["demand"][t, ups] += received
