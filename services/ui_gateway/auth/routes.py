"""``/login`` and ``/logout``: sign-in with a local account through an HTML form."""

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.ui_gateway.auth.browser import session_cookie
from services.ui_gateway.auth.guard import CSRF_FIELD, allow, find_principal, public
from services.ui_gateway.auth.sessions import LOGIN_NONCE_COOKIE
from services.ui_gateway.auth.state import auth_state, over_https
from services.ui_gateway.pages.common import render

router = APIRouter(include_in_schema=False)
LANDING = "/ui/plans"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return LANDING
    return value


def _login_page(request: Request, next_path: str, *, status: int = 200, error: str | None = None,
                username: str = "", headers: dict[str, str] | None = None) -> Response:
    """The form, bound to a nonce cookie: its CSRF token is worth nothing on another browser."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(16)
    request.state.login_nonce = nonce
    response = render(request, "login.html", status_code=status, next=next_path, error=error, username=username)
    response.set_cookie(LOGIN_NONCE_COOKIE, nonce, httponly=True, samesite="lax", path="/login",
                        secure=over_https(request), max_age=3600)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/login", dependencies=[public()])
async def login_form(request: Request, next: str = LANDING) -> Response:
    if auth_state(request).mode == "off":
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login", dependencies=[public()])
async def login(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                password: Annotated[str, Form(max_length=1000)] = "",
                next: Annotated[str, Form(max_length=2000)] = LANDING,
                csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "") -> Response:
    auth, target = auth_state(request), safe_next(next)
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not auth.signer.csrf_ok(f"login:{nonce}", csrf_token):
        return _login_page(request, target, status=403, username=username,
                           error="The sign-in form expired. Please sign in again.")
    address = request.client.host if request.client else ""
    if wait := auth.throttle.wait_s(username, address):
        return _login_page(request, target, status=429, username=username, headers={"Retry-After": str(wait)},
                           error=f"Too many failed sign-ins. Try again in {wait} s.")
    identities = request.app.state.bus.identities
    user = await asyncio.to_thread(identities.check_password, username.strip(), password)
    if user is None:
        auth.throttle.failed(username, address)
        return _login_page(request, target, status=401, username=username, error="Wrong user name or password.")
    auth.throttle.succeeded(username, address)
    session = auth.signer.new(user.username, user.password_hash)
    response = RedirectResponse(target, status_code=303)
    response.headers.append("set-cookie", session_cookie(auth.signer.dump(session), secure=over_https(request)))
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[allow("read")])
async def logout(request: Request) -> Response:
    principal = find_principal(request)
    if principal is not None and principal.session_id:
        auth_state(request).ended_sessions.add(principal.session_id)
    request.state.set_session = None
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", session_cookie("", secure=over_https(request), max_age=0))
    return response
