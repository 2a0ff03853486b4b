"""JSON API: a run's daily results and stored config documents (DESIGN §6)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from contracts import subjects
from contracts.events import ArtifactRef
from contracts.queries import ConfigDetail, GetConfig, GetRun, RunDetail
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.bus import Bus
from services.ui_gateway.deps import BusDep, ask, read_object
from services.ui_gateway.results import HeadCache, gunzip, parse_head
from services.ui_gateway.results_csv import Part, to_csv

router = APIRouter()


async def results_ref(bus: Bus, run_id: str) -> ArtifactRef:
    """Where a run's daily results are; 404 when the run is unknown or kept none (stub, failed)."""
    run = (await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id), RunDetail)).run
    if run.results is None:
        why = "a stub run" if run.stub else f"a {run.status} run"
        raise HTTPException(status_code=404, detail=f"run {run_id} has no daily results ({why})")
    return run.results


async def results_head(request: Request, ref: ArtifactRef) -> dict[str, Any]:
    """Series and P&L of a run's results, parsed once and cached."""
    cache: HeadCache = request.app.state.results_cache
    head = cache.get(ref)
    if head is None:
        head = parse_head(await read_object(request.app.state.bus, ref.bucket, ref.key))
        cache.put(ref, head)
    return head


@router.get("/runs/{run_id}/results", tags=["runs"], responses={200: {"content": {"text/csv": {}}}},
            dependencies=[allow("read")])
async def run_results(run_id: str, request: Request, bus: BusDep, format: Literal["json", "csv"] = "json",
                      part: Part = "series") -> Response:
    """The daily PSI results (contracts.results layout). ``format=csv`` with ``part`` = series
    (per day, node and item), pnl (per day) or costs (the itemised cost trace)."""
    ref = await results_ref(bus, run_id)
    if format == "json":
        return Response(gunzip(await read_object(bus, ref.bucket, ref.key)), media_type="application/json")
    if part == "costs":
        from pydantic_core import from_json

        doc = from_json(gunzip(await read_object(bus, ref.bucket, ref.key)))
    else:
        doc = await results_head(request, ref)
    filename = f"{run_id}-{part}.csv"
    return Response(to_csv(part, doc), media_type="text/csv",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/configs/{config_version_id}/document", tags=["configs"], dependencies=[allow("read")])
async def config_document(config_version_id: str, bus: BusDep,
                          download: Annotated[bool, Query()] = False) -> Response:
    """The canonical JSON document of a config version, as imported."""
    config = (await ask(bus, subjects.QRY_CONFIG_GET, GetConfig(config_version_id=config_version_id),
                        ConfigDetail)).config
    headers = {"content-disposition": f'attachment; filename="{config_version_id}.json"'} if download else {}
    data = await read_object(bus, config.document.bucket, config.document.key)
    if config.document.content_type == "application/gzip":
        data = gunzip(data)
    return Response(data, media_type="application/json", headers=headers)
