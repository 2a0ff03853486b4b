"""Daily results as CSV: the PSI series (one row per day, node and item), the P&L (one row per
day) and the cost trace (one row per itemised amount); the same rows from every layout."""

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, Literal

from contracts.results import PNL_MEASURES, SERIES_MEASURES, row_layout

Part = Literal["series", "pnl", "costs"]


def _dates(head: dict[str, Any]) -> list[str]:
    days = head.get("planning_days", 0)
    if not head.get("start_date"):
        return [""] * days
    first = date.fromisoformat(head["start_date"])
    return [(first + timedelta(days=d)).isoformat() for d in range(days)]


def _rows(part: Part, doc: dict[str, Any]) -> Iterator[list[Any]]:
    dates = _dates(doc)
    if part == "series":
        yield ["day", "date", "node", "item", "node_type", *SERIES_MEASURES]
        for s in doc["series"]:
            for d, when in enumerate(dates):
                yield [d + 1, when, s["node"], s["item"], s["node_type"], *(s[m][d] for m in SERIES_MEASURES)]
    elif part == "pnl":
        pnl = doc.get("pnl", {})
        measures = [m for m in PNL_MEASURES if m in pnl]
        yield ["day", "date", *measures]
        for d, when in enumerate(dates):
            yield [d + 1, when, *(pnl[m][d] for m in measures)]
    else:
        yield ["day", "category", "node", "item", "amount"]
        for c in doc.get("cost_trace", []):
            yield [c["day"], c["category"], c.get("node", ""), c.get("item", ""), c["amount"]]


def to_csv(part: Part, doc: dict[str, Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(_rows(part, row_layout(doc)))
    return out.getvalue()
