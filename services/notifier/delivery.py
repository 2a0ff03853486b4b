"""Delivering one event to one receiver: a plain async function of the message and the ports,
ignorant of NATS. Its outcome says what becomes of the message: acknowledged (delivered, or no
event to send), delivered again after a wait (failed), or given up (terminated)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from contracts.notifications import WEBHOOK_EVENTS, DeliveryAttempt
from services.notifier import payload
from services.notifier.backoff import Backoff
from services.notifier.journal import Journal
from services.notifier.slots import Receiver

NAME_OF_SUBJECT = {subject: name for name, subject in WEBHOOK_EVENTS.items()}


@dataclass(frozen=True)
class Incoming:
    """A message of a receiver's consumer, its event read (``payload.read``)."""

    subject: str
    fact: payload.Fact
    sequence: int
    attempt: int
    """Which delivery of this message this is, from 1 (the consumer's count)."""


@dataclass(frozen=True)
class Outcome:
    kind: Literal["delivered", "retry", "gave_up", "skipped"]
    delay: float | None = None
    error: str = ""


class Sender(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        """POST the body; the HTTP status. Raises on a connection error or a timeout."""
        ...


@dataclass
class Ports:
    sender: Sender
    backoff: Backoff
    secret: str
    timeout_s: float
    journal: Journal = field(default_factory=Journal)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


async def deliver(message: Incoming, receiver: Receiver, ports: Ports) -> Outcome:
    name = NAME_OF_SUBJECT.get(message.subject)
    if isinstance(message.fact, payload.Undecodable):
        return skipped(message, name, receiver, ports, f"no event to send: {message.fact.reason}")
    if name is None:
        return skipped(message, name, receiver, ports, f"{message.subject} is no webhook event")
    event = payload.event_fields(message.fact)
    sent_at = ports.now()
    raw = payload.body(name, event, message.sequence, sent_at)
    delivery_id = str(event.get("event_id", f"seq-{message.sequence}"))
    started = time.monotonic()
    try:
        status = await ports.sender.post(receiver.url, raw, payload.headers(name, delivery_id, raw, ports.secret),
                                         ports.timeout_s)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except Exception as exc:  # noqa: BLE001 - any failure of the receiver is retried
        error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
    seconds = time.monotonic() - started
    wait = None if not error else ports.backoff.after_failure(message.attempt)
    outcome = Outcome("delivered") if not error else Outcome("retry", wait, error) if wait is not None else \
        Outcome("gave_up", error=error)
    shown = {"retry": "failed"}.get(outcome.kind, outcome.kind)
    ports.journal.record(receiver.durable, DeliveryAttempt(
        receiver=payload.redacted(receiver.url), event=name, delivery_id=delivery_id, sequence=message.sequence,
        attempt=message.attempt, outcome=shown, error=error, at=sent_at, next_attempt_s=wait), seconds)
    return outcome


def skipped(message: Incoming, name: str | None, receiver: Receiver, ports: Ports, why: str) -> Outcome:
    """Nothing to send (acknowledged, never tried again), counted as ``skipped``."""
    ports.journal.record(receiver.durable, DeliveryAttempt(
        receiver=payload.redacted(receiver.url), event=name or message.subject, delivery_id=f"seq-{message.sequence}",
        sequence=message.sequence, attempt=message.attempt, outcome="skipped", error=why, at=ports.now()), None)
    return Outcome("skipped", error=why)
