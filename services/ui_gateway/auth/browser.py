"""Browser hardening on every response, and no changes asked for by another site.

A request that changes something (any method but GET, HEAD, OPTIONS) is refused with 403 when
the browser says it comes from another site (``Sec-Fetch-Site: cross-site`` or
``same-site``) or its ``Origin`` is not this gateway's own. Clients that are no browser send
neither header and go on to the route's own checks (a token, or a session and its CSRF token).
Every response carries a Content-Security-Policy without inline scripts, and the session
cookie is re-issued here when the route's guard slid its idle window.
"""

import json
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.ui_gateway.auth.sessions import COOKIE

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def session_cookie(value: str, *, secure: bool, max_age: int | None = None) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = value
    morsel = cookie[COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def cross_site(scope: Scope) -> str | None:
    """Why a request that changes something is refused as cross-site, or None."""
    headers = Headers(scope=scope)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"a {fetch_site} request may not change anything here"
    origin = headers.get("origin")
    if origin is not None:
        host = headers.get("host", "")
        if origin in ("null", "") or origin.split("://", 1)[-1] != host:
            return f"a request from {origin} may not change anything here"
    return None


class BrowserGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] not in SAFE_METHODS and (reason := cross_site(scope)) is not None:
            return await _forbidden(send, reason)
        async def hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                state = scope.get("state") or {}
                if (reissue := state.get("set_session")) is not None:
                    value, secure = reissue
                    headers.append((b"set-cookie", session_cookie(value, secure=secure).encode()))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, hardened)


async def _forbidden(send: Send, reason: str) -> None:
    body = json.dumps({"detail": f"cross-site request refused: {reason}"}).encode()
    await send({"type": "http.response.start", "status": 403, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
