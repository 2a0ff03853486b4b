"""The event publisher port: a publish is done only once the stream has stored the event.

A publish may name what it expects (``Expected``): the event is stored only if the last fact
stored on a subject filter (an aggregate's subjects) is still the one its writer decided on;
``Conflict`` otherwise, so two writers never both act on one aggregate.
"""

import re
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nats.js import JetStreamContext
from nats.js.errors import APIError

from contracts import subjects
from contracts.envelope import Envelope
from contracts.events import encode, subject_for
from runtime.storage import Storage


@dataclass(frozen=True)
class Expected:
    """Store only if the last message on ``subject_filter`` is at ``last_seq`` (0: none)."""

    subject_filter: str
    last_seq: int


class Conflict(Exception):
    """Another fact about the aggregate was stored since the writer decided; ``stored_seq`` is
    the last one's stream sequence where the server said it (None: it did not)."""

    def __init__(self, message: str, stored_seq: int | None = None) -> None:
        super().__init__(message)
        self.stored_seq = stored_seq


WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code for a publish whose expected last (subject) sequence is not the stored one."""
_STORED_SEQ = re.compile(r"(\d+)\s*$")


def expected_headers(expected: Expected) -> dict[str, str]:
    return {"Nats-Expected-Last-Subject-Sequence": str(expected.last_seq),
            "Nats-Expected-Last-Subject-Sequence-Subject": expected.subject_filter}


def conflict_of(exc: APIError) -> Conflict | None:
    """The ``Conflict`` an API error means (a wrong last sequence), or None."""
    if exc.err_code != WRONG_LAST_SEQUENCE:
        return None
    found = _STORED_SEQ.search(str(exc.description or ""))
    return Conflict(str(exc.description), int(found.group(1)) if found else None)


class EventPublisher(Protocol):
    async def publish(self, event: Envelope, expected: Expected | None = None) -> int:
        """Store the event in the log (only as ``expected`` says, else ``Conflict``); return its
        stream sequence."""
        ...


class JetStreamPublisher:
    """Publishes with nats-py's JetStream context: for the ``scpln`` commands and tests, which
    have no broker (the services publish through theirs, ``BrokerPublisher``). With
    ``storage``, every outcome is recorded there, and a publish refused for want of space raises
    ``StorageFull`` naming the cause."""

    def __init__(self, js: JetStreamContext, timeout: float = 5.0, storage: Storage | None = None) -> None:
        self._js = js
        self._timeout = timeout
        self._storage = storage

    async def publish(self, event: Envelope, expected: Expected | None = None) -> int:
        return await stored(self._storage, self._js.publish(
            subject_for(event), encode(event), timeout=self._timeout, stream=subjects.STREAM_NAME,
            headers=headers_of(event, expected)))


class BrokerPublisher:
    """A service's publisher: each event through the faststream publisher the service declared
    for its type (``event_publishers``: what the AsyncAPI document shows it publishes), on the
    event's own subject (``subject_for``: a fact about an aggregate on ``<type>.<id>``), stored
    in the stream before ``publish`` returns. With ``storage``, as ``JetStreamPublisher``."""

    def __init__(self, broker, publishers: Mapping[str, Any], timeout: float = 5.0,  # type: ignore[no-untyped-def]
                 storage: Storage | None = None) -> None:
        self._broker = broker
        self._publishers = publishers
        self._timeout = timeout
        self._storage = storage

    async def publish(self, event: Envelope, expected: Expected | None = None) -> int:
        publisher = self._publishers.get(event.event_type)  # type: ignore[attr-defined]
        if publisher is None:
            raise UndeclaredEvent(f"{event.event_type} is not among the events this service declared it "  # type: ignore[attr-defined]
                                  f"publishes ({', '.join(sorted(self._publishers)) or 'none'})")
        return await stored(self._storage, publisher.publish(
            encode(event), subject=subject_for(event), headers=headers_of(event, expected),
            correlation_id=str(event.correlation_id), stream=subjects.STREAM_NAME, timeout=self._timeout))


class UndeclaredEvent(LookupError):
    """A service published an event type it did not declare (``event_publishers``)."""


def event_publishers(broker, models: Iterable[type[Envelope]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One faststream publisher per event type the service publishes, on the type's subject in
    the event log (not declared by it: ``runtime.bus.declare_stream``), with the contract as its
    schema and its docstring as description."""
    from faststream.nats import JStream

    from contracts.events import SUBJECT_OF

    log_stream = JStream(subjects.STREAM_NAME, declare=False)
    return {model.__name__: broker.publisher(SUBJECT_OF[model.__name__], stream=log_stream, title=model.__name__,
                                             description=(model.__doc__ or model.__name__).strip(), schema=model)
            for model in models}


def headers_of(event: Envelope, expected: Expected | None) -> dict[str, str]:
    """The event's id, for the stream to drop a second publish of it; what it expects, if anything."""
    headers = {"Nats-Msg-Id": str(event.event_id)}
    return headers | expected_headers(expected) if expected is not None else headers


async def stored(storage: Storage | None, publishing: Awaitable[Any]) -> int:
    """The stream sequence the publish was stored at; a refusal as ``Conflict`` or, with
    ``storage``, ``StorageFull`` (every outcome recorded there)."""
    try:
        ack = await publishing
    except APIError as exc:
        if (conflict := conflict_of(exc)) is not None:
            raise conflict from exc
        if storage is None or (full := await storage.failed(exc)) is None:
            raise
        raise full from exc
    except Exception as exc:
        if storage is None or (full := await storage.failed(exc)) is None:
            raise
        raise full from exc
    if storage is not None:
        storage.stored()
    return ack.seq


def subject_matches(subject: str, subject_filter: str) -> bool:
    """Whether a NATS subject filter (``*`` one token, ``>`` the rest) matches the subject."""
    tokens, wanted = subject.split("."), subject_filter.split(".")
    for i, want in enumerate(wanted):
        if want == ">":
            return len(tokens) > i
        if i >= len(tokens) or (want != "*" and want != tokens[i]):
            return False
    return len(tokens) == len(wanted)


class InMemoryPublisher:
    """Fake for unit tests: keeps events in order and drops duplicates by event_id, like the
    stream, and checks what a publish expects as the stream does."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self._seen: dict[str, int] = {}

    async def publish(self, event: Envelope, expected: Expected | None = None) -> int:
        key = str(event.event_id)
        if key in self._seen:
            return self._seen[key]
        if expected is not None and (last := self.last_seq(expected.subject_filter)) != expected.last_seq:
            raise Conflict(f"wrong last sequence: {last}", last)
        self.events.append(event)
        self._seen[key] = len(self.events)
        return len(self.events)

    def last_seq(self, subject_filter: str) -> int:
        """The sequence of the last event stored on a subject the filter matches (0: none)."""
        return next((seq for seq in range(len(self.events), 0, -1)
                     if subject_matches(subject_for(self.events[seq - 1]), subject_filter)), 0)

    def of_type(self, event_type: str) -> list[Envelope]:
        return [e for e in self.events if e.event_type == event_type]  # type: ignore[attr-defined]
