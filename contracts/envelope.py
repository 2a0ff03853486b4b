"""The envelope every SCPLN event carries."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

INT64_MAX = 2**63 - 1
"""The largest integer a read model stores (SQLite's INTEGER): bound of every count, offset,
sequence and seed a command or query carries."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every contract model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(Contract):
    """Metadata common to every event. ``event_id`` is also the ``Nats-Msg-Id`` header, so
    the stream drops a duplicate publish of the same event."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event; also sent as the Nats-Msg-Id header.")
    schema_version: int = Field(default=1, ge=1, description="Version of this event type's schema.")
    occurred_at: datetime = Field(default_factory=utcnow, description="When the fact happened (UTC).")
    correlation_id: str = Field(description="The job or plan this event belongs to.")
    causation_id: str | None = Field(default=None, description="The event or command that caused this event.")
    producer: str = Field(description="The service that published the event.")
