"""Work already accepted is never dropped because a write failed: its writes (and the reads it
needs) are tried again until they succeed, however long the disk is full or the bus away.

The same event is published again (same ``event_id``: the stream keeps one if an earlier try
was stored after all), and an object is put again under the same key.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats import errors as nats_errors

from contracts.envelope import Envelope
from contracts.events import ArtifactRef
from runtime.logs import first_line
from runtime.objects import ObjectStore
from runtime.publisher import EventPublisher, Expected
from runtime.storage import UNCONFIRMED, StorageFull

log = logging.getLogger("runtime.patience")
T = TypeVar("T")

WAITS = (StorageFull, *UNCONFIRMED, nats_errors.ConnectionClosedError, nats_errors.ConnectionReconnectingError,
         nats_errors.NoServersError, nats_errors.StaleConnectionError, nats_errors.OutboundBufferLimitError)
"""Failures waited out: no space, no answer, no connection."""
MAX_WAIT_S = 5.0
LINE_EVERY_S = 60.0
READ_WAIT_S = 120.0
"""A read is waited out this long, then its failure is raised: a read needs no space, and one
that never answers (a subject the bus refuses) must not hold the work for ever."""


async def until_done(call: Callable[[], Awaitable[T]], what: str, *, max_wait_s: float = MAX_WAIT_S,
                     give_up_after_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> T:
    """``call()`` again and again until it succeeds (or ``give_up_after_s`` has passed); any
    other failure than ``WAITS`` is raised. The wait is said once a minute (the storage and the
    bus say when it begins)."""
    delay, since, next_line = 0.25, clock(), clock() + LINE_EVERY_S
    while True:
        try:
            return await call()
        except WAITS as exc:
            if give_up_after_s is not None and clock() - since >= give_up_after_s:
                raise
            if (now := clock()) >= next_line:
                next_line = now + LINE_EVERY_S
                log.warning("%s still waits after %.0f s (%s: %s)", what, now - since,
                            type(exc).__name__, first_line(exc))
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_wait_s)


class PatientPublisher:
    """An ``EventPublisher`` for work already accepted: each event is stored, however long it takes."""

    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner

    async def publish(self, event: Envelope, expected: Expected | None = None) -> int:
        """A ``Conflict`` is no failure to wait out: it is raised at once."""
        store = (lambda: self.inner.publish(event)) if expected is None else (lambda: self.inner.publish(event, expected))
        return await until_done(store,
                                  f"storing {getattr(event, 'event_type', 'event')} {event.event_id}")


class PatientObjects:
    """An ``ObjectStore`` for work already accepted: each object is stored, however long it
    takes; a read is waited out for ``read_wait_s`` (0: not at all)."""

    def __init__(self, inner: ObjectStore, read_wait_s: float = READ_WAIT_S) -> None:
        self.inner = inner
        self.read_wait_s = read_wait_s

    async def put(self, name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json") -> ArtifactRef:
        return await until_done(lambda: self.inner.put(name, bucket, key, data, content_type), f"storing {bucket}/{key}")

    async def get(self, bucket: str, key: str) -> bytes:
        if self.read_wait_s <= 0:
            return await self.inner.get(bucket, key)
        return await until_done(lambda: self.inner.get(bucket, key), f"reading {bucket}/{key}",
                                give_up_after_s=self.read_wait_s)

