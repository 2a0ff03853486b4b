"""Who is who: the fold of the identity events, password and token hashing, and writing
identity facts to the log with optimistic concurrency.

The gateway follows ``scpln.events.identity.>`` into an ``Identities`` fold and checks each
request against it (a dictionary look-up: no request to another service per HTTP request).
``scpln users`` and ``scpln tokens`` fold the same events, decide, and publish the next fact
only if no other identity fact was stored meanwhile (``Nats-Expected-Last-Subject-Sequence``
over the identity subjects), so two writers never both add one user.
"""

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import APIError

from contracts import subjects
from contracts.envelope import Envelope
from contracts.events import UnknownEvent, decode, encode, subject_for
from contracts.identity import (
    LEGACY_ROLE_NAMES,
    ROLES,
    Role,
    TokenIssued,
    TokenRevoked,
    UserAdded,
    UserDisabled,
    UserEnabled,
    UserPasswordChanged,
    UserRoleChanged,
)
from runtime.follow import fold_once
from runtime.follow import follow as follow_subject

log = logging.getLogger("runtime.identity")

TOKEN_PREFIX = "scpln_"
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
"""Verified against when the user does not exist, so a wrong name costs as much as a wrong password."""


def role_named(name: str) -> Role:
    """A role by its name here or in the original scpln (``lead``); ValueError otherwise."""
    name = name.strip().lower()
    role = LEGACY_ROLE_NAMES.get(name, name)
    if role not in ROLES:
        raise ValueError(f"unknown role {name!r}: one of {', '.join(ROLES)} (or lead)")
    return role  # type: ignore[return-value]


def role_rank(role: str) -> int:
    return ROLES.index(role)  # type: ignore[arg-type]


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def new_password() -> str:
    return secrets.token_urlsafe(18)


def new_token() -> tuple[str, str, str]:
    """A fresh API token: (token_id, the secret given to the user once, its sha256)."""
    token_id = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    return token_id, secret, token_sha256(secret)


def token_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class User:
    username: str
    role: Role
    password_hash: str = field(repr=False)
    disabled: bool = False
    added_at: datetime | None = None
    added_by: str = ""


@dataclass
class Token:
    token_id: str
    username: str
    label: str
    sha256: str = field(repr=False)
    expires_at: datetime | None
    issued_at: datetime
    issued_by: str
    revoked: bool = False

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


IdentityEvent = UserAdded | UserRoleChanged | UserPasswordChanged | UserDisabled | UserEnabled | TokenIssued | TokenRevoked


@dataclass
class Identities:
    """Users and tokens as the identity events left them; ``last_seq`` is the stream sequence
    of the last identity fact applied (0: none)."""

    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    last_seq: int = 0
    _by_hash: dict[str, Token] = field(default_factory=dict, repr=False)

    def apply(self, event: Envelope, seq: int = 0) -> None:
        """Fold one identity event (others are ignored). Facts about unknown users or tokens
        change nothing: the writers never publish them."""
        self.last_seq = max(self.last_seq, seq)
        match event:
            case UserAdded():
                if event.username not in self.users:
                    self.users[event.username] = User(event.username, event.role, event.password_hash,
                                                      added_at=event.occurred_at, added_by=event.added_by)
            case UserRoleChanged() if event.username in self.users:
                self.users[event.username].role = event.role
            case UserPasswordChanged() if event.username in self.users:
                self.users[event.username].password_hash = event.password_hash
            case UserDisabled() if event.username in self.users:
                self.users[event.username].disabled = True
            case UserEnabled() if event.username in self.users:
                self.users[event.username].disabled = False
            case TokenIssued() if event.token_id not in self.tokens:
                token = Token(event.token_id, event.username, event.label, event.token_sha256, event.expires_at,
                              event.occurred_at, event.issued_by)
                self.tokens[token.token_id] = token
                self._by_hash[token.sha256] = token
            case TokenRevoked() if event.token_id in self.tokens:
                self.tokens[event.token_id].revoked = True

    def active_user(self, username: str) -> User | None:
        user = self.users.get(username)
        return None if user is None or user.disabled else user

    def check_password(self, username: str, password: str) -> User | None:
        """The user when the password is theirs and the account is enabled. The same argon2
        work is done whether or not the user exists."""
        user = self.users.get(username)
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user if user is not None and not user.disabled else None

    def user_for_token(self, secret: str, now: datetime | None = None) -> User | None:
        """The enabled user a live (not revoked, not expired) token acts as."""
        token = self._by_hash.get(token_sha256(secret))
        if token is None or token.revoked or token.expired(now or datetime.now(UTC)):
            return None
        if not hmac.compare_digest(token.sha256, token_sha256(secret)):
            return None
        return self.active_user(token.username)


def apply_message(identities: Identities, data: bytes, subject: str, seq: int) -> None:
    try:
        event = decode(data, subject)
    except (UnknownEvent, ValueError) as exc:
        log.warning("identity message %d on %s is no identity event: %s", seq, subject, exc)
        identities.last_seq = max(identities.last_seq, seq)
        return
    identities.apply(event, seq)


async def follow(js: JetStreamContext, identities: Identities, ready: asyncio.Event,
                 on_change: Callable[[], None] | None = None) -> None:
    """Fold every identity fact of the log after ``identities.last_seq`` into ``identities``,
    then keep following new ones (``runtime.follow``). ``ready`` is set once the facts stored
    when following began are applied."""

    def apply(msg: Msg) -> None:
        apply_message(identities, msg.data, msg.subject, msg.metadata.sequence.stream)
        if on_change is not None:
            on_change()

    await follow_subject(js, subjects.IDENTITY_EVENTS, apply, identities.last_seq, ready)


async def load(js: JetStreamContext, timeout: float = 10.0) -> Identities:
    """The identities as the log holds them now (for the CLI: fold, decide, publish)."""
    identities = Identities()
    await fold_once(js, subjects.IDENTITY_EVENTS,
                    lambda msg: apply_message(identities, msg.data, msg.subject, msg.metadata.sequence.stream), timeout)
    return identities


class Conflict(Exception):
    """Another identity fact was stored since the fold this decision was made on."""


_WRONG_LAST_SEQUENCE = 10071


async def publish(js: JetStreamContext, event: Envelope, after_seq: int, timeout: float = 5.0) -> int:
    """Store an identity fact only if the last identity fact in the log is still ``after_seq``
    (0: none); ``Conflict`` otherwise. Returns its stream sequence."""
    headers = {
        "Nats-Msg-Id": str(event.event_id),
        "Nats-Expected-Last-Subject-Sequence": str(after_seq),
        "Nats-Expected-Last-Subject-Sequence-Subject": subjects.IDENTITY_EVENTS,
    }
    try:
        ack = await js.publish(subject_for(event), encode(event), timeout=timeout, stream=subjects.STREAM_NAME,
                               headers=headers)
    except APIError as exc:
        if exc.err_code == _WRONG_LAST_SEQUENCE:
            raise Conflict(str(exc.description)) from exc
        raise
    return ack.seq
