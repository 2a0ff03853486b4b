"""The per-echelon steps of a day after production, as array operations over the echelon's
pairs: customer sales, shipments, replenishment orders (production: production.py).

Whatever is short is shared by alloc.share (pro rata; whole units for discrete items, the
units left over going by largest remainder): an upstream pair's stock among the open orders
on it, then an arc's capacity, a supplier's capacity per day and a hard-limited node's room
among the shipments that use them. Branches on plan flags only skip work that would change
nothing. Where a supply plan drives a pair's orders (plan["plan"], within the plan's days), the
pair orders what the plan releases that day, and shipping records what held back its open orders
(upstream stock, capacity, room: contracts.supply_plan.REASONS).
"""

import numpy as np

from .alloc import EPS, share, use, within


def sell(t: int, c: dict, state, rec, demand_today: np.ndarray) -> None:
    """Serve customer backorders first, then the day's new demand; what is left unserved
    becomes backorder, or is lost where the node's policy is lost sales."""
    ix = c["ix"]
    wanted, on_hand = demand_today[c["cols"]], state.stock[ix]
    if c["lost"] == "all":
        served = np.minimum(on_hand, wanted)
        sold = served
        state.lost[ix] += wanted - served
    else:
        backlog = state.backlog[ix]
        late = np.minimum(on_hand, backlog)
        served = np.minimum(on_hand - late, wanted)
        sold = late + served
        left = backlog - late + wanted - served
        if c["lost"] == "none":
            state.backlog[ix] = left
        else:
            state.backlog[ix] = np.where(c["lost_mask"], 0.0, left)
            state.lost[ix] += np.where(c["lost_mask"], wanted - served, 0.0)
    state.stock[ix] = on_hand - sold
    state.on_time[ix] += served
    rec["demand"][t, ix] += wanted
    rec["sales"][t, ix] = sold
    rec["shortage"][t, ix] += wanted - served


def ship(t: int, plan, state, rec) -> None:
    """Ship open orders from stock, within arc capacity, the source's supply limit and the
    destination's room; an order shipped on day t arrives on day t + lead (lead 0: at once).
    Shortage counts today's new orders not shipped today, older open orders being served
    first."""
    d, sl, size = plan.down, plan.sl, plan.size
    ix, uloc, discrete, rank = d["ix"], d["uloc"], d["discrete"], d["rank"]
    planned = d["plan"] if d["plan"] is not None and t < d["plan"]["until"] else None
    owed = state.owed[ix]
    total = np.bincount(uloc, owed, size)
    have = state.stock[sl] + plan.inf_add if plan.any_inf else state.stock[sl]
    out = share(owed, have, uloc, size, discrete, rank, d["single_up"], total)
    stocked = out[planned["loc"]] if planned is not None else None
    if d["capped"]:
        out = share(out, state.arc_left[d["arcs"]], d["darc"], len(d["arcs"]), discrete, rank, d["single_arc"])
    if d["supply"]["any"]:
        out = within(out, state.limit_left, d["supply"], discrete, rank)
    carried = out[planned["loc"]] if planned is not None else None
    if d["rooms"]["any"]:
        out = within(out, state.room, d["rooms"], discrete, rank)
        use(state.room, d["rooms"], out)
    if planned is not None:
        loc, col, cut = planned["loc"], planned["col"], state.order_cut
        cut[3, t, col], cut[0, t, col], cut[1, t, col] = owed[loc] - stocked, stocked - carried, carried - out[loc]
    if d["supply"]["any"]:
        use(state.limit_left, d["supply"], out)
    if d["capped"]:
        state.arc_left[d["arcs"]] -= np.bincount(d["darc"], out, len(d["arcs"]))
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
    below s, order S − position, at least the MOQ, rounded up to the order multiple (and to a
    whole unit for discrete items). Pairs a supply plan drives (within its days) order what the
    plan releases that day instead, every day."""
    planned = o["plan"] if o["plan"] is not None and t < o["plan"]["until"] else None
    off_day = bool(o["every"]) and t % o["every"] != 0
    if off_day and planned is None:
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
    if o["any_disc"]:
        qty = np.ceil(qty - EPS) if o["all_disc"] else np.where(o["discrete"], np.ceil(qty - EPS), qty)
    if planned is not None:
        if off_day:
            qty = np.zeros_like(qty)
        qty[planned["loc"]] = planned["release"][t]
    state.owed[ix] += qty
    state.on_order[ix] += qty
    rec["ordered"][t, ix] = qty
    ups = o["ups"]
    received = np.bincount(o["upc"], qty, len(ups))
    state.received[ups] += received
    state.owed_down[ups] += received
    rec["demand"][t, ups] += received
