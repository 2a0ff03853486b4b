"""Summary KPIs of a run (DESIGN §9) from the recorded series and the P&L.

Store figures count customer demand at store nodes. ``avg_on_hand_by_type`` is, per node
type, the end stock summed over the type's pairs and averaged over the days.
``backorder_peak`` is the largest total backorder balance of store pairs on any day.
"""

import numpy as np

from contracts.events import RunSummary

from .network import Network
from .state import State

TOP_ITEMS = 5


def _r(value: float) -> float:
    return round(float(value), 4)


def summarise(net: Network, state: State, pnl: dict[str, np.ndarray]) -> RunSummary:
    rec, days = state.rec, net.days
    pair_types = np.array(net.node_types, dtype=object)[net.pair_node] if net.pair_count else np.array([], dtype=object)
    stores = pair_types == "store"
    weight = stores.astype(float)
    demand, sales = rec["demand"].sum(axis=0) @ weight, rec["sales"].sum(axis=0) @ weight
    shortage, on_hand = rec["shortage"].sum(axis=0), rec["end"].sum(axis=0)
    backlog = rec["backorder"] @ weight
    peak_day = int(np.argmax(backlog)) if len(backlog) else 0
    peak = float(backlog[peak_day]) if len(backlog) else 0.0
    by_item: dict[str, float] = {}
    for k in np.nonzero(stores & (shortage > 0))[0]:
        code = net.item_codes[net.pair_item[k]]
        by_item[code] = by_item.get(code, 0.0) + float(shortage[k])
    top = sorted(by_item.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ITEMS]
    return RunSummary(
        planning_days=days, fill_rate=_r(min(1.0, sales / demand)) if demand > 0 else 1.0,
        store_demand_total=_r(demand), store_sales_total=_r(sales),
        customer_shortage_total=_r(shortage[stores].sum()), network_shortage_total=_r(shortage[~stores].sum()),
        avg_on_hand_by_type={t: _r(on_hand[pair_types == t].sum() / days) for t in sorted(set(pair_types))},
        backorder_peak=_r(peak), backorder_peak_day=peak_day + 1 if peak > 1e-9 else 0,
        revenue_total=_r(pnl["revenue"].sum()), cost_total=_r(pnl["cost_total"].sum()),
        penalty_total=_r(pnl["penalty"].sum()), profit_total=_r(pnl["profit"].sum()),
        profit_per_day_avg=_r(pnl["profit"].sum() / days),
        top_shortage_items=[{"item_code": code, "shortage": _r(qty)} for code, qty in top])
