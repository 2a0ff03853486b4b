"""The event publisher port: a publish is done only once the stream has stored the event."""

from typing import Protocol

from nats.js import JetStreamContext

from contracts import subjects
from contracts.envelope import Envelope
from contracts.events import encode, subject_for
from runtime.storage import Storage


class EventPublisher(Protocol):
    async def publish(self, event: Envelope) -> int:
        """Store the event in the log; return its stream sequence."""
        ...


class JetStreamPublisher:
    """With ``storage``, every outcome is recorded there, and a publish refused for want of
    space raises ``StorageFull`` naming the cause."""

    def __init__(self, js: JetStreamContext, timeout: float = 5.0, storage: Storage | None = None) -> None:
        self._js = js
        self._timeout = timeout
        self._storage = storage

    async def publish(self, event: Envelope) -> int:
        try:
            ack = await self._js.publish(
                subject_for(event), encode(event), timeout=self._timeout,
                stream=subjects.STREAM_NAME, headers={"Nats-Msg-Id": str(event.event_id)},
            )
        except Exception as exc:
            if self._storage is None or (full := await self._storage.failed(exc)) is None:
                raise
            raise full from exc
        if self._storage is not None:
            self._storage.stored()
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
