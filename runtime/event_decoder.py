"""Subscribers to the log whose parameter is the event: ``broker.subscriber(...,
decoder=event_decoder("who", log))`` reads each message with the contracts
(``contracts.events.decode``: the event type of its subject, old schema versions upcast), so the
handler's parameter is typed by the event's model (and the AsyncAPI document shows it). A message
that is no such event is dropped by the decoder: logged, counted and acknowledged
(``AckMessage``): it never reaches the handler, and a poison message never stalls a consumer."""

import logging
from collections.abc import Callable
from typing import Any

from faststream.exceptions import AckMessage
from prometheus_client import Counter

from contracts.events import Event, decode
from runtime.logs import first_line

UNDECODABLE = Counter("subscriber_messages_undecodable_total",
                      "Messages a subscriber took that are no event of their subject's type (dropped).",
                      ["subscriber"])


def event_decoder(subscriber: str, log: logging.Logger) -> Callable[[Any], Event]:
    """faststream's ``decoder=`` for ``subscriber``: the event a message of the log holds."""

    def decoded(message: Any) -> Event:
        raw = message.raw_message
        try:
            return decode(message.body, raw.subject)
        except ValueError as exc:  # pydantic's ValidationError, UnknownEvent, UnknownSchemaVersion
            UNDECODABLE.labels(subscriber).inc()
            log.error("%s dropped the message at seq %s on %s: no event of its subject (%s)", subscriber,
                      _stream_seq(raw), raw.subject, first_line(exc))
            raise AckMessage() from exc

    return decoded


def _stream_seq(raw: Any) -> int | None:
    try:
        return int(raw.metadata.sequence.stream)
    except Exception:  # noqa: BLE001 - a core NATS message has no metadata
        return None
