"""Integration fixtures: services run in-process against a real nats-server."""

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import nats
import pytest
from nats.js.errors import ServerError

from contracts.events import decode
from runtime import bus, nats_server
from runtime.log_reader import read_log

STORE_NOT_CREATED = 10049
"""JetStream's "error creating store for stream"."""


@pytest.fixture()
def monitored_nats(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A nats-server of this test's own with its monitoring port: (its URL, its monitor's URL),
    for tests that ask the server who is connected; its log in ``tmp_path / "nats.log"``."""
    port, monitor = nats_server.free_port(), nats_server.free_port()
    proc = nats_server.start(tmp_path / "nats", port, monitor_port=monitor, log_file=tmp_path / "nats.log")
    try:
        assert nats_server.wait_listening(port) and nats_server.wait_listening(monitor), "nats-server did not start"
        yield f"nats://127.0.0.1:{port}", f"http://127.0.0.1:{monitor}"
    finally:
        proc.terminate()
        proc.wait(10)


def clients(monitor_url: str, *, every: bool = False, leave_out: str | None = None) -> list[dict]:
    """The server's clients (``/connz``, with their subscriptions): those connected now, or
    ``every`` one it has had, connected or gone; not ``leave_out`` (the test's own), nor a bare
    TCP probe, which says no CONNECT."""
    state = "&state=all" if every else ""
    with urllib.request.urlopen(f"{monitor_url}/connz?subs=1&limit=1000{state}", timeout=5) as answer:
        seen = json.loads(answer.read())["connections"] or []
    return [c for c in seen if c.get("lang") and (leave_out is None or c.get("name") != leave_out)]


def names_connected(monitor_url: str) -> list[str]:
    """The names of the clients connected now, sorted."""
    return sorted(c.get("name", "") for c in clients(monitor_url))


async def names_once(monitor_url: str, expected: list[str], timeout: float = 10.0) -> list[str]:
    """The names connected, read until they are ``expected`` or ``timeout`` has passed: the
    server lists a client that closed its connection for a moment after it did."""
    return await read_until(lambda: names_connected(monitor_url), lambda names: names == expected, timeout)


async def all_closed(monitor_url: str, leave_out: str, timeout: float = 10.0) -> list[dict]:
    """Every client the server has had but ``leave_out``, read until each has closed (has a
    reason) or ``timeout`` has passed: the server takes a moment to see a close."""
    return await read_until(lambda: clients(monitor_url, every=True, leave_out=leave_out),
                            lambda seen: all(c.get("reason") for c in seen), timeout)


async def read_until(read, ready, timeout: float):  # type: ignore[no-untyped-def]
    """``read()`` (blocking, on a thread) until ``ready`` of it, or ``timeout``: the last read."""
    deadline = time.monotonic() + timeout
    while not ready(seen := await asyncio.to_thread(read)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return seen


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
    deadline = time.monotonic() + 10
    while True:
        try:
            await bus.declare_stream(context, max_bytes=256 * 1024**2)
            break
        except ServerError as exc:
            # the log ``fresh_nats`` deleted a moment ago may still be removing its files: the
            # server refuses a new store of that name until it has
            if exc.err_code != STORE_NOT_CREATED or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
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
