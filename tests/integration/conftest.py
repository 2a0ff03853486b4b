"""Integration fixtures: services run in-process against a real nats-server."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import nats
import pytest

from contracts.events import decode
from runtime import bus
from runtime.log_reader import read_log


@pytest.fixture()
async def nc(fresh_nats: str) -> AsyncIterator:
    """A connection to the test's server (empty), drained afterwards."""
    connection = await nats.connect(fresh_nats)
    yield connection
    await connection.drain()


@pytest.fixture()
async def js(nc) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """``nc``'s JetStream, with the event log declared."""
    context = nc.jetstream()
    await bus.declare_stream(context, max_bytes=256 * 1024**2)
    yield context


def _decoded(data: bytes):  # type: ignore[no-untyped-def]
    try:
        return decode(data)
    except ValueError:
        return None


async def log_events(js, filter_subjects=("scpln.events.>",)) -> list:  # type: ignore[no-untyped-def]
    """Every decodable event in the log (poison messages a test wrote are left out)."""
    events = [_decoded(m.data) async for batch in read_log(js, filter_subjects=filter_subjects) for m in batch]
    return [e for e in events if e is not None]


async def wait_events(js, ready: Callable[[list], bool], timeout: float = 15.0) -> list:  # type: ignore[no-untyped-def]
    """Read the whole log until ``ready(events)`` holds."""
    deadline = time.monotonic() + timeout
    events: list = []
    while time.monotonic() < deadline:
        events = await log_events(js)
        if ready(events):
            return events
        await asyncio.sleep(0.1)
    raise AssertionError(f"log never got ready; it holds {[e.event_type for e in events]}")


class Running:
    """A service's ``main(settings, stop)`` running as a task until ``stop()``."""

    def __init__(self, main, settings) -> None:  # type: ignore[no-untyped-def]
        self.halt = asyncio.Event()
        self.task = asyncio.create_task(main(settings, self.halt))

    async def stop(self) -> None:
        self.halt.set()
        await asyncio.wait_for(self.task, 15)
