"""A run's progress, published without ever holding up its simulation.

The simulation offers progress as it goes (from its own thread, ``offer_threadsafe``); the
reporter publishes in the background at most once per ``min_interval_s``: the first offer at
once, then only the newest offer of each interval (the ones between are dropped, never
queued). ``close`` drops what is not yet published (but the run's first progress: the log
always says it started) and waits for a publish under way, so the run's final state, published
after it, is always the last progress of the run in the log.
A progress publish that fails is logged and dropped: the run goes on.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from contracts.events import JobProgress

log = logging.getLogger("simulator.progress")

Publish = Callable[[JobProgress], Awaitable[Any]]


class ProgressReporter:
    def __init__(self, publish: Publish, min_interval_s: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._publish, self._interval, self._clock, self._sleep = publish, min_interval_s, clock, sleep
        self._newest: JobProgress | None = None
        self._last_sent = float("-inf")
        self._sender: asyncio.Task | None = None
        self._sending = False
        self._awake = False
        """A sender runs or is scheduled: it publishes the newest offer when due."""
        self._closed = False
        self.published = 0
        """Progress events published so far."""

    def offer(self, event: JobProgress) -> None:
        """Keep ``event`` as the newest progress; published now or at the interval's end."""
        if self._closed:
            return
        self._newest = event
        if not self._awake:
            self._awake = True
            self._sender = asyncio.get_running_loop().create_task(self._send())

    def offer_threadsafe(self, loop: asyncio.AbstractEventLoop, event: JobProgress) -> None:
        """``offer`` from another thread (the simulation's): returns at once, and wakes the
        event loop only when no publish is due already (at most once per interval)."""
        if self._closed:
            return
        self._newest = event
        if not self._awake:
            self._awake = True
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        while True:
            if self._newest is None:
                self._awake = False
                if self._newest is None:  # an offer between the two reads found the sender awake
                    return
                self._awake = True
            wait = self._last_sent + self._interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
                continue
            if (event := self._newest) is None:
                continue
            self._newest = None
            self._last_sent, self._sending = self._clock(), True
            try:
                await self._publish(event)
                self.published += 1
            except Exception as exc:  # noqa: BLE001 - progress is best effort; the final state is not
                log.warning("progress of job %s not published: %s: %s", event.job_id, type(exc).__name__, exc)
            finally:
                self._sending = False

    async def close(self) -> None:
        """Drop the progress not yet published (all but a first one: the log always says the
        run started); return once none is being published."""
        self._closed = True
        if self._last_sent != float("-inf"):
            self._newest = None
        sender = self._sender
        if sender is None or sender.done():
            return
        if not self._sending and self._newest is None:
            sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
