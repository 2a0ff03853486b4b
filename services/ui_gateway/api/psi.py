"""JSON API: plan review, with the original scpln's routes and shapes. Changes go to plan_service as
commands made by the signed-in user (who records the facts); reads come from the registry's
projection of them. A plan planned before plan review gets its PSI when it is first asked for."""

import csv
import io
import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from contracts import subjects
from contracts.envelope import INT64_MAX
from contracts.psi import Level
from contracts.review import (
    EditPsi,
    OpenPsi,
    PsiEdited,
    PsiOpened,
    PsiReconciled,
    PsiWeightsSet,
    ReconcilePsi,
    ReviewDecided,
    ReviewPlan,
    SetPsiWeights,
    allowed_actions,
)
from contracts.review_queries import (
    GRID_LIMIT_MAX,
    GetPsi,
    GetPsiAudit,
    GetPsiState,
    GetPsiWeights,
    PsiAudit,
    PsiPage,
    PsiStateReply,
    PsiWeightsPage,
)
from services.ui_gateway.api import psi_input as body_in
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.deps import BusDep, MinSeq, ask, ask_settled, written_seq
from services.ui_gateway.settings import Settings

router = APIRouter(prefix="/plans", tags=["plan review"])
CSV_COLUMNS = {"aggregate": ["period", "family", "demand", "supply", "backlog"],
               "det": ["week", "sku", "demand", "supply_plan", "backlog", "on_hand_start", "on_hand_end"]}
LevelQuery = Annotated[str, Query(pattern="^(aggregate|det|detail)$", description="aggregate or det (detail).")]
Search = Annotated[str | None, Query(max_length=200, description="Rows whose period, week, family or SKU hold this.")]


async def grid(bus: BusDep, plan_version_id: str, level: Level, q: str | None, limit: int, offset: int,
               min_seq: int, actor: Principal) -> PsiPage:
    """The page of the grid; a plan planned before plan review has its PSI put in the log first."""
    query = GetPsi(plan_version_id=plan_version_id, level=level, q=q, limit=limit, offset=offset, min_seq=min_seq)
    page = await ask(bus, subjects.QRY_PSI_GET, query, PsiPage)
    if page.opened:
        return page
    if page.plan_status != "ready":
        raise HTTPException(409, f"plan {plan_version_id} is {page.plan_status}: it has no PSI")
    opened = await ask(bus, subjects.CMD_PSI_OPEN, OpenPsi(plan_version_id=plan_version_id, by=actor.username), PsiOpened)
    query = query.model_copy(update={"min_seq": opened.recorded_seq or await written_seq(bus)})
    return await ask(bus, subjects.QRY_PSI_GET, query, PsiPage)


@router.get("/{plan_version_id}/psi", dependencies=[allow("read")])
async def get_psi(plan_version_id: str, bus: BusDep, actor: Actor, level: LevelQuery = "aggregate", q: Search = None,
                  limit: Annotated[int, Query(ge=1, le=GRID_LIMIT_MAX)] = 200,
                  offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0, min_seq: MinSeq = 0) -> Response:
    """A page of the plan's PSI: ``{level, total, rows, locks}`` (plus state and revision). Rows keep
    the original's fields and add ``original`` (the pipeline's values), ``edited`` and ``locked``."""
    page = await grid(bus, plan_version_id, body_in.level_of(level), q, limit, offset, min_seq, actor)
    body = {"level": page.level, "total": page.total, "rows": page.rows, "locks": page.locks, "state": page.state,
            "revision": page.revision, "plan_version_id": plan_version_id, "last_seq": page.last_seq}
    return Response(orjson.dumps(body), media_type="application/json")  # rows as they came: plain JSON values


@router.get("/{plan_version_id}/psi.csv", dependencies=[allow("read")])
async def get_psi_csv(plan_version_id: str, bus: BusDep, actor: Actor, level: LevelQuery = "aggregate",
                      q: Search = None, limit: Annotated[int, Query(ge=1, le=GRID_LIMIT_MAX)] = GRID_LIMIT_MAX,
                      offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0) -> Response:
    page = await grid(bus, plan_version_id, body_in.level_of(level), q, limit, offset, 0, actor)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS[page.level], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(page.rows)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", plan_version_id)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{name}-psi-{page.level}.csv"'})


def _command(model: type, plan_version_id: str, actor: Principal, note: str, **fields: Any) -> Any:
    return model(plan_version_id=plan_version_id, by=actor.username, role=actor.role, note=note, **fields)


@router.patch("/{plan_version_id}/psi", response_model=PsiEdited, dependencies=[allow("plans.edit")])
async def patch_psi(plan_version_id: str, body: body_in.PatchIn, bus: BusDep, actor: Actor) -> PsiEdited:
    """Set cells of one level (locked ones are skipped and listed), then lock, unlock or toggle the
    edited rows and ``lock_keys``. An aggregate edit is distributed to the detail below it (by
    ``distribute.weight_mode`` with ``distribute.round``), a detail edit rolls up into its unlocked
    aggregate cell, unless ``no_auto``. 409 when the plan is no draft or locked cells make a total
    impossible."""
    level = body_in.level_of(body.level)
    if body.lock_keys and body.lock is None:
        raise HTTPException(422, "lock_keys take a lock mode: lock, unlock or toggle")
    command = _command(EditPsi, plan_version_id, actor, body.text, level=level,
                       cells=body_in.edit_cells(level, body.edits), lock=body.lock,
                       lock_cells=body_in.cells_of_keys(body.lock_keys), distribution=body_in.distribution(body.distribute),
                       auto=not body.no_auto)
    return await ask_settled(bus, subjects.CMD_PSI_EDIT, command, PsiEdited)


@router.post("/{plan_version_id}/psi/reconcile", dependencies=[allow("plans.edit")])
async def reconcile(plan_version_id: str, bus: BusDep, actor: Actor, body: body_in.ReconcileIn | None = None) -> dict[str, Any]:
    """Make the levels agree again (409 when locked cells make a total impossible)."""
    body = body or body_in.ReconcileIn()
    command = _command(ReconcilePsi, plan_version_id, actor, body.text, rounding=body_in.rounding(body.round),
                       family=body.family)
    done = await ask_settled(bus, subjects.CMD_PSI_RECONCILE, command, PsiReconciled)
    return {"ok": True, "updated_artifacts": [], "summary": {"groups": done.groups, "cells": done.cells},
            "revision": done.revision, "recorded_seq": done.recorded_seq}


@router.get("/{plan_version_id}/psi/weights", response_model=PsiWeightsPage, dependencies=[allow("read")])
async def get_weights(plan_version_id: str, bus: BusDep, min_seq: MinSeq = 0) -> PsiWeightsPage:
    return await ask(bus, subjects.QRY_PSI_WEIGHTS, GetPsiWeights(plan_version_id=plan_version_id, min_seq=min_seq),
                     PsiWeightsPage)


@router.post("/{plan_version_id}/psi/weights", response_model=PsiWeightsSet, dependencies=[allow("plans.edit")])
async def post_weights(plan_version_id: str, body: body_in.WeightsIn, bus: BusDep, actor: Actor) -> PsiWeightsSet:
    command = _command(SetPsiWeights, plan_version_id, actor, body.text, weights=body_in.weights(body))
    return await ask_settled(bus, subjects.CMD_PSI_WEIGHTS, command, PsiWeightsSet)


async def transition(bus: BusDep, plan_version_id: str, actor: Principal, action: str, note: str) -> ReviewDecided:
    command = _command(ReviewPlan, plan_version_id, actor, note, action=action)
    return await ask_settled(bus, subjects.CMD_PLAN_REVIEW, command, ReviewDecided)


@router.post("/{plan_version_id}/psi/submit", response_model=ReviewDecided, dependencies=[allow("plans.submit")])
async def submit(plan_version_id: str, bus: BusDep, actor: Actor, body: body_in.TransitionIn | None = None) -> ReviewDecided:
    """Submit the draft for approval: ``{ok, status: "submitted"}``."""
    return await transition(bus, plan_version_id, actor, "submit", (body or body_in.TransitionIn()).text)


@router.post("/{plan_version_id}/psi/approve", response_model=ReviewDecided, dependencies=[allow("plans.approve")])
async def approve(plan_version_id: str, bus: BusDep, actor: Actor, body: body_in.TransitionIn | None = None) -> ReviewDecided:
    """Approve a submitted plan (not your own submission unless SCPLN_ALLOW_SELF_APPROVAL=1): it is
    immutable from now on, and the scenario's plan approved before is superseded."""
    body = body or body_in.TransitionIn()
    if body.auto_reconcile:
        raise HTTPException(422, "auto_reconcile is not done at approval: a plan is approved as it was submitted; "
                                 "reconcile the draft before submitting it")
    return await transition(bus, plan_version_id, actor, "approve", body.text)


@router.post("/{plan_version_id}/psi/reject", response_model=ReviewDecided, dependencies=[allow("plans.approve")])
async def reject(plan_version_id: str, body: body_in.NoteIn, bus: BusDep, actor: Actor) -> ReviewDecided:
    """Send a submitted plan back to draft, with a reason (``reason`` or ``note``)."""
    return await transition(bus, plan_version_id, actor, "reject", body.text)


@router.get("/{plan_version_id}/psi/state", dependencies=[allow("read")])
async def get_state(plan_version_id: str, request: Request, bus: BusDep, actor: Actor, min_seq: MinSeq = 0) -> dict[str, Any]:
    """``{state: {status, …}, source, allowed}``: the review state as the log holds it, and what
    you may do with the plan now."""
    reply = await ask(bus, subjects.QRY_PSI_STATE, GetPsiState(plan_version_id=plan_version_id, min_seq=min_seq),
                      PsiStateReply)
    return {"state": state_of(reply), "source": "event_log", "allowed": allowed(reply, actor, request.app.state.settings)}


def state_of(reply: PsiStateReply) -> dict[str, Any]:
    state = reply.model_dump(mode="json", exclude={"last_seq", "lag"})
    return state | {"status": reply.state, "display_status": reply.last_decision if reply.last_decision == "rejected"
                    and reply.state == "draft" else reply.state}


def allowed(reply: PsiStateReply, actor: Principal, settings: Settings) -> list[str]:
    if reply.plan_status != "ready":
        return []
    return list(allowed_actions(reply.state, actor.role, actor.username, reply.submitted_by,
                                settings.scpln_allow_self_approval))


@router.get("/{plan_version_id}/psi/audit", response_model=PsiAudit, dependencies=[allow("read")])
async def get_audit(plan_version_id: str, bus: BusDep, level: Annotated[Level | None, Query()] = None,
                    q: Search = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0, min_seq: MinSeq = 0) -> PsiAudit:
    """The plan's audit trail, newest first: every edit, lock, reconcile, weight change and move, with who,
    when and why (the log's facts)."""
    query = GetPsiAudit(plan_version_id=plan_version_id, level=level, q=q, limit=limit, offset=offset, min_seq=min_seq)
    return await ask(bus, subjects.QRY_PSI_AUDIT, query, PsiAudit)
