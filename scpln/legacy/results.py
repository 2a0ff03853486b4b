"""An original run's daily results (``runs.results``, ``daily_profit_loss``, ``cost_trace``) in
this system's layout (contracts.results, DailyResultsV2 scpln-results-2), gzip JSON as the
simulator stores it. What the original does not record per day is 0 (``shipments``); its
P&L columns are summed into this system's measures."""

import gzip
from typing import Any

from contracts.results import CostEntry, DailyResultsV2, NodeItemSeries

SERIES_FROM = {"start": "start_stock", "receipts": "incoming", "demand": "demand", "sales": "sales",
               "shortage": "shortage", "backorder": "backorder_balance", "produced": "produced",
               "consumed": "consumption", "ordered": "ordered_quantity", "end": "end_stock"}


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _sum(group: object, prefix: str = "") -> float:
    return sum(_number(v) for k, v in group.items() if k.startswith(prefix)) if isinstance(group, dict) else 0.0


def _series(days: list[dict[str, Any]], node_types: dict[str, str]) -> list[NodeItemSeries]:
    span = max((int(d.get("day") or 0) for d in days), default=0)
    cells: dict[tuple[str, str], dict[str, list[float]]] = {}
    for day in days:
        index = int(day.get("day") or 0) - 1
        nodes = day.get("nodes")
        if index < 0 or not isinstance(nodes, dict):
            continue
        for node, items in nodes.items():
            for item, state in (items or {}).items():
                if not isinstance(state, dict):
                    continue
                cell = cells.setdefault((node, item), {m: [0.0] * span for m in (*SERIES_FROM, "shipments")})
                for measure, key in SERIES_FROM.items():
                    cell[measure][index] = _number(state.get(key))
    return [NodeItemSeries(node=node, item=item, node_type=node_types.get(node, ""), **measures)
            for (node, item), measures in sorted(cells.items())]


def _pnl(rows: list[dict[str, Any]], span: int) -> dict[str, list[float]]:
    pnl = {m: [0.0] * span for m in ("revenue", "cogs", "sgna", "transport", "production", "storage", "penalty",
                                     "cost_total", "profit")}
    for row in rows:
        index = int(row.get("day") or 0) - 1
        if not 0 <= index < span:
            continue
        flows = row.get("flow_costs")
        values = {"revenue": _number(row.get("revenue")), "cogs": _number(row.get("material_cost")),
                  "sgna": _number(row.get("sgna_cost")),
                  "transport": sum(_sum(flows, p) for p in ("material_transport", "warehouse_transport", "store_transport")),
                  "production": _sum(flows, "production"), "storage": _sum(row.get("stock_costs")),
                  "penalty": _sum(row.get("penalty_costs")), "cost_total": _number(row.get("total_cost")),
                  "profit": _number(row.get("profit_loss"))}
        for measure, value in values.items():
            pnl[measure][index] = value
    return pnl


def _category(account: str) -> str:
    for prefix, category in (("material", "cogs"), ("sgna", "sgna"), ("transport", "transport"),
                             ("production", "production"), ("storage", "storage"), ("penalty", "penalty"),
                             ("revenue", "revenue")):
        if account.startswith(prefix):
            return category
    return account or "other"


def _costs(rows: list[dict[str, Any]]) -> list[CostEntry]:
    return [CostEntry(day=int(r["day"]), category=_category(str(r.get("account") or r.get("event") or "")),
                      node=str(r.get("node") or ""), item=str(r.get("item") or ""), amount=_number(r.get("amount")))
            for r in rows if isinstance(r, dict) and isinstance(r.get("day"), int) and r["day"] >= 1]


def daily_results(run_id: str, days: object, pnl: object, costs: object, node_types: dict[str, str]) -> bytes | None:
    """The gzip JSON of the run's DailyResults; None when the original kept no daily results."""
    if not isinstance(days, list) or not days:
        return None
    days = [d for d in days if isinstance(d, dict)]
    series = _series(days, node_types)
    span = len(series[0].start) if series else max((int(d.get("day") or 0) for d in days), default=0)
    doc = DailyResultsV2(run_id=run_id, planning_days=span, series=series,
                       pnl=_pnl([r for r in pnl if isinstance(r, dict)] if isinstance(pnl, list) else [], span),
                       cost_trace=_costs(costs if isinstance(costs, list) else []))
    return gzip.compress(doc.model_dump_json().encode(), mtime=0)
