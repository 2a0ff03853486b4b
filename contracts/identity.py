"""Identity facts: users, their roles and API tokens, kept in the event log like every other fact.

No password or token is ever in an event: a user carries an argon2 hash of the password, a token
the sha256 of its secret. The gateway folds these events into the identities it checks each
request against; the ``scpln users`` and ``scpln tokens`` commands write them.
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from contracts.envelope import Envelope

Role = Literal["viewer", "planner", "approver", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "planner", "approver", "operator", "admin")
"""Every role, each allowed what the ones before it are, and more (see the README's table)."""

LEGACY_ROLE_NAMES: dict[str, Role] = {"lead": "approver"}
"""Role names of the original scpln, accepted where a role is named."""

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class UserAdded(Envelope):
    """A local account was created (``scpln users add``, or the first start's ``admin``)."""

    event_type: Literal["UserAdded"] = "UserAdded"
    username: str = Field(pattern=USERNAME_PATTERN, description="Sign-in name, unique.")
    role: Role = Field(description="What the user may do.")
    password_hash: str = Field(description="argon2id hash of the password (PHC string); never the password.")
    added_by: str = Field(description="Who created the account.")


class UserRoleChanged(Envelope):
    """A user's role changed; it applies to the user's sessions and tokens at once."""

    event_type: Literal["UserRoleChanged"] = "UserRoleChanged"
    username: str = Field(description="The user.")
    role: Role = Field(description="The new role.")
    changed_by: str = Field(description="Who changed it.")


class UserPasswordChanged(Envelope):
    """A user's password was set anew."""

    event_type: Literal["UserPasswordChanged"] = "UserPasswordChanged"
    username: str = Field(description="The user.")
    password_hash: str = Field(description="argon2id hash of the new password.")
    changed_by: str = Field(description="Who set it.")


class UserDisabled(Envelope):
    """A user may no longer sign in; their sessions and tokens stop working at once."""

    event_type: Literal["UserDisabled"] = "UserDisabled"
    username: str = Field(description="The user.")
    disabled_by: str = Field(description="Who disabled the account.")


class UserEnabled(Envelope):
    """A disabled user may sign in again (their revoked tokens stay revoked)."""

    event_type: Literal["UserEnabled"] = "UserEnabled"
    username: str = Field(description="The user.")
    enabled_by: str = Field(description="Who enabled the account.")


class TokenIssued(Envelope):
    """An API token was issued to a user. Only the sha256 of its secret is kept."""

    event_type: Literal["TokenIssued"] = "TokenIssued"
    token_id: str = Field(description="Public id of the token (what `scpln tokens revoke` takes).")
    username: str = Field(description="The user the token acts as, with that user's current role.")
    label: str = Field(default="", max_length=200, description="What the token is for.")
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the token's secret, hex.")
    expires_at: datetime | None = Field(default=None, description="When it stops working; None: never.")
    issued_by: str = Field(description="Who issued it.")


class TokenRevoked(Envelope):
    """An API token was revoked; it stops working at once."""

    event_type: Literal["TokenRevoked"] = "TokenRevoked"
    token_id: str = Field(description="The token.")
    revoked_by: str = Field(description="Who revoked it.")


IDENTITY_EVENTS = (UserAdded, UserRoleChanged, UserPasswordChanged, UserDisabled, UserEnabled, TokenIssued,
                   TokenRevoked)
