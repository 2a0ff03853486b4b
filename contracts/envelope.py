"""The envelope every SCPLN event carries."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

INT64_MAX = 2**63 - 1
"""The largest integer a read model stores (SQLite's INTEGER): bound of every count, offset,
sequence and seed a command or query carries."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def schema_version_field(version: int) -> Any:
    """The ``schema_version`` field of an event type whose schema is at ``version``: a reader
    accepts that version alone. Older versions are brought up to it by ``contracts.upcast``
    before validation; any other (a newer one, or an old one no upcaster knows) is refused
    (``contracts.events.decode`` raises ``UnknownSchemaVersion``). A model that moves to a new
    version redeclares its field with this function."""
    return Field(default=version, ge=version, le=version, description="Version of this event type's schema.")


class Contract(BaseModel):
    """Base of every contract model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(Contract):
    """Metadata common to every event. ``event_id`` is also the ``Nats-Msg-Id`` header: the
    stream drops a second publish of the same event within its two-minute duplicate window.
    Delivery is at least once, so a subscriber treats an ``event_id`` it has seen as seen."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event; also sent as the Nats-Msg-Id header.")
    schema_version: int = schema_version_field(1)
    occurred_at: datetime = Field(default_factory=utcnow, description="When the fact happened (UTC).")
    correlation_id: str = Field(description="The flow this event belongs to: a job id for job and run events, else "
                                            "the id of the plan, scenario, config version or run it is about.")
    causation_id: str | None = Field(default=None, description="What caused this event: another event's id, or the "
                                                                "job or command that produced it.")
    producer: str = Field(description="The service that published the event.")
