"""The gateway's sign-in state: mode, session signer, login throttle, proxy trust."""

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from runtime.identity import Identities
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.auth.proxy import ProxyTrust
from services.ui_gateway.auth.sessions import COOKIE, Session, SessionSigner, password_print
from services.ui_gateway.auth.throttle import LoginThrottle
from services.ui_gateway.settings import Settings

log = logging.getLogger("ui_gateway.auth")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class UnsafeSettings(RuntimeError):
    """Settings the gateway refuses to start with."""


@dataclass
class AuthState:
    mode: str
    signer: SessionSigner
    proxy: ProxyTrust
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    ended_sessions: set[str] = field(default_factory=set)
    """Sessions signed out of on this gateway (their cookies may still be replayed until they expire)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "AuthState":
        if settings.scpln_auth == "off" and settings.gateway_host not in LOOPBACK_HOSTS:
            raise UnsafeSettings(f"SCPLN_AUTH=off lets anyone act as admin: it is refused on {settings.gateway_host}; "
                                 "listen on 127.0.0.1 or use SCPLN_AUTH=local")
        if settings.scpln_auth == "proxy" and not settings.scpln_trusted_proxies.strip():
            raise UnsafeSettings("SCPLN_AUTH=proxy needs SCPLN_TRUSTED_PROXIES: the addresses of the proxy whose "
                                 "identity headers are believed")
        signer = SessionSigner(session_secret(settings), settings.scpln_session_idle_minutes * 60,
                               settings.scpln_session_max_hours * 3600)
        return cls(settings.scpln_auth, signer, ProxyTrust.from_settings(settings))


def session_secret(settings: Settings) -> bytes:
    """``SCPLN_SESSION_SECRET``, else a secret made once in the data directory (mode 0600),
    shared by every gateway that shares the directory."""
    if settings.scpln_session_secret:
        return settings.scpln_session_secret.encode()
    path = Path(settings.data_dir) / "secrets" / "session-secret"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    log.info("session secret created in %s", path)
    return path.read_bytes().strip()


def auth_state(request: Request) -> AuthState:
    return request.app.state.auth


def over_https(request: Request) -> bool:
    """Whether the browser reached us over https: directly, or through a trusted proxy that
    says so (``X-Forwarded-Proto``); cookies are then marked Secure."""
    if request.url.scheme == "https":
        return True
    proxy = auth_state(request).proxy
    return proxy.trusts(request.client.host if request.client else None) and \
        request.headers.get("x-forwarded-proto", "").lower() == "https"


def read_session(request: Request, auth: AuthState, identities: Callable[[Request], Identities]) -> Principal | None:
    """The signed-in user of a valid session cookie whose account is still enabled and whose
    password has not changed since; the cookie is re-issued now and then to slide its idle time."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    session = auth.signer.load(cookie)
    if session is None or session.session_id in auth.ended_sessions:
        return None
    user = identities(request).active_user(session.username)
    if user is None or password_print(user.password_hash) != session.password_print:
        return None
    if auth.signer.needs_reissue(session):
        request.state.set_session = (auth.signer.dump(Session(
            session.username, session.session_id, session.issued_at, time.time(), session.password_print)),
            over_https(request))
    return Principal(user.username, user.role, "session", session.session_id)

