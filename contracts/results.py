"""The daily PSI results of a run, stored gzip-compressed as JSON in the object store.

Columnar: each series holds one list per measure, indexed by day (index 0 is day 1), so a
365-day run of a large network stays compact and charts read it without reshaping.
"""

from typing import Any, Literal

from pydantic import Field

from contracts.envelope import Contract

SERIES_MEASURES = (
    "start", "receipts", "demand", "sales", "shipments", "shortage", "backorder",
    "produced", "consumed", "ordered", "end",
)
PNL_MEASURES = (
    "revenue", "cogs", "sgna", "transport", "production", "storage", "penalty", "cost_total", "profit",
)


class NodeItemSeries(Contract):
    """One node-item pair over the horizon. Invariant, every day:
    start + receipts + produced - shipments - sales - consumed = end."""

    node: str = Field(description="Node code.")
    item: str = Field(description="Item code.")
    node_type: str = Field(description="Node type (store, warehouse, factory, supplier, material).")
    start: list[float] = Field(description="Stock at the start of the day.")
    receipts: list[float] = Field(description="Arrivals from upstream.")
    demand: list[float] = Field(description="New customer demand (stores) or orders received (upstream).")
    sales: list[float] = Field(description="Customer sales, backorders served included (stores).")
    shipments: list[float] = Field(description="Quantity shipped downstream.")
    shortage: list[float] = Field(description="Demand or orders not served on their day.")
    backorder: list[float] = Field(description="Backorder or open-order balance at the end of the day.")
    produced: list[float] = Field(description="Units produced (factories).")
    consumed: list[float] = Field(description="Components consumed by production.")
    ordered: list[float] = Field(description="Replenishment ordered from upstream.")
    end: list[float] = Field(description="Stock at the end of the day.")


class CostEntry(Contract):
    day: int = Field(ge=1, description="Day, 1-based.")
    category: str = Field(description="revenue, cogs, sgna, transport, production, storage or penalty.")
    node: str = Field(default="", description="Node the amount belongs to.")
    item: str = Field(default="", description="Item the amount belongs to.")
    amount: float = Field(description="Amount (costs positive).")


class PlanLine(Contract):
    """One node-item line of the executed supply plan, week by week (the weeks of ``PlanExecution``)."""

    node: str = Field(description="Node code.")
    item: str = Field(description="Item code.")
    kind: Literal["production", "receipts"] = Field(description="Production completed (in stock), or purchases "
                                                                "received from upstream.")
    stated: bool = Field(description="True when the supply plan states the quantity; False for components the run "
                                     "orders or makes for the planned production.")
    planned: list[float] = Field(description="Units planned per week.")
    actual: list[float] = Field(description="Units completed or received per week.")
    shortfall: list[float] = Field(description="max(planned − actual, 0) per week.")
    reasons: dict[str, list[float]] = Field(default_factory=dict, description=(
        "The shortfall per week split by reason (contracts.supply_plan.REASONS); reasons with none left out."))


class PlanExecution(Contract):
    """How the run executed its supply plan (contracts/supply_plan.py)."""

    until_day: int = Field(ge=0, description="Last day the plan governs; the inventory policies act after it.")
    weeks: list[dict[str, Any]] = Field(description="The plan's weeks: label, first_day, last_day.")
    lines: list[PlanLine] = Field(description="Every node-item line the plan drives.")


class DailyResults(Contract):
    schema_id: str = Field(default="scpln-results-2", description=(
        "Layout of this document: scpln-results-2 adds ``plan``; scpln-results-1 documents have none."))
    run_id: str = Field(description="Run the results belong to.")
    planning_days: int = Field(ge=0, description="Days simulated.")
    start_date: str | None = Field(default=None, description="ISO date of day 1, when the config gives one.")
    series: list[NodeItemSeries] = Field(description="Per node and item, per day.")
    pnl: dict[str, list[float]] = Field(description="Daily P&L per measure of PNL_MEASURES.")
    plan: PlanExecution | None = Field(default=None, description=(
        "Planned vs actual production and receipts per week, and why the run fell short; None when the run "
        "replayed the inventory policies."))
    cost_trace: list[CostEntry] = Field(default_factory=list, description="Itemised costs; sums to the P&L.")
