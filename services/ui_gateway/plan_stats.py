"""A plan's runs taken together: the fan chart of their daily stock and shortage, and plans
compared by the distributions of their runs' KPIs (contracts/distribution.py).

The fan reads each succeeded run's daily results from the object store (the newest
``FAN_RUNS_MAX``), keeps two series per run and drops the rest. Results never change once
stored, so a fan is cached by the set of result digests it was computed from: a new run
changes the set, and the next request computes the fan again.
"""

import asyncio
from collections import OrderedDict
from typing import Any

from fastapi import Request

from contracts import subjects
from contracts.distribution import fan
from contracts.events import ArtifactRef
from contracts.queries import (
    KpiPlanComparison,
    ListRuns,
    PlanComparison,
    PlanDetail,
    PlanDistributions,
    RunsPage,
)
from services.ui_gateway.deps import ask, read_object
from services.ui_gateway.results import pairs, parse_head

FAN_RUNS_MAX = 100
FAN_CACHE_SIZE = 16
READS_AT_ONCE = 4


def _sum(lists: list[list[float]], days: int) -> list[float]:
    return [round(sum(values[d] for values in lists if d < len(values)), 6) for d in range(days)]


def fan_series(head: dict[str, Any], node: str | None, item: str | None) -> tuple[list[float], list[float]]:
    """A run's daily stock and shortage: one node-item pair's ``end`` and ``shortage``, or, with
    no pair named, the stock of every pair summed and the shortage of the store pairs summed
    (customer demand not served on its day)."""
    days, series = head.get("planning_days", 0), head.get("series", [])
    if node is not None and item is not None:
        found = next((s for s in series if s["node"] == node and s["item"] == item), None)
        return (found["end"], found["shortage"]) if found else ([], [])
    stores = [s["shortage"] for s in series if s["node_type"] == "store"]
    return _sum([s["end"] for s in series], days), _sum(stores, days)


class FanCache:
    def __init__(self, size: int = FAN_CACHE_SIZE) -> None:
        self.size, self.items = size, OrderedDict[tuple[Any, ...], dict[str, Any]]()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], value: dict[str, Any]) -> None:
        self.items[key] = value
        while len(self.items) > self.size:
            self.items.popitem(last=False)


async def _read_head(request: Request, ref: ArtifactRef, gate: asyncio.Semaphore) -> dict[str, Any]:
    async with gate:
        data = await read_object(request.app.state.bus, ref.bucket, ref.key)
    return await asyncio.to_thread(parse_head, data)


async def plan_fan(request: Request, plan_version_id: str, node: str | None = None,
                   item: str | None = None) -> dict[str, Any]:
    """P10, P50 and P90 per day of the stock and the shortage across the plan's succeeded runs
    that kept daily results (``fan_series``), with the node-item pairs one may choose."""
    bus = request.app.state.bus
    query = ListRuns(plan_version_id=plan_version_id, status="succeeded", limit=FAN_RUNS_MAX)
    page = await ask(bus, subjects.QRY_RUNS_LIST, query, RunsPage)
    runs = [r for r in page.runs if r.results is not None]
    key = (plan_version_id, node, item, tuple(sorted(r.results.sha256 for r in runs)))  # type: ignore[union-attr]
    cache: FanCache | None = getattr(request.app.state, "fan_cache", None)
    if cache is None:
        cache = request.app.state.fan_cache = FanCache()
    if (cached := cache.get(key)) is not None:
        return cached
    gate = asyncio.Semaphore(READS_AT_ONCE)
    heads = await asyncio.gather(*(_read_head(request, r.results, gate) for r in runs))  # type: ignore[arg-type]
    picked = [fan_series(head, node, item) for head in heads]
    first = heads[0] if heads else {}
    answer = {
        "plan_version_id": plan_version_id, "runs": len(runs), "run_ids": [r.run_id for r in runs],
        "truncated": page.total > len(page.runs), "days": max((h.get("planning_days", 0) for h in heads), default=0),
        "start_date": first.get("start_date"), "pairs": pairs(first) if first else [],
        "pair": {"node": node, "item": item} if node is not None and item is not None else None,
        "stock": fan([p[0] for p in picked]), "shortage": fan([p[1] for p in picked]),
    }
    cache.put(key, answer)
    return answer


def _diff(value: float | None, base: float | None) -> float | None:
    return None if value is None or base is None else value - base


def compare_plans(details: list[PlanDetail]) -> PlanComparison:
    """Each plan's KPI distributions and, per KPI, its mean and P50 against the first plan's,
    and whether its P10–P90 range overlaps the first plan's."""
    base = details[0]
    by_plan = {d.plan.plan_version_id: {k.key: k for k in d.distribution} for d in details}
    keys = list(dict.fromkeys(k.key for d in details for k in d.distribution))
    base_of = by_plan[base.plan.plan_version_id]
    kpis = []
    for key in keys:
        ref = base_of.get(key)
        mean_diff, p50_diff, overlap = {}, {}, {}
        for detail in details[1:]:
            pid, found = detail.plan.plan_version_id, by_plan[detail.plan.plan_version_id].get(key)
            both = found is not None and ref is not None
            mean_diff[pid] = _diff(found.mean, ref.mean) if both else None  # type: ignore[union-attr]
            p50_diff[pid] = _diff(found.p50, ref.p50) if both else None  # type: ignore[union-attr]
            overlap[pid] = (found.p10 <= ref.p90 and ref.p10 <= found.p90) if both else None  # type: ignore[union-attr]
        kpis.append(KpiPlanComparison(key=key, mean_diff=mean_diff, p50_diff=p50_diff, overlap=overlap))
    return PlanComparison(base_id=base.plan.plan_version_id, kpis=kpis,
                          plans=[PlanDistributions(plan=d.plan, distribution=d.distribution) for d in details])
