"""JSON API: plans (DESIGN §6)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query

from contracts import subjects
from contracts.commands import CreatePlan, JobAccepted, PlanAccepted, RerunPlan
from contracts.envelope import INT64_MAX
from contracts.queries import GetPlan, ListPlans, PlanDetail, PlansPage
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, no_other_actor
from services.ui_gateway.limits import IDEMPOTENCY_KEY_MAX

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


@router.post("/{plan_version_id}/runs", status_code=202, response_model=JobAccepted, dependencies=[allow("plans.rerun")])
async def simulate_again(plan_version_id: str, bus: BusDep, seed: Annotated[int | None, Query(ge=0, le=INT64_MAX, description="Seed; the plan's own when omitted.")] = None) -> JobAccepted:
    """Simulate this plan again: a new run of the same plan version."""
    return await ask(bus, subjects.CMD_PLAN_RERUN, RerunPlan(plan_version_id=plan_version_id, seed=seed), JobAccepted)
