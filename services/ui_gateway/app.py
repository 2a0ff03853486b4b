"""ui_gateway wiring: ``create_app`` builds the FastAPI app with production defaults that tests
override by argument (a fake bus, say)."""

from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from runtime.storage import for_service
from services.ui_gateway import live, pages
from services.ui_gateway.api import (
    catalog,
    jobs,
    maintenance,
    notifications,
    original_downloads,
    plans,
    psi,
    results,
    run_meta,
    runs,
    system,
)
from services.ui_gateway.auth import routes as auth_routes
from services.ui_gateway.auth.browser import BrowserGuard
from services.ui_gateway.auth.guard import LoginRequired, allow
from services.ui_gateway.auth.state import AuthState
from services.ui_gateway.bus import Bus, NatsBus, wire
from services.ui_gateway.limits import InputLimits
from services.ui_gateway.results import HeadCache
from services.ui_gateway.run_list import RunPages
from services.ui_gateway.settings import Settings
from services.ui_gateway.timing import ServerTiming

DESCRIPTION = "SCPLN Plan & Run: plans, runs, jobs, scenarios and config versions of a supply-chain network."


def create_app(settings: Settings | None = None, bus: Bus | None = None) -> FastAPI:
    """The gateway; ``UnsafeSettings`` for a sign-in setting it refuses (no sign-in off loopback)."""
    settings = settings or Settings()
    auth = AuthState.from_settings(settings)
    owned = bus is None
    the_bus: Bus = bus or NatsBus(settings.nats_url, timeout=settings.request_timeout_s,
                                  storage=for_service("ui_gateway", settings, what="the object store"),
                                  retry_max_s=settings.connect_retry_max_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        """The bus's broker is started with the app and stopped after uvicorn has finished the
        requests in flight (its graceful shutdown), its connection drained last."""
        if owned:
            the_bus.start()  # type: ignore[attr-defined]
        yield
        if owned:
            await the_bus.close()  # type: ignore[attr-defined]

    app = FastAPI(title="SCPLN", description=DESCRIPTION, version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.bus = the_bus
    app.state.settings = settings
    app.state.auth = auth
    app.state.results_cache = HeadCache()
    app.state.run_pages = RunPages()
    for module in (plans, psi, results, original_downloads, jobs, run_meta, runs, catalog, system, maintenance, notifications, live,
                   auth_routes):
        app.include_router(module.router)
    pages.install(app)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_middleware(InputLimits, refuse=pages.error_response)
    app.add_middleware(BrowserGuard)
    app.add_middleware(ServerTiming)

    @app.get("/", include_in_schema=False, dependencies=[allow("read")])
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui/plans")

    return app


def asyncapi_broker():  # type: ignore[no-untyped-def]
    """The gateway's broker wired as the gateway wires its own (``bus.wire``), never connected:
    the source of its part of the AsyncAPI document."""
    import logging

    from runtime.bus import broker
    from runtime.outage import OutageLog
    from runtime.storage_report import StorageBoard

    made = broker("nats://127.0.0.1:4222", OutageLog(logging.getLogger("ui_gateway.asyncapi")), name="ui_gateway")
    wire(made, StorageBoard())
    return made


async def _to_login(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", status_code=303)
