"""Subscribers to the log whose parameter is the event: ``broker.subscriber(...,
decoder=event_decoder)`` reads each message with the contracts (``contracts.events.decode``: the
event type of its subject, old schema versions upcast), and the handler's parameter is typed
``TheEvent | Undecodable``. A message that is no such event arrives as ``Undecodable``: the
handler drops it (``dropped``: logged and counted) and returns, so it is acknowledged and a
poison message never stalls a consumer."""

import logging
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from contracts.events import Event, decode
from runtime.logs import first_line

UNDECODABLE = Counter("subscriber_messages_undecodable_total",
                      "Messages a subscriber took that are no event of their subject's type (dropped).",
                      ["subscriber"])


@dataclass(frozen=True)
class Undecodable:
    """A message that is no event of its subject's type: dropped, never handled."""

    subject: str
    seq: int | None
    """Its stream sequence (None: not a message of a stream)."""
    why: str


def event_decoder(message: Any) -> Event | Undecodable:
    """faststream's ``decoder=``: the event a message of the log holds, else ``Undecodable``."""
    raw = message.raw_message
    try:
        return decode(message.body, raw.subject)
    except ValueError as exc:  # pydantic's ValidationError, UnknownEvent, UnknownSchemaVersion
        return Undecodable(raw.subject, _stream_seq(raw), first_line(exc))


def _stream_seq(raw: Any) -> int | None:
    try:
        return int(raw.metadata.sequence.stream)
    except Exception:  # noqa: BLE001 - a core NATS message has no metadata
        return None


def dropped(message: Undecodable, subscriber: str, log: logging.Logger) -> None:
    """Say and count that ``subscriber`` dropped ``message``."""
    UNDECODABLE.labels(subscriber).inc()
    log.error("%s dropped the message at seq %s on %s: no event of its subject (%s)", subscriber, message.seq,
              message.subject, message.why)
