"""The planners' pages under ``/ui``: server-rendered with Jinja2, one stylesheet, static files
served by the gateway itself (no CDN)."""

import math
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from services.ui_gateway.echo import encodable, shown_errors
from services.ui_gateway.pages import (
    configs,
    jobs,
    notifications,
    operations,
    plan_compare,
    plans,
    psi,
    run_detail,
    run_meta,
    runs,
    scenario_overrides,
    scenarios,
)
from services.ui_gateway.pages.common import error_text, make_templates, render

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ROUTERS = (plan_compare.router, plans.router, runs.router, run_meta.router, run_detail.router, jobs.router, scenarios.router,
           scenario_overrides.router, configs.router, operations.router, notifications.router, psi.router)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/ui/") and not path.endswith(".json") and not path.startswith("/ui/jobs/events")


async def error_response(request: Request, exc: Exception):  # type: ignore[no-untyped-def]
    """Errors of pages render as pages; errors of the JSON API stay ``{"detail": ...}``. Text of
    the request they repeat is made encodable first (``echo``)."""
    assert isinstance(exc, HTTPException)
    exc = HTTPException(exc.status_code, encodable(exc.detail), exc.headers)
    if not _is_page(request):
        return await http_exception_handler(request, exc)
    message, errors = error_text(exc.detail)
    return render(request, "error.html", status_code=exc.status_code, status=exc.status_code,
                  message=message, errors=errors)


async def _invalid_request(request: Request, exc: Exception):  # type: ignore[no-untyped-def]
    """422 for parameters or a body that do not validate: a page for pages, ``{"detail": [...]}``
    for the API. A value JSON cannot carry (``1e400`` read as infinity) is echoed as text, the
    input it repeats shortened and encodable (``echo``)."""
    assert isinstance(exc, RequestValidationError)
    errors = shown_errors(jsonable_encoder(exc.errors(),
                                           custom_encoder={float: lambda v: v if math.isfinite(v) else str(v)}))
    if not _is_page(request):
        return JSONResponse(status_code=422, content={"detail": errors})
    message, items = error_text(errors)
    return render(request, "error.html", status_code=422, status=422, message=message, errors=items)


def install(app: FastAPI) -> None:
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(HTTPException, error_response)
    app.add_exception_handler(RequestValidationError, _invalid_request)
