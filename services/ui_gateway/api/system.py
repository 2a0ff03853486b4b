"""Operations endpoints: health, metrics, the event contracts' AsyncAPI document."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the gateway reaches the message bus, 503 while it does not."""
    connected = request.app.state.bus.connected
    return JSONResponse({"status": "ok" if connected else "unavailable", "nats": connected},
                        status_code=200 if connected else 503)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi")
async def asyncapi(request: Request) -> JSONResponse:
    """AsyncAPI 3.0 document of the event contracts (generated once per process)."""
    state = request.app.state
    if getattr(state, "asyncapi", None) is None:
        from services.ui_gateway.asyncapi import asyncapi_document

        state.asyncapi = asyncapi_document(state.settings.nats_url)
    return JSONResponse(state.asyncapi)
