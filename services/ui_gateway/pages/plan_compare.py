"""Plans compared by the distributions of their runs' KPIs, and the KPI table page (``/docs/kpis``)."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from contracts import subjects
from contracts.kpis import KPIS, PLAN_KPIS
from contracts.queries import GetPlan, ListPlans, PlanDetail, PlansPage
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, ask
from services.ui_gateway.pages.common import render
from services.ui_gateway.pages.kpis import DISTRIBUTED
from services.ui_gateway.plan_stats import compare_plans

router = APIRouter(include_in_schema=False)
PLANS_MAX = 5


@router.get("/ui/plans/compare", dependencies=[allow("read")])
async def compare_page(request: Request, bus: BusDep, plan: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
    """Two to five plans side by side (``?plan=a&plan=b``), the first the base; with fewer, a form
    to choose them."""
    ids = list(dict.fromkeys(p for p in plan if p))
    if len(ids) > PLANS_MAX:
        raise HTTPException(422, f"compare at most {PLANS_MAX} plans")
    choices = await ask(bus, subjects.QRY_PLANS_LIST, ListPlans(status="ready", limit=100), PlansPage)
    comparison, dists, currencies = None, {}, {}
    if len(ids) >= 2:
        details = await asyncio.gather(*(ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=i), PlanDetail)
                                         for i in ids))
        comparison = compare_plans(list(details))
        dists = {d.plan.plan_version_id: {k.key: k for k in d.distribution} for d in details}
        currencies = {d.plan.plan_version_id: next((r.summary.get("currency") for r in d.runs
                                                    if r.summary.get("currency")), "") for d in details}
    return render(request, "plan_compare.html", ids=ids, choices=choices.plans, cmp=comparison, dists=dists,
                  currencies=currencies, order=_order(comparison), slots=max(2, len(ids)),
                  kpis_by_key={k.key: k for k in comparison.kpis} if comparison else {})


def _order(comparison) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's KPIs: those of ``DISTRIBUTED`` first, in its order, then any other."""
    if comparison is None:
        return []
    keys = [k.key for k in comparison.kpis]
    return [k for k in DISTRIBUTED if k in keys] + [k for k in keys if k not in DISTRIBUTED]


@router.get("/docs/kpis", dependencies=[allow("read")])
async def kpi_table(request: Request) -> Response:
    """Every run KPI and plan KPI: key, label, unit and formula (contracts/kpis.py)."""
    return render(request, "kpis.html", run_kpis=KPIS, plan_kpis=PLAN_KPIS)
