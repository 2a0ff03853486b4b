"""JSON API: the run history (DESIGN §6)."""

from typing import Annotated

from fastapi import APIRouter, Query

from contracts import subjects
from contracts.commands import DeleteRun, RunDeletedReply
from contracts.queries import CompareRuns, Comparison, GetRun, ListRuns, RunDetail, RunsPage
from services.ui_gateway.deps import BusDep, MinSeq, ask

router = APIRouter(prefix="/runs", tags=["runs"])


@router.get("", response_model=RunsPage)
async def list_runs(query: Annotated[ListRuns, Query()], bus: BusDep) -> RunsPage:
    """Runs, newest first by default; every filter, sort and paging option of the registry."""
    return await ask(bus, subjects.QRY_RUNS_LIST, query, RunsPage)


@router.post("/compare", response_model=Comparison)
async def compare_runs(body: CompareRuns, bus: BusDep) -> Comparison:
    return await ask(bus, subjects.QRY_RUNS_COMPARE, body, Comparison)


@router.get("/{run_id}", response_model=RunDetail)
async def get_run(run_id: str, bus: BusDep, min_seq: MinSeq = 0) -> RunDetail:
    return await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id, min_seq=min_seq), RunDetail)


@router.delete("/{run_id}", response_model=RunDeletedReply)
async def delete_run(run_id: str, bus: BusDep) -> RunDeletedReply:
    return await ask(bus, subjects.CMD_RUN_DELETE, DeleteRun(run_id=run_id), RunDeletedReply)
