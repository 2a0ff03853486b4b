"""What every page shares: rendering with the base layout, display filters, form helpers."""

import functools
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

C = TypeVar("C", bound=BaseModel)
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
NAV = (("/ui/plans", "Plans"), ("/ui/runs", "Runs"), ("/ui/jobs", "Jobs"), ("/ui/scenarios", "Scenarios"),
       ("/ui/configs", "Configs"), ("/ui/operations", "Operations"))


def num(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def pct(value: Any) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def when(value: datetime | None) -> Markup | str:
    if value is None:
        return "–"
    utc = value.astimezone(UTC)
    return Markup(f'<time datetime="{utc.isoformat()}">{utc:%Y-%m-%d %H:%M:%S} UTC</time>')


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


@functools.cache
def make_templates() -> Jinja2Templates:
    """One template environment per process (templates compile once)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    from services.ui_gateway.pages.kpis import FILTERS

    templates.env.filters.update(num=num, pct=pct, when=when, duration=duration, **FILTERS)
    templates.env.globals.update(nav=NAV, urlencode=urlencode, new_request_id=lambda: f"form_{uuid.uuid4().hex}",
                                 csrf_field=csrf_field, can=can, maintenance=maintenance)
    from services.ui_gateway.plan_views import cell

    templates.env.filters["cell"] = cell
    return templates


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("current_user", _signed_in(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _signed_in(request: Request) -> Any:
    """Who is signed in, also on pages whose route needs no permission (errors, sign-in)."""
    from services.ui_gateway.auth.guard import find_principal

    try:
        return find_principal(request)
    except HTTPException:
        return None


def redirect(path: str, **params: Any) -> RedirectResponse:
    """303 after a form post; empty parameters are left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}{query}" if query else path, status_code=303)


def form_command(model: type[C], **values: Any) -> C:
    """The command a form stands for; 422 listing each field that does not validate."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise HTTPException(422, detail={"message": "invalid input", "errors": [
            {"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]}) from exc


def blank_to_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v == "" else v) for k, v in values.items()}


def error_text(detail: Any) -> tuple[str, list[dict[str, Any]]]:
    """An HTTPException detail as a message and its itemised errors."""
    if isinstance(detail, dict):
        return str(detail.get("message", "")), list(detail.get("errors", []))
    if isinstance(detail, list):
        return "invalid input", [{"path": ".".join(map(str, e.get("loc", []))), "message": e.get("msg", "")}
                                 for e in detail]
    return str(detail), []


@pass_context
def csrf_field(context: Any) -> Markup:
    """The hidden CSRF field every form that changes something carries: bound to the session,
    or before sign-in to the login form's nonce."""
    request: Request = context["request"]
    principal = getattr(request.state, "principal", None)
    nonce = getattr(request.state, "login_nonce", None)
    binding = f"login:{nonce}" if nonce is not None or principal is None else principal.session_id
    token = request.app.state.auth.signer.csrf_token(binding)
    return Markup(f'<input type="hidden" name="csrf_token" value="{token}">')


@pass_context
def can(context: Any, permission: str) -> bool:
    """Whether the signed-in user may do this: pages show only the controls a role may use."""
    principal = getattr(context["request"].state, "principal", None)
    return principal is not None and principal.can(permission)


@pass_context
def maintenance(context: Any) -> Any:
    """Maintenance mode while it is on (the banner of every page), else None: the gateway's
    fold of the log, so showing it asks nobody."""
    state = getattr(context["request"].app.state.bus, "maintenance", None)
    return state if state is not None and state.on else None
