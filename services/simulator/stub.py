"""A closed-form estimate of a run's summary, for SCPLN_SKIP_SIMULATION_API=1 (DESIGN §9).

No daily loop: expected store demand per item from the demand rows (means, spread over the
horizon like the engine does), supply per item bounded by initial stock plus production
capacity over the horizon (unbounded when an item is not made under a binding capacity),
and costs from per-unit rates. Same keys as the engine's RunSummary (contracts/kpis.py);
milliseconds. No late deliveries are estimated: what is sold is sold on time, what is short
stays short (lost at lost-sales stores, open backorders elsewhere). Quantities of discrete
items are whole units.
"""

from contracts.buckets import BucketError, day_range, start_date_of
from contracts.canonical import CanonicalConfig
from contracts.events import RunSummary, RunWarning
from contracts.kpis import currency_of, is_discrete
from contracts.sourcing import unsourced_components

INF = float("inf")


def _store_demand(config: CanonicalConfig, days: int) -> tuple[dict[str, float], dict[str, float]]:
    """Per item: expected store demand over the horizon, and the part at lost-sales stores."""
    stores = {n.code: n.backorder_policy == "lost_sales" for n in config.nodes if n.node_type == "store"}
    start, demand, lost = start_date_of(config.meta.attributes), {}, {}
    for row in config.demands:
        try:
            span = day_range(row.bucket, start)
        except BucketError:
            continue
        if row.node_code in stores and span.days:
            qty = row.mean * span.clip(days).days / span.days
            demand[row.item_code] = demand.get(row.item_code, 0.0) + qty
            lost[row.item_code] = lost.get(row.item_code, 0.0) + qty * stores[row.node_code]
    whole = {i.code for i in config.items if is_discrete(i.uom)}
    return {i: float(round(q)) if i in whole else q for i, q in demand.items()}, lost


def _supply(config: CanonicalConfig, days: int) -> dict[str, float]:
    supply: dict[str, float] = {}
    for node in config.nodes:
        for policy in node.inventory_policies:
            supply[policy.item_code] = supply.get(policy.item_code, 0.0) + policy.initial_inventory
        for production in node.production_policies:
            cap = production.production_capacity
            unbounded = cap is None or production.allow_over_capacity or production.item_code is None
            key = production.item_code or ""
            supply[key] = supply.get(key, 0.0) + (INF if unbounded else cap * days)
    if config.arcs and any(n.infinite_source for n in config.nodes if n.node_type == "supplier"):
        return {item: INF for item in supply}
    return supply


def estimate_summary(config: CanonicalConfig, *, seed: int) -> RunSummary:
    """The run summary estimated in closed form. ``seed`` is accepted for symmetry with the
    engine; the estimate uses expected values and does not depend on it."""
    days = max(config.planning_days, 0)
    items = {i.code: i for i in config.items}
    (demand, at_lost), supply = _store_demand(config, days), _supply(config, days)
    sales = {i: min(q, supply.get(i, 0.0) + (supply.get("", 0.0))) for i, q in demand.items()}
    short = {i: demand[i] - sales[i] for i in demand}
    lost = sum(short[i] * at_lost[i] / demand[i] for i in demand if demand[i] > 0)
    attr = lambda i, key: float(items[i].attributes.get(key, 0) or 0) if i in items else 0.0
    revenue = sum(q * attr(i, "sales_price") for i, q in sales.items())
    goods = sum(q * ((items[i].unit_cost if i in items else 0.0) + attr(i, "sgna_cost_per_unit")) for i, q in sales.items())
    on_hand: dict[str, float] = {}
    for node in config.nodes:
        held = sum(p.initial_inventory / 2 + p.safety_stock for p in node.inventory_policies)
        on_hand[node.node_type] = on_hand.get(node.node_type, 0.0) + held
    storage = sum(n.storage_cost_fixed * days + n.storage_cost_variable * sum(
        p.initial_inventory / 2 + p.safety_stock for p in n.inventory_policies) * days for n in config.nodes)
    transport = sum(a.transport_cost_fixed * days for a in config.arcs)
    transport += sum(sales.values()) * max((a.transport_cost_variable for a in config.arcs), default=0.0)
    stockout = max((p.stockout_cost for n in config.nodes for p in n.inventory_policies), default=0.0)
    penalty = sum(short.values()) * stockout
    cost = goods + storage + transport + penalty
    total_demand, total_sales, total_short = sum(demand.values()), sum(sales.values()), sum(short.values())
    top = sorted(((i, q) for i, q in short.items() if q > 0), key=lambda kv: (-kv[1], kv[0]))[:5]
    fill = round(total_sales / total_demand, 4) if total_demand else 1.0
    return RunSummary(
        planning_days=days, fill_rate=fill, fill_rate_on_time=fill,
        store_demand_total=round(total_demand, 4), store_sales_total=round(total_sales, 4),
        store_sales_on_time=round(total_sales, 4), store_sales_late=0.0, lost_sales_total=round(lost, 4),
        backorder_open_end=round(total_short - lost, 4),
        customer_shortage_total=round(total_short, 4), network_shortage_total=0.0,
        avg_on_hand_by_type={t: round(v, 4) for t, v in sorted(on_hand.items())},
        backorder_peak=round(total_short, 4), backorder_peak_day=days if total_short > 0 else 0,
        revenue_total=round(revenue, 4), cost_total=round(cost, 4), penalty_total=round(penalty, 4),
        profit_total=round(revenue - cost, 4), profit_per_day_avg=round((revenue - cost) / days, 4) if days else 0.0,
        top_shortage_items=[{"item_code": i, "shortage": round(q, 4)} for i, q in top], currency=currency_of(config),
        warnings=[RunWarning(code=w.code, node=w.node, item=w.item, message=w.message)
                  for w in unsourced_components(config)])
