"""The daily loop. Each day: arrivals and production due; today's resource limits and the room
of hard-limited nodes (capacity − stock on hand, in transit to the node and in production
there: what leaves during the day frees room from the next day on); then echelon by echelon,
downstream first: production, customer sales (backorders first), shipments against open
orders (lead time 0 arrives at once), replenishment orders; then infinite sources are topped
back up and the day's stock and backorders recorded. Production and orders of the pairs a supply
plan drives follow the plan's releases (production.py, steps.py)."""

from collections.abc import Callable

import numpy as np

from . import production, steps
from .network import Network
from .plan import as_index, echelons
from .state import State


def run(net: Network, on_progress: Callable[[int, int], None] | None = None) -> State:
    state, plans = State.start(net), echelons(net)
    infinite = as_index(np.nonzero(net.infinite)[0])
    refill = net.init[infinite]
    reset_arcs, reset_groups = bool(np.isfinite(net.arcs["cap"]).any()), bool(np.isfinite(net.groups["cap"]).any())
    made = as_index(np.nonzero(net.produced)[0])
    roomed = np.nonzero(net.room_of >= 0)[0]
    rooms, limits = len(net.room_cap), net.limit_cap.shape[1]
    gaps = any(plan.prod and plan.prod["lines"] and not plan.prod["all_inf"] for plan in plans)
    rec, every = state.rec, max(1, net.days // 10)
    stock, backlog, owed_down, received = state.stock, state.backlog, state.owed_down, state.received
    for t in range(net.days):
        arriving = state.arrivals[t]
        stock += arriving
        state.on_order -= arriving
        if state.completing is not None:
            done = state.completing[t]
            stock[made] += done
            state.wip[made] -= done
            rec["produced"][t, made] = done
        if reset_arcs:
            state.arc_left[:] = net.arcs["cap"]
        if reset_groups:
            state.group_left[:] = net.groups["cap"]
        if limits:
            state.limit_left[:-1] = net.limit_cap[t]
        if rooms:
            load = stock[roomed] + state.on_order[roomed] - state.owed[roomed] + state.wip[roomed]
            np.maximum(net.room_cap - np.bincount(net.room_of[roomed], load, rooms), 0.0, out=state.room[:-1])
        received[:] = 0.0
        for plan in plans:
            if plan.prod:
                production.produce(t, plan.prod, state, rec)
            if plan.cust:
                steps.sell(t, plan.cust, state, rec, net.demand[t])
            if plan.down:
                steps.ship(t, plan, state, rec)
            if plan.orders:
                steps.order(t, plan.orders, state, rec)
        if gaps:
            np.copyto(state.gap_left, state.gap_today, where=state.touched)
            state.gap_today[:] = 0.0
            state.touched[:] = False
        if len(refill):
            rec["receipts"][t, infinite] += refill - stock[infinite]
            stock[infinite] = refill
        rec["end"][t] = stock
        np.add(backlog, owed_down, out=rec["backorder"][t])
        if on_progress and ((t + 1) % every == 0 or t + 1 == net.days):
            on_progress(t + 1, net.days)
    return state
