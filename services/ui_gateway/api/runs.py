"""JSON API: the run history (DESIGN §6)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from contracts import subjects
from contracts.commands import DeleteRun, RunDeletedReply
from contracts.queries import CompareRuns, Comparison, GetRun, ListRuns, RunDetail, RunsPage
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, no_other_actor

router = APIRouter(prefix="/runs", tags=["runs"])


@router.get("", response_model=RunsPage, dependencies=[allow("read")],
            responses={304: {"description": "Not modified: the If-None-Match ETag is still the page's."}})
async def list_runs(query: Annotated[ListRuns, Query()], bus: BusDep, request: Request) -> Response:
    """Runs, newest first by default; every filter, sort and paging option of the registry. The
    answer's ETag names the read model's position and the query: sent back as If-None-Match,
    it is answered 304 while the run history has not moved."""
    return await request.app.state.run_pages.answer(bus, query, request.headers.get("if-none-match"))


@router.post("/compare", response_model=Comparison, dependencies=[allow("read")])
async def compare_runs(body: CompareRuns, bus: BusDep) -> Comparison:
    return await ask(bus, subjects.QRY_RUNS_COMPARE, body, Comparison)


@router.get("/{run_id}", response_model=RunDetail, dependencies=[allow("read")])
async def get_run(run_id: str, bus: BusDep, min_seq: MinSeq = 0) -> RunDetail:
    return await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id, min_seq=min_seq), RunDetail)


@router.delete("/{run_id}", response_model=RunDeletedReply, dependencies=[allow("runs.delete")])
async def delete_run(run_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> RunDeletedReply:
    """Remove a run from the run history (the log keeps its events), recorded as deleted by you."""
    no_other_actor(actor, by=by)
    return await ask(bus, subjects.CMD_RUN_DELETE, DeleteRun(run_id=run_id, by=actor.username), RunDeletedReply)
