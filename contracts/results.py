"""The daily PSI results of a run, stored gzip-compressed as JSON in the object store.

Three layouts, told apart by ``schema_id``; every reader takes all three through ``row_layout``:

- ``scpln-results-3`` (``DailyResults``, what the simulator writes): columnar, cheap to write.
  ``pairs`` lists the node-item pairs once; ``series`` holds per measure one list per pair (in
  ``pairs`` order) indexed by day (index 0 is day 1); the cost trace is a list of blocks, each
  of one category with, per node-item column, the days with a non-zero amount and the amounts.
  A list of values that are all whole numbers may be written without fractions (``12`` for
  ``12.0``): the same JSON numbers.
- ``scpln-results-2`` (``DailyResultsV2``, what the legacy importer writes): by rows. ``series``
  is one object per pair with a list per measure; ``cost_trace`` one entry per amount; ``plan``.
- ``scpln-results-1``: as scpln-results-2 without ``plan``.
"""

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from contracts.envelope import Contract

COLUMNAR = "scpln-results-3"
BY_ROWS = "scpln-results-2"
SERIES_MEASURES = (
    "start", "receipts", "demand", "sales", "shipments", "shortage", "backorder",
    "produced", "consumed", "ordered", "end",
)
PNL_MEASURES = (
    "revenue", "cogs", "sgna", "transport", "production", "storage", "penalty", "cost_total", "profit",
)
MEASURE_TEXT = {
    "start": "Stock at the start of the day.",
    "receipts": "Arrivals from upstream.",
    "demand": "New customer demand (stores) or orders received (upstream).",
    "sales": "Customer sales, backorders served included (stores).",
    "shipments": "Quantity shipped downstream.",
    "shortage": "Demand or orders not served on their day.",
    "backorder": "Backorder or open-order balance at the end of the day.",
    "produced": "Units produced (factories).",
    "consumed": "Components consumed by production.",
    "ordered": "Replenishment ordered from upstream.",
    "end": "Stock at the end of the day.",
}


def _per_pair(measure: str) -> Any:
    return Field(description=f"{MEASURE_TEXT[measure]} One list per pair, in ``pairs`` order.")


class NodeItemSeries(Contract):
    """One node-item pair over the horizon (scpln-results-1/2). Invariant, every day:
    start + receipts + produced - shipments - sales - consumed = end."""

    node: str = Field(description="Node code.")
    item: str = Field(description="Item code.")
    node_type: str = Field(description="Node type (store, warehouse, factory, supplier, material).")
    start: list[float] = Field(description=MEASURE_TEXT["start"])
    receipts: list[float] = Field(description=MEASURE_TEXT["receipts"])
    demand: list[float] = Field(description=MEASURE_TEXT["demand"])
    sales: list[float] = Field(description=MEASURE_TEXT["sales"])
    shipments: list[float] = Field(description=MEASURE_TEXT["shipments"])
    shortage: list[float] = Field(description=MEASURE_TEXT["shortage"])
    backorder: list[float] = Field(description=MEASURE_TEXT["backorder"])
    produced: list[float] = Field(description=MEASURE_TEXT["produced"])
    consumed: list[float] = Field(description=MEASURE_TEXT["consumed"])
    ordered: list[float] = Field(description=MEASURE_TEXT["ordered"])
    end: list[float] = Field(description=MEASURE_TEXT["end"])


class NodeItem(Contract):
    node: str = Field(description="Node code.")
    item: str = Field(description="Item code.")
    node_type: str = Field(description="Node type (store, warehouse, factory, supplier, material).")


class SeriesColumns(Contract):
    """Every pair's series (scpln-results-3): per measure, per pair, per day. Invariant, every
    pair and day: start + receipts + produced - shipments - sales - consumed = end."""

    start: list[list[float]] = _per_pair("start")
    receipts: list[list[float]] = _per_pair("receipts")
    demand: list[list[float]] = _per_pair("demand")
    sales: list[list[float]] = _per_pair("sales")
    shipments: list[list[float]] = _per_pair("shipments")
    shortage: list[list[float]] = _per_pair("shortage")
    backorder: list[list[float]] = _per_pair("backorder")
    produced: list[list[float]] = _per_pair("produced")
    consumed: list[list[float]] = _per_pair("consumed")
    ordered: list[list[float]] = _per_pair("ordered")
    end: list[list[float]] = _per_pair("end")


class CostEntry(Contract):
    day: int = Field(ge=1, description="Day, 1-based.")
    category: str = Field(description="revenue, cogs, sgna, transport, production, storage or penalty.")
    node: str = Field(default="", description="Node the amount belongs to.")
    item: str = Field(default="", description="Item the amount belongs to.")
    amount: float = Field(description="Amount (costs positive).")


class CostBlock(Contract):
    """Itemised amounts of one category (scpln-results-3), by column: column j is node ``node[j]``
    and item ``item[j]``; on day ``days[j][i]`` it has ``amounts[j][i]``. Days without an amount
    and columns without any are left out."""

    category: str = Field(description="revenue, cogs, sgna, transport, production, storage or penalty.")
    node: list[str] = Field(description="Node of each column.")
    item: list[str] = Field(description="Item of each column (\"\" for amounts of a node as a whole).")
    days: list[list[int]] = Field(description="Per column, the days (1-based, ascending) with a non-zero amount.")
    amounts: list[list[float]] = Field(description="Per column, the amount of each of its days (costs positive).")


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
    """The layout the simulator writes (scpln-results-3, columnar)."""

    schema_id: str = Field(default=COLUMNAR, description=(
        "Layout of this document: scpln-results-3 (this one, columnar); scpln-results-2 and -1 are laid out "
        "by rows (DailyResultsV2)."))
    run_id: str = Field(description="Run the results belong to.")
    planning_days: int = Field(ge=0, description="Days simulated.")
    start_date: str | None = Field(default=None, description="ISO date of day 1, when the config gives one.")
    pairs: list[NodeItem] = Field(description="The node-item pairs, in the order of every per-pair list.")
    series: SeriesColumns = Field(description="Per measure, per pair, per day.")
    pnl: dict[str, list[float]] = Field(description="Daily P&L per measure of PNL_MEASURES.")
    plan: PlanExecution | None = Field(default=None, description=(
        "Planned vs actual production and receipts per week, and why the run fell short; None when the run "
        "replayed the inventory policies."))
    cost_trace: list[CostBlock] = Field(default_factory=list, description=(
        "Itemised costs by category and column; sums to the P&L."))


class DailyResultsV2(Contract):
    """The layout by rows (scpln-results-2, and -1 without ``plan``): still read, and written by
    the legacy importer."""

    schema_id: str = Field(default=BY_ROWS, description=(
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


def row_layout(doc: dict[str, Any]) -> dict[str, Any]:
    """A results document (parsed JSON, with or without its cost trace) laid out by rows as
    scpln-results-2: what every reader takes. Documents by rows come back as they are."""
    if doc.get("schema_id") != COLUMNAR:
        return doc
    rows = {k: v for k, v in doc.items() if k not in ("pairs", "series", "cost_trace")}
    rows |= {"schema_id": BY_ROWS, "series": series_by_pair(doc)}
    if "cost_trace" in doc:
        rows["cost_trace"] = list(cost_entries(doc))
    return rows


def series_by_pair(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The series of a document of any layout as scpln-results-2 has them: one object per pair
    with its node, item, node_type and one list of floats per measure."""
    if doc.get("schema_id") != COLUMNAR:
        return doc["series"]
    columns = [(m, doc["series"][m]) for m in SERIES_MEASURES if m in doc["series"]]
    return [{"node": p["node"], "item": p["item"], "node_type": p["node_type"],
             **{m: list(map(float, values[k])) for m, values in columns}} for k, p in enumerate(doc["pairs"])]


def cost_entries(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The cost trace of a document of any layout as scpln-results-2 has it: one entry per
    amount, block by block, then day by day and column by column (the simulator's order)."""
    if doc.get("schema_id") != COLUMNAR:
        yield from doc.get("cost_trace", [])
        return
    for block in doc.get("cost_trace", []):
        category, nodes, items = block["category"], block["node"], block["item"]
        cells = sorted((day, j, amount) for j, (days, amounts) in enumerate(zip(block["days"], block["amounts"]))
                       for day, amount in zip(days, amounts))
        for day, j, amount in cells:
            yield {"day": day, "category": category, "node": nodes[j], "item": items[j], "amount": float(amount)}
