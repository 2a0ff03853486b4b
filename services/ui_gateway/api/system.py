"""Operations endpoints: health, metrics, the registry's status, the AsyncAPI
document."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts import subjects
from contracts.queries import Consistency, RegistryStatus
from services.ui_gateway.asyncapi import served_document
from services.ui_gateway.auth.guard import allow, public
from services.ui_gateway.deps import BusDep, MinSeq, ask

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public()])
async def healthz(request: Request) -> JSONResponse:
    """200 when the gateway reaches the message bus, knows who may sign in and no service says
    its writes fail or its data directory is short of space; 503 while not. ``storage``: each
    service's report (free space of its data directory, the reserve, the last write error);
    ``trouble``: what is wrong with it, one line per service."""
    the_bus = request.app.state.bus
    connected, identities = the_bus.connected, the_bus.identities_ready
    statuses = the_bus.storage_board.statuses()
    trouble = [line for status in statuses if (line := status.trouble())]
    healthy = connected and identities and not trouble
    state = "ok" if healthy else "unavailable" if not (connected and identities) else "storage_trouble"
    return JSONResponse({"status": state, "nats": connected, "identities": identities, "trouble": trouble,
                         "storage": [status.model_dump(mode="json") for status in statuses]},
                        status_code=200 if healthy else 503)


@router.get("/metrics", dependencies=[public()])
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/registry/status", response_model=RegistryStatus, dependencies=[allow("registry.operate")],
            responses={503: {"description": "Writes fail somewhere, or a data directory is short of space: the "
                                            "same body, its ``storage`` says where and why."}})
async def registry_status(bus: BusDep, min_seq: MinSeq = 0) -> RegistryStatus | JSONResponse:
    """The run registry's read model: live runs, runs dropped by retention, events kept in
    dead letters, and its position in the event log; how each service's writes fare
    (``storage``), 503 while any fails or is short of space."""
    status = await ask(bus, subjects.QRY_STATUS, Consistency(min_seq=min_seq), RegistryStatus)
    if any(report.trouble() for report in status.storage):
        return JSONResponse(status.model_dump(mode="json"), status_code=503)
    return status


@router.get("/asyncapi", dependencies=[allow("read")])
async def asyncapi(request: Request) -> JSONResponse:
    """AsyncAPI 3.0 document of the events, commands and queries, generated from the services'
    own brokers (read once per process)."""
    state = request.app.state
    if getattr(state, "asyncapi", None) is None:
        state.asyncapi = served_document(state.settings.nats_url)
    return JSONResponse(state.asyncapi)


@router.get("/openapi.json", include_in_schema=False, dependencies=[allow("read")])
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False, dependencies=[allow("read")])
async def docs(request: Request) -> Response:
    """Swagger UI of the OpenAPI document, its assets served by the gateway (no CDN, no inline script)."""
    from services.ui_gateway.pages.common import render

    return render(request, "docs.html", openapi_url="/openapi.json")
