"""Signed session cookies: who signed in, when, and when they were last seen.

The cookie holds no secret: a user name, a random session id, the times, and a fingerprint of
the password hash (a password change ends every session). It is signed with the gateway's
secret (``itsdangerous``); idle and absolute expiry are checked on every request, and the
cookie is re-issued at most once a minute to slide the idle window. CSRF tokens are an HMAC of
the session id (or, before sign-in, of a login nonce cookie).
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "scpln_session"
LOGIN_NONCE_COOKIE = "scpln_login"
REISSUE_AFTER_S = 60


@dataclass(frozen=True)
class Session:
    username: str
    session_id: str
    issued_at: float
    seen_at: float
    password_print: str


def password_print(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class SessionSigner:
    def __init__(self, secret: bytes, idle_s: float, max_age_s: float) -> None:
        self._secret = secret
        self._serializer = URLSafeSerializer(secret, salt="scpln-session")
        self.idle_s = idle_s
        self.max_age_s = max_age_s

    def new(self, username: str, password_hash: str, now: float | None = None) -> Session:
        now = time.time() if now is None else now
        return Session(username, secrets.token_urlsafe(16), now, now, password_print(password_hash))

    def dump(self, session: Session) -> str:
        return self._serializer.dumps([session.username, session.session_id, int(session.issued_at),
                                       int(session.seen_at), session.password_print])

    def load(self, cookie: str, now: float | None = None) -> Session | None:
        """The session the cookie stands for, or None when forged, malformed or expired."""
        now = time.time() if now is None else now
        try:
            username, session_id, issued, seen, pprint = self._serializer.loads(cookie)
        except (BadSignature, ValueError, TypeError):
            return None
        if now - issued > self.max_age_s or now - seen > self.idle_s:
            return None
        return Session(str(username), str(session_id), float(issued), float(seen), str(pprint))

    def needs_reissue(self, session: Session, now: float | None = None) -> bool:
        return (time.time() if now is None else now) - session.seen_at >= REISSUE_AFTER_S

    def csrf_token(self, binding: str) -> str:
        return hmac.new(self._secret, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, binding: str, token: str) -> bool:
        return bool(binding) and hmac.compare_digest(self.csrf_token(binding), token)
