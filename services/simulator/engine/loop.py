"""The daily loop. Each day: arrivals due; then echelon by echelon, downstream first:
production, customer sales (backorders first), shipments against open orders, replenishment
orders; then same-day (lead time 0) arrivals, infinite sources topped back up, records."""

from collections.abc import Callable

import numpy as np

from .network import Network
from .plan import Echelon, echelons
from .state import State
from . import steps


def run(net: Network, on_progress: Callable[[int, int], None] | None = None) -> State:
    state, plans = State.start(net), echelons(net)
    infinite = np.nonzero(net.infinite)[0]
    every = max(1, net.days // 10)
    for t in range(net.days):
        _day(t, net, state, plans, infinite)
        if on_progress and ((t + 1) % every == 0 or t + 1 == net.days):
            on_progress(t + 1, net.days)
    return state


def _arrive(state: State, slot: int, receipts: np.ndarray) -> None:
    arriving = state.pipe[slot]
    state.stock += arriving
    state.transit -= arriving
    receipts += arriving
    arriving[:] = 0.0


def _day(t: int, net: Network, state: State, plans: list[Echelon], infinite: np.ndarray) -> None:
    rec = state.rec
    slot = t % len(state.pipe)
    _arrive(state, slot, rec["receipts"][t])
    state.arc_left[:] = net.arcs["cap"]
    state.group_left[:] = net.groups["cap"]
    state.received[:] = 0.0
    for plan in plans:
        if plan.prod:
            steps.produce(t, plan, state, rec)
        if plan.cust:
            steps.sell(t, plan, state, rec, net.demand[t])
        if plan.down:
            steps.ship(t, plan, state, rec)
        if plan.orders:
            steps.order(t, plan, state, rec)
    _arrive(state, slot, rec["receipts"][t])
    if len(infinite):
        rec["receipts"][t, infinite] += net.init[infinite] - state.stock[infinite]
        state.stock[infinite] = net.init[infinite]
    rec["end"][t] = state.stock
    np.add(state.backlog, state.owed_down, out=rec["backorder"][t])
