"""Operations endpoints: health, metrics, the registry's status, the event contracts' AsyncAPI
document."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts import subjects
from contracts.queries import Consistency, RegistryStatus
from services.ui_gateway.auth.guard import allow, public
from services.ui_gateway.deps import BusDep, MinSeq, ask

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public()])
async def healthz(request: Request) -> JSONResponse:
    """200 when the gateway reaches the message bus and knows who may sign in, 503 while not."""
    the_bus = request.app.state.bus
    connected, identities = the_bus.connected, the_bus.identities_ready
    healthy = connected and identities
    return JSONResponse({"status": "ok" if healthy else "unavailable", "nats": connected, "identities": identities},
                        status_code=200 if healthy else 503)


@router.get("/metrics", dependencies=[public()])
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/registry/status", response_model=RegistryStatus, dependencies=[allow("registry.operate")])
async def registry_status(bus: BusDep, min_seq: MinSeq = 0) -> RegistryStatus:
    """The run registry's read model: live runs, runs dropped by retention, events kept in
    dead letters, and its position in the event log."""
    return await ask(bus, subjects.QRY_STATUS, Consistency(min_seq=min_seq), RegistryStatus)


@router.get("/asyncapi", dependencies=[allow("read")])
async def asyncapi(request: Request) -> JSONResponse:
    """AsyncAPI 3.0 document of the event contracts (generated once per process)."""
    state = request.app.state
    if getattr(state, "asyncapi", None) is None:
        from services.ui_gateway.asyncapi import asyncapi_document

        state.asyncapi = asyncapi_document(state.settings.nats_url)
    return JSONResponse(state.asyncapi)


@router.get("/openapi.json", include_in_schema=False, dependencies=[allow("read")])
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False, dependencies=[allow("read")])
async def docs(request: Request) -> Response:
    """Swagger UI of the OpenAPI document, its assets served by the gateway (no CDN, no inline script)."""
    from services.ui_gateway.pages.common import render

    return render(request, "docs.html", openapi_url="/openapi.json")
