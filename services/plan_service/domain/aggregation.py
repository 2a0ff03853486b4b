"""Aggregate a run's daily PSI results (a contracts.results document as a dict, any layout) into a table
by time bucket and group, for the aggregate job.

Flows (demand, sales, shortage, produced) are summed over the bucket's days. ``end_stock`` is the stock
at the end of the bucket's last day; ``avg_end_stock`` the mean of the daily end stock over the bucket.
Weeks are 7-day blocks from day 1 (``W1`` …); months are calendar months of the dates (``2025-01`` …).
"""

from datetime import date, timedelta
from typing import Literal

import numpy as np

from contracts.buckets import start_date_of
from contracts.canonical import CanonicalConfig
from contracts.results import series_by_pair
from services.plan_service.domain.grouping import UNASSIGNED, family_of, region_of

Bucket = Literal["day", "week", "month"]
GroupBy = Literal["item", "family", "node", "region"]
FLOWS = ("demand", "sales", "shortage", "produced")
COLUMNS = ["bucket", "first_day", "last_day", "group", *FLOWS, "end_stock", "avg_end_stock"]


def bucket_starts(bucket: Bucket, days: int, start: date) -> tuple[list[int], list[str]]:
    """0-based index of each bucket's first day, and the bucket's label."""
    if bucket == "day":
        return list(range(days)), [(start + timedelta(d)).isoformat() for d in range(days)]
    if bucket == "week":
        return list(range(0, days, 7)), [f"W{k // 7 + 1}" for k in range(0, days, 7)]
    if bucket == "month":
        dates = [start + timedelta(d) for d in range(days)]
        firsts = [d for d in range(days) if d == 0 or dates[d].day == 1]
        return firsts, [dates[d].strftime("%Y-%m") for d in firsts]
    raise ValueError(f"bucket must be day, week or month, not {bucket!r}")


def group_keys(series: list[dict], config: CanonicalConfig, group_by: GroupBy) -> list[str]:
    if group_by == "item":
        return [s["item"] for s in series]
    if group_by == "node":
        return [s["node"] for s in series]
    if group_by == "family":
        families = family_of(config)
        return [families.get(s["item"], UNASSIGNED) for s in series]
    if group_by == "region":
        regions = region_of(config)
        return [regions.get(s["node"], UNASSIGNED) for s in series]
    raise ValueError(f"group_by must be item, family, node or region, not {group_by!r}")


def grouped(series: list[dict], measure: str, index: np.ndarray, groups: int, days: int) -> np.ndarray:
    values = np.array([s[measure] for s in series], dtype=float).reshape(len(series), days)
    out = np.zeros((groups, days))
    np.add.at(out, index, values)
    return out


def aggregate_results(results: dict, config: CanonicalConfig, *, bucket: Bucket, group_by: GroupBy) -> dict:
    """``{"bucket", "group_by", "columns", "rows", "totals", "end_stock"}``: one row per bucket and group."""
    days, series = int(results["planning_days"]), series_by_pair(results)
    start = date.fromisoformat(results["start_date"]) if results.get("start_date") else start_date_of(config.meta.attributes)
    firsts, labels = bucket_starts(bucket, days, start)
    keys = group_keys(series, config, group_by)
    names = sorted(set(keys))
    position = {name: k for k, name in enumerate(names)}
    index = np.array([position[k] for k in keys], dtype=int)
    table = {m: grouped(series, m, index, len(names), days) for m in (*FLOWS, "end")}
    if days == 0:
        return _table(bucket, group_by, [], {m: 0.0 for m in FLOWS})
    lasts = [*[f - 1 for f in firsts[1:]], days - 1]
    sums = {m: np.add.reduceat(table[m], firsts, axis=1) for m in FLOWS}
    sizes = np.array([last - first + 1 for first, last in zip(firsts, lasts)])
    average = np.add.reduceat(table["end"], firsts, axis=1) / sizes
    rows = [[label, first + 1, last + 1, name, *(round(float(sums[m][g, b]), 6) for m in FLOWS),
             round(float(table["end"][g, last]), 6), round(float(average[g, b]), 6)]
            for b, (label, first, last) in enumerate(zip(labels, firsts, lasts)) for g, name in enumerate(names)]
    return _table(bucket, group_by, rows, {m: round(float(table[m].sum()), 6) for m in FLOWS})


def _table(bucket: str, group_by: str, rows: list, totals: dict) -> dict:
    return {"bucket": bucket, "group_by": group_by, "columns": COLUMNS, "rows": rows, "totals": totals,
            "end_stock": "end_stock: at the end of the bucket's last day; avg_end_stock: mean daily end stock"}
