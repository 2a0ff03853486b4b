"""The one place where a request's identity is found and its permission checked.

Every route names its permission with ``allow(...)`` (or ``public()``); a test built from the
app's route list fails for a route that names none. The identity comes from, in this order:
``SCPLN_AUTH=off`` (one person on loopback: the local admin), an ``Authorization: Bearer``
token, a trusted proxy's headers (``SCPLN_AUTH=proxy``), the session cookie. No identity: 401
(pages: the login page); the wrong role: 403 naming the missing permission. A change asked
for with a session cookie also needs the session's CSRF token.
"""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from runtime.identity import Identities
from services.ui_gateway.auth.permissions import PERMISSIONS, PUBLIC
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.auth.state import AuthState, auth_state, read_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """A page was asked for without an identity: the browser goes to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def unauthorized(message: str = "sign in first: send 'Authorization: Bearer <token>' (scpln tokens create)") -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="scpln"'})


def is_page(request: Request) -> bool:
    path = request.url.path
    return (path.startswith("/ui/") or path in ("/", "/docs")) and not path.endswith(".json") \
        and not path.startswith("/ui/jobs/events")


def _identities(request: Request) -> Identities:
    bus = request.app.state.bus
    if not getattr(bus, "identities_ready", False):
        raise HTTPException(503, "the gateway is still reading who may sign in; try again in a moment")
    return bus.identities


def find_principal(request: Request) -> Principal | None:
    """The identity of the request, or None. An invalid token is a 401 (never another identity)."""
    if (found := getattr(request.state, "principal", None)) is not None:
        return found
    auth: AuthState = auth_state(request)
    principal = None
    if auth.mode == "off":
        principal = Principal("local", "admin", "off", "off")
    elif (header := request.headers.get("authorization")) is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise unauthorized("the Authorization header takes 'Bearer <token>'")
        user = _identities(request).user_for_token(secret.strip())
        if user is None:
            raise unauthorized("the token is unknown, expired or revoked, or its user is disabled")
        principal = Principal(user.username, user.role, "token")
    elif auth.mode == "proxy" and auth.proxy.trusts(request.client.host if request.client else None):
        vouched = auth.proxy.identity({k.lower(): v for k, v in request.headers.items()})
        if vouched is not None:
            principal = Principal(vouched[0], vouched[1], "proxy", f"proxy:{vouched[0]}")
    if principal is None:
        principal = read_session(request, auth, _identities)
    if principal is not None:
        request.state.principal = principal
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    """A JSON body needs no token: no other site can send one without a CORS preflight, which
    this gateway never grants. Anything else (forms, text, no body) carries the token."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return
    token = request.headers.get(CSRF_HEADER, "")
    if not token and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        token = str((await request.form()).get(CSRF_FIELD, ""))
    if not auth_state(request).signer.csrf_ok(principal.session_id, token):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page and send it again")


class Guard:
    """Dependency of one route: the permission it needs (``public``: none)."""

    def __init__(self, permission: str) -> None:
        if permission != PUBLIC and permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        self.permission = permission

    async def __call__(self, request: Request) -> Principal | None:
        if self.permission == PUBLIC:
            return None
        principal = find_principal(request)
        if principal is None:
            if is_page(request):
                raise LoginRequired(_next_path(request))
            raise unauthorized()
        if not principal.can(self.permission):
            raise HTTPException(403, f"your role ({principal.role}) does not have the permission "
                                     f"'{self.permission}' (it takes {PERMISSIONS[self.permission]} or above)")
        if request.method not in SAFE_METHODS and principal.via != "token":
            await _check_csrf(request, principal)
        return principal


def _next_path(request: Request) -> str:
    if request.method in SAFE_METHODS:
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    return "/ui/plans"


def allow(permission: str) -> Any:
    """``dependencies=[allow("runs.delete")]``: the route needs this permission."""
    return Depends(Guard(permission))


def public() -> Any:
    return Depends(Guard(PUBLIC))


async def current(request: Request) -> Principal:
    """The identity its route's guard established (use together with ``allow``); ``async``, so
    FastAPI does not hand it to its thread pool."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise unauthorized()
    return principal


Actor = Annotated[Principal, Depends(current)]
"""The signed-in user acting: who locks, deletes, asks; never a field of the request."""
