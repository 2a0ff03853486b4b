"""Plan review on the plan page: its state, the moves the signed-in user may make (forms), the PSI
grid (rendered and edited by static/psi.js through the JSON API) and the audit trail."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from contracts import subjects
from contracts.review import NOTE_MAX, PsiReconciled, ReconcilePsi
from contracts.review_queries import GetPsiAudit, GetPsiState, PsiAudit, PsiAuditEntry, PsiStateReply
from services.ui_gateway.api.psi import allowed, grid, transition
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.bus import Unavailable
from services.ui_gateway.deps import BusDep, ask
from services.ui_gateway.pages.common import redirect

router = APIRouter(prefix="/ui/plans", include_in_schema=False)
AUDIT_SHOWN = 50
Note = Annotated[str, Form(max_length=NOTE_MAX)]
MOVES = {"submit": "Submitted for approval", "approve": "Approved", "reject": "Rejected: back to draft"}


@dataclass
class Review:
    state: PsiStateReply
    allowed: list[str]
    audit: list[PsiAuditEntry]
    audit_total: int

    @property
    def editable(self) -> bool:
        return "edit" in self.allowed


async def review_context(request: Request, bus: BusDep, plan_version_id: str, min_seq: int = 0) -> Review | None:
    """The plan's review for its page; None when the plan has none (not planned) or the registry
    cannot say now (the rest of the page still shows)."""
    principal: Principal = request.state.principal
    try:
        state = await ask(bus, subjects.QRY_PSI_STATE, GetPsiState(plan_version_id=plan_version_id, min_seq=min_seq),
                          PsiStateReply)
        if not state.opened and state.plan_status == "ready":
            page = await grid(bus, plan_version_id, "aggregate", None, 1, 0, min_seq, principal)
            state = await ask(bus, subjects.QRY_PSI_STATE,
                              GetPsiState(plan_version_id=plan_version_id, min_seq=page.last_seq), PsiStateReply)
        if not state.opened:
            return None
        audit = await ask(bus, subjects.QRY_PSI_AUDIT,
                          GetPsiAudit(plan_version_id=plan_version_id, limit=AUDIT_SHOWN, min_seq=min_seq), PsiAudit)
    except (HTTPException, Unavailable):
        return None
    return Review(state, allowed(state, principal, request.app.state.settings), audit.events, audit.total)


@router.post("/{plan_version_id}/psi/submit", dependencies=[allow("plans.submit")])
async def submit(plan_version_id: str, bus: BusDep, actor: Actor, note: Note = "") -> Response:
    done = await transition(bus, plan_version_id, actor, "submit", note)
    return _back(plan_version_id, done.recorded_seq, f"{MOVES['submit']} (revision {done.revision}).")


@router.post("/{plan_version_id}/psi/approve", dependencies=[allow("plans.approve")])
async def approve(plan_version_id: str, bus: BusDep, actor: Actor, note: Note = "") -> Response:
    done = await transition(bus, plan_version_id, actor, "approve", note)
    superseded = f" Plan {done.supersedes} is superseded." if done.supersedes else ""
    return _back(plan_version_id, done.recorded_seq, f"{MOVES['approve']} (revision {done.revision}).{superseded}")


@router.post("/{plan_version_id}/psi/reject", dependencies=[allow("plans.approve")])
async def reject(plan_version_id: str, bus: BusDep, actor: Actor, reason: Note = "") -> Response:
    if not reason.strip():
        raise HTTPException(422, "say why the plan is rejected: the reason goes to the planner and the audit trail")
    done = await transition(bus, plan_version_id, actor, "reject", reason)
    return _back(plan_version_id, done.recorded_seq, MOVES["reject"])


@router.post("/{plan_version_id}/psi/reconcile", dependencies=[allow("plans.edit")])
async def reconcile(plan_version_id: str, bus: BusDep, actor: Actor, note: Note = "",
                    step: Annotated[float | None, Form(ge=1e-6, le=1e12)] = None,
                    mode: Annotated[str, Form(pattern="^(nearest|floor|ceil)$")] = "nearest") -> Response:
    rounding = {m: {"step": step, "mode": mode} for m in ("demand", "supply")} if step else {}
    command = ReconcilePsi(plan_version_id=plan_version_id, by=actor.username, role=actor.role, note=note,
                           rounding=rounding)  # type: ignore[arg-type]
    done = await ask(bus, subjects.CMD_PSI_RECONCILE, command, PsiReconciled)
    what = (f"Reconciled: {done.groups} aggregate cell(s) disagreed, {done.cells} cell(s) changed."
            if done.groups else "The levels already agree: nothing to reconcile.")
    return _back(plan_version_id, done.recorded_seq, what)


def _back(plan_version_id: str, seq: int | None, flash: str) -> Response:
    return redirect(f"/ui/plans/{plan_version_id}", min_seq=seq, flash=flash)

