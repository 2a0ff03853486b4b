"""The daily loop. Each day: arrivals due; then echelon by echelon, downstream first:
production, customer sales (backorders first), shipments against open orders (lead time 0
arrives at once), replenishment orders; then infinite sources are topped back up and the
day's stock and backorders recorded."""

from collections.abc import Callable

import numpy as np

from . import steps
from .network import Network
from .plan import as_index, echelons
from .state import State


def run(net: Network, on_progress: Callable[[int, int], None] | None = None) -> State:
    state, plans = State.start(net), echelons(net)
    infinite = as_index(np.nonzero(net.infinite)[0])
    refill = net.init[infinite]
    reset_arcs, reset_groups = bool(np.isfinite(net.arcs["cap"]).any()), bool(np.isfinite(net.groups["cap"]).any())
    rec, every = state.rec, max(1, net.days // 10)
    stock, backlog, owed_down, received = state.stock, state.backlog, state.owed_down, state.received
    for t in range(net.days):
        arriving = state.arrivals[t]
        stock += arriving
        state.on_order -= arriving
        if reset_arcs:
            state.arc_left[:] = net.arcs["cap"]
        if reset_groups:
            state.group_left[:] = net.groups["cap"]
        received[:] = 0.0
        for plan in plans:
            if plan.prod:
                steps.produce(t, plan.prod, state, rec)
            if plan.cust:
                steps.sell(t, plan.cust, state, rec, net.demand[t])
            if plan.down:
                steps.ship(t, plan, state, rec)
            if plan.orders:
                steps.order(t, plan.orders, state, rec)
        if len(refill):
            rec["receipts"][t, infinite] += refill - stock[infinite]
            stock[infinite] = refill
        rec["end"][t] = stock
        np.add(backlog, owed_down, out=rec["backorder"][t])
        if on_progress and ((t + 1) % every == 0 or t + 1 == net.days):
            on_progress(t + 1, net.days)
    return state
