"""The planners' pages under ``/ui``: server-rendered with Jinja2, one stylesheet, static files
served by the gateway itself (no CDN)."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from services.ui_gateway.pages import configs, jobs, plans, run_detail, runs, scenarios
from services.ui_gateway.pages.common import error_text, make_templates, render

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ROUTERS = (plans.router, runs.router, run_detail.router, jobs.router, scenarios.router, configs.router)


async def _page_error(request: Request, exc: Exception):  # type: ignore[no-untyped-def]
    """Errors of pages render as pages; errors of the JSON API stay ``{"detail": ...}``."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if not path.startswith("/ui/") or path.endswith(".json") or path.startswith("/ui/jobs/events"):
        return await http_exception_handler(request, exc)
    message, errors = error_text(exc.detail)
    return render(request, "error.html", status_code=exc.status_code, status=exc.status_code,
                  message=message, errors=errors)


def install(app: FastAPI) -> None:
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(HTTPException, _page_error)
