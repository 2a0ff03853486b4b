"""JSON API: plans (DESIGN §6)."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from contracts import subjects
from contracts.commands import CreatePlan, PlanAccepted, RerunPlan, RunsAccepted
from contracts.envelope import INT64_MAX, Contract
from contracts.queries import ComparePlans, GetPlan, ListPlans, PlanComparison, PlanDetail, PlansPage
from contracts.replications import REPLICATIONS_MAX
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, no_other_actor
from services.ui_gateway.limits import IDEMPOTENCY_KEY_MAX
from services.ui_gateway.plan_stats import compare_plans, plan_fan

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post("", status_code=202, response_model=PlanAccepted, dependencies=[allow("plans.create")])
async def create_plan(body: CreatePlan, bus: BusDep, actor: Actor,
                      idempotency_key: Annotated[str | None, Header(max_length=IDEMPOTENCY_KEY_MAX)] = None) -> PlanAccepted:
    """Create a plan version from a base scenario and a config version; follow its job. Sent
    again with the same ``Idempotency-Key`` header (or ``request_id``), the answer is the same
    plan, not a second one; with that key for a different request, a 422. The plan is requested
    by you: ``requested_by`` naming anyone else is a 422."""
    no_other_actor(actor, requested_by=body.requested_by if "requested_by" in body.model_fields_set else None)
    update: dict[str, str] = {"requested_by": actor.username}
    if idempotency_key and body.request_id is None:
        update["request_id"] = idempotency_key
    body = body.model_copy(update=update)
    return await ask(bus, subjects.CMD_PLAN_CREATE, body, PlanAccepted)


@router.get("", response_model=PlansPage, dependencies=[allow("read")])
async def list_plans(query: Annotated[ListPlans, Query()], bus: BusDep) -> PlansPage:
    return await ask(bus, subjects.QRY_PLANS_LIST, query, PlansPage)


@router.get("/{plan_version_id}", response_model=PlanDetail, dependencies=[allow("read")])
async def get_plan(plan_version_id: str, bus: BusDep, min_seq: MinSeq = 0) -> PlanDetail:
    return await ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id, min_seq=min_seq), PlanDetail)


class SimulateAgain(Contract):
    """How to simulate a plan again (every field may be left out, as may the whole body)."""

    replications: int = Field(default=1, ge=1, le=REPLICATIONS_MAX, description="How many runs, each a job of its own.")
    reproduce: bool = Field(default=False, description=(
        "Run the plan's first replications again (its own seed first: the same results) instead of new seeds."))
    seed: int | None = Field(default=None, ge=0, le=INT64_MAX, description=(
        "Seed of the first run (the others derive from it), instead of the plan's replications."))


@router.post("/compare", response_model=PlanComparison, dependencies=[allow("read")])
async def compare(body: ComparePlans, bus: BusDep) -> PlanComparison:
    """Plans side by side by the distributions of their succeeded runs' KPIs (count, mean, P10,
    P50, P90): per KPI, each plan's mean and P50 against the first plan's, and whether their
    P10–P90 ranges overlap."""
    ids = list(dict.fromkeys(body.plan_version_ids))
    if len(ids) < 2:
        raise HTTPException(422, "compare two different plans at least")
    details = await asyncio.gather(*(ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=i), PlanDetail)
                                     for i in ids))
    if body.keys is not None:
        details = [d.model_copy(update={"distribution": [k for k in d.distribution if k.key in body.keys]})
                   for d in details]
    return compare_plans(list(details))


@router.get("/{plan_version_id}/fan", dependencies=[allow("read")])
async def fan(plan_version_id: str, request: Request, bus: BusDep, node: str | None = None,
              item: str | None = None) -> JSONResponse:
    """The fan chart of the plan's succeeded runs (the newest 100 with daily results): per day, P10, P50
    and P90 across the runs of the stock (end of day) and the shortage (not served on its day), of one
    ``node`` and ``item``, or summed (stock over every node and item, shortage over the stores)."""
    await ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id), PlanDetail)
    return JSONResponse(await plan_fan(request, plan_version_id, node, item),
                        headers={"cache-control": "private, max-age=5"})


@router.post("/{plan_version_id}/runs", status_code=202, response_model=RunsAccepted, dependencies=[allow("plans.rerun")])
async def simulate_again(plan_version_id: str, bus: BusDep, body: SimulateAgain | None = None,
                         seed: Annotated[int | None, Query(ge=0, le=INT64_MAX, description=(
                             "Seed of the first run; as the body's seed."))] = None) -> RunsAccepted:
    """Simulate this plan again: ``replications`` new runs (1 when omitted), a job each (all in
    ``job_ids``). Each takes a seed the plan has not used (its next replications, derived from
    its seed: contracts/replications.py), its first replications again with ``reproduce``, or
    seeds derived from ``seed``."""
    body = body or SimulateAgain()
    if seed is not None and body.seed is not None and seed != body.seed:
        raise HTTPException(422, f"two seeds given: {seed} in the query and {body.seed} in the body")
    command = RerunPlan(plan_version_id=plan_version_id, seed=body.seed if body.seed is not None else seed,
                        replications=body.replications, reproduce=body.reproduce)
    return await ask(bus, subjects.CMD_PLAN_RERUN, command, RunsAccepted)
