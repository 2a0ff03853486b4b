"""Summary KPIs of a run (DESIGN §9) from the recorded series and the P&L.

Each KPI's formula and unit are in contracts/kpis.py. Store figures count customer demand at
store nodes; they reconcile by construction: store_demand_total = store_sales_on_time +
store_sales_late + lost_sales_total + backorder_open_end, and customer_shortage_total =
store_demand_total − store_sales_total.
"""

import numpy as np

from contracts.events import RunSummary, RunWarning

from .attainment import attainment, shortfalls
from .network import Network
from .state import State

TOP_ITEMS = 5


def _r(value: float) -> float:
    return round(float(value), 4)


def _top_items(net: Network, stores: np.ndarray, unserved: np.ndarray) -> list[dict]:
    by_item: dict[str, float] = {}
    for k in np.nonzero(stores & (unserved > 1e-9))[0]:
        code = net.item_codes[net.pair_item[k]]
        by_item[code] = by_item.get(code, 0.0) + float(unserved[k])
    top = sorted(by_item.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ITEMS]
    return [{"item_code": code, "shortage": _r(qty)} for code, qty in top]


def summarise(net: Network, state: State, pnl: dict[str, np.ndarray], lines: list | None = None) -> RunSummary:
    """``lines``: the supply plan's lines (attainment.plan_lines) when the run executed one."""
    rec, days = state.rec, net.days
    pair_types = np.array(net.node_types, dtype=object)[net.pair_node] if net.pair_count else np.array([], dtype=object)
    stores = pair_types == "store"
    demand_by_pair, sales_by_pair = rec["demand"].sum(axis=0), rec["sales"].sum(axis=0)
    demand, sales, on_time = demand_by_pair[stores].sum(), sales_by_pair[stores].sum(), state.on_time[stores].sum()
    on_hand = rec["end"].sum(axis=0)
    backlog = rec["backorder"] @ stores.astype(float)
    peak_day = int(np.argmax(backlog)) if len(backlog) else 0
    peak = float(backlog[peak_day]) if len(backlog) else 0.0
    ratio = (lambda part: _r(min(1.0, part / demand))) if demand > 0 else (lambda part: 1.0)
    return RunSummary(
        planning_days=days, fill_rate=ratio(sales), fill_rate_on_time=ratio(on_time),
        store_demand_total=_r(demand), store_sales_total=_r(sales), store_sales_on_time=_r(on_time),
        store_sales_late=_r(sales - on_time), lost_sales_total=_r(state.lost[stores].sum()),
        backorder_open_end=_r(state.backlog[stores].sum()), customer_shortage_total=_r(demand - sales),
        network_shortage_total=_r(rec["shortage"].sum(axis=0)[~stores].sum()),
        avg_on_hand_by_type={t: _r(on_hand[pair_types == t].sum() / days) for t in sorted(set(pair_types))},
        backorder_peak=_r(peak), backorder_peak_day=peak_day + 1 if peak > 1e-9 else 0,
        revenue_total=_r(pnl["revenue"].sum()), cost_total=_r(pnl["cost_total"].sum()),
        penalty_total=_r(pnl["penalty"].sum()), profit_total=_r(pnl["profit"].sum()),
        profit_per_day_avg=_r(pnl["profit"].sum() / days),
        top_shortage_items=_top_items(net, stores, demand_by_pair - sales_by_pair),
        currency=net.currency,
        warnings=[RunWarning(code=w.code, node=w.node, item=w.item, message=w.message)
                  for w in [*net.warnings, *(net.plan.warnings if net.plan else ())]],
        plan_attainment=attainment(net, lines or []), plan_shortfalls=shortfalls(net, lines or []))
