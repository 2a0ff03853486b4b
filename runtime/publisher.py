"""The event publisher port: a publish is done only once the stream has stored the event."""

from typing import Protocol

from nats.js import JetStreamContext

from contracts import subjects
from contracts.envelope import Envelope
from contracts.events import encode, subject_for


class EventPublisher(Protocol):
    async def publish(self, event: Envelope) -> int:
        """Store the event in the log; return its stream sequence."""
        ...


class JetStreamPublisher:
    def __init__(self, js: JetStreamContext, timeout: float = 5.0) -> None:
        self._js = js
        self._timeout = timeout

    async def publish(self, event: Envelope) -> int:
        ack = await self._js.publish(
            subject_for(event), encode(event), timeout=self._timeout,
            stream=subjects.STREAM_NAME, headers={"Nats-Msg-Id": str(event.event_id)},
        )
        return ack.seq


class InMemoryPublisher:
    """Fake for unit tests: keeps events in order and drops duplicates by event_id, like the stream."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self._seen: set[str] = set()

    async def publish(self, event: Envelope) -> int:
        key = str(event.event_id)
        if key not in self._seen:
            self._seen.add(key)
            self.events.append(event)
        return len(self.events)

    def of_type(self, event_type: str) -> list[Envelope]:
        return [e for e in self.events if e.event_type == event_type]  # type: ignore[attr-defined]
