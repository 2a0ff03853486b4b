"""Who is asking: the signed-in user, a token's user, a user vouched for by a trusted proxy."""

from dataclasses import dataclass
from typing import Literal

from contracts.identity import Role
from services.ui_gateway.auth.permissions import allowed

Via = Literal["session", "token", "proxy", "off"]


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    via: Via
    session_id: str = ""
    """What the CSRF tokens of a browser's forms are bound to: the session's id (login page),
    the proxied user (proxy), ``off``; empty for a token, which no browser sends by itself."""

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)
