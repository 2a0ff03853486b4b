"""The run KPIs, defined once: key, label, unit and formula of every RunSummary field.

The simulator computes them, the stub estimates them, ``RunSummary``'s field descriptions
(and so the published schema) are their formulas, the README's KPI table is this table
(a test keeps them equal), and pages can take labels and units from here.

Units: ``fraction`` is 0..1 (show it in %), ``units`` counts item units (whole units where
the item's unit of measure is discrete, see ``CONTINUOUS_UOMS``), ``money`` is in the run's
``currency``, ``days`` is a number of days, ``day`` a 1-based day of the horizon.
"""

from typing import Any, NamedTuple

CONTINUOUS_UOMS = frozenset({
    "kg", "g", "mg", "t", "lb", "oz", "l", "ml", "cl", "hl", "gal", "m", "cm", "mm", "km", "ft", "in", "yd",
    "m2", "m3", "sqm", "cbm", "ft2", "ft3", "kwh", "mwh", "h", "hr", "min",
})
"""Units of measure that are divisible; every other uom (EA, unit, pcs, box, …) is discrete."""


def is_discrete(uom: str) -> bool:
    """True when quantities of an item with this unit of measure come in whole units."""
    return uom.strip().lower() not in CONTINUOUS_UOMS


def currency_of(config: Any) -> str:
    """The config's currency code: ``meta.attributes.currency``, else a ``currency`` key of
    ``meta`` or of the document; "" when it names none."""
    found = config.meta.attributes.get("currency") or getattr(config.meta, "currency", None) \
        or getattr(config, "currency", None)
    return str(found).strip().upper() if found else ""


class Kpi(NamedTuple):
    key: str
    label: str
    unit: str
    formula: str


KPIS: tuple[Kpi, ...] = (
    Kpi("planning_days", "Days", "days", "Days simulated: the config's planning horizon."),
    Kpi("fill_rate", "Fill rate", "fraction",
        "store_sales_total / store_demand_total: store demand served within the horizon, on time or late "
        "(1 when there is no store demand)."),
    Kpi("fill_rate_on_time", "On-time fill rate", "fraction",
        "store_sales_on_time / store_demand_total: store demand served on the day it was asked "
        "(1 when there is no store demand)."),
    Kpi("store_demand_total", "Store demand", "units", "Customer demand at store nodes over the horizon."),
    Kpi("store_sales_total", "Store sales", "units",
        "store_sales_on_time + store_sales_late: store demand served within the horizon."),
    Kpi("store_sales_on_time", "Sales on time", "units", "Store demand served on the day it was asked."),
    Kpi("store_sales_late", "Late sales", "units",
        "Store backorders served on a later day within the horizon."),
    Kpi("lost_sales_total", "Lost sales", "units",
        "Store demand not served on its day at nodes whose backorder policy is lost sales."),
    Kpi("backorder_open_end", "Open backorders at end", "units",
        "Store backorders still open after the last day."),
    Kpi("customer_shortage_total", "Customer shortage", "units",
        "store_demand_total − store_sales_total = lost_sales_total + backorder_open_end: store demand not "
        "served within the horizon, each unit once."),
    Kpi("network_shortage_total", "Network shortage", "units",
        "Upstream orders not shipped on the day they were placed, plus components production needed and did not "
        "have on the day the need arose; each unit once (a need still open on later days is not counted again)."),
    Kpi("avg_on_hand_by_type", "Average stock by node type", "units",
        "Per node type: end-of-day stock of the type's node-item pairs, summed, averaged over the days."),
    Kpi("backorder_peak", "Backorder peak", "units",
        "Largest end-of-day balance of store backorders (and open orders owed by stores) over the horizon."),
    Kpi("backorder_peak_day", "Backorder peak day", "day", "First day (1-based) of the backorder peak; 0 when none."),
    Kpi("revenue_total", "Revenue", "money", "Σ sales × the item's sales_price, over every node with customer demand."),
    Kpi("cost_total", "Cost", "money",
        "Cost of goods + SG&A + transport + production + storage + penalties (penalty_total)."),
    Kpi("penalty_total", "Penalties", "money",
        "Σ per day: stockout cost × shortage + backorder cost × backorder balance, per node-item pair."),
    Kpi("profit_total", "Profit", "money", "revenue_total − cost_total."),
    Kpi("profit_per_day_avg", "Profit per day", "money", "profit_total / planning_days."),
    Kpi("top_shortage_items", "Top shortage items", "units",
        "Up to five items with the most customer shortage (store demand − store sales), largest first: "
        "item_code, shortage."),
    Kpi("currency", "Currency", "code", "Currency of every money KPI: the config's meta.attributes.currency "
        "(\"\" when the config names none)."),
    Kpi("warnings", "Warnings", "text",
        "Findings about the config that explain a result, e.g. a component without a source whose opening stock "
        "does not cover the horizon's needs: code, node, item, message."),
    Kpi("plan_attainment", "Plan attainment", "fraction",
        "Σ over items and weeks of min(actual, planned) / Σ planned: the share of the supply plan's units (production "
        "completed, purchases received, at the nodes where each item enters the network) that were there in the week "
        "the plan wanted them (1 when the plan plans nothing)."),
    Kpi("plan_shortfalls", "Plan shortfalls", "units",
        "Up to five node-item lines of the executed plan short the most, largest first: node, item, kind (production "
        "or receipts), planned, attained, shortfall, weeks short, the first week short, and the shortfall by reason "
        "(capacity, storage, components, upstream, lead_time) with the main one."),
)
KPI_BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}


def markdown_table() -> str:
    """The KPI table as the README shows it."""
    rows = ["| key | label | unit | formula |", "| --- | --- | --- | --- |"]
    rows += [f"| `{k.key}` | {k.label} | {k.unit} | {k.formula.replace('|', '/')} |" for k in KPIS]
    return "\n".join(rows)


PLAN_KPIS: tuple[Kpi, ...] = (
    Kpi("demand_total", "Demand", "units", "Σ family demand over the plan's periods (after the scenario's overrides)."),
    Kpi("supply_total", "Planned supply", "units", "Σ reconciled family supply over the plan's weeks (plan_final)."),
    Kpi("backlog_total", "Backlog", "units", "demand_total − supply_total: demand the plan does not supply."),
    Kpi("capacity_utilisation", "Capacity utilisation", "fraction",
        "Reconciled supply of the families with a finite capacity / their capacity, over the horizon "
        "(0 when no family has one)."),
    Kpi("fill_rate_estimate", "Fill-rate estimate", "fraction",
        "min(1, supply_total / demand_total): the plan's promise, before any simulation (1 when there is no demand)."),
    Kpi("aggregate_supply_total", "Aggregate supply", "units",
        "Σ supply of the aggregate step: per family and period, the demand where capacity suffices, else the capacity."),
    Kpi("unplanned_at_horizon_end", "Unplanned at horizon end", "units",
        "Load the reconcile step could not fit into any week of the horizon (it spilled past the last one)."),
    Kpi("rollup_ok", "Roll-up check", "flag",
        "1 (passed) when the weekly detail, rolled back up, matches the aggregate plan within the tolerance option; "
        "0 (failed) when it does not."),
    Kpi("rollup_max_relative_difference", "Largest roll-up difference", "fraction",
        "Largest abs(rolled-up detail − aggregate supply) / max(abs(aggregate supply), 1) over families and periods."),
    Kpi("planned_receipts_total", "Planned receipts (MRP)", "units",
        "Σ MRP planned receipts over every item (components included) and week."),
    Kpi("past_due_releases_total", "Past-due releases", "units",
        "Σ MRP releases due before week 1 (their lead time is longer than the time left): released in week 1."),
    Kpi("families", "Families", "count", "Product families planned."),
    Kpi("items", "Items", "count", "Items (SKUs) planned."),
    Kpi("periods", "Periods", "count", "Planning periods (e.g. months) of the calendar."),
    Kpi("weeks", "Weeks", "count", "Weeks of the planning calendar."),
)
"""The plan KPIs (``PlanCreated.kpis``, plan_service's plan_final step), defined like the run KPIs.
Units as above, plus ``flag`` (1 yes, 0 no) and ``count`` (a number of things)."""
PLAN_KPI_BY_KEY: dict[str, Kpi] = {k.key: k for k in PLAN_KPIS}


def plan_markdown_table() -> str:
    """The plan KPI table as the README shows it."""
    rows = ["| key | label | unit | formula |", "| --- | --- | --- | --- |"]
    rows += [f"| `{k.key}` | {k.label} | {k.unit} | {k.formula.replace('|', '/')} |" for k in PLAN_KPIS]
    return "\n".join(rows)
