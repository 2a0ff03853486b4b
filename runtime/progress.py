"""A job's progress, published without ever holding up its work (a simulation, a planning job).

The work offers progress as it goes (from its own thread, ``offer_threadsafe``); the reporter
publishes in the background at most once per ``min_interval_s``: the first offer at once and as
it was offered (later offers never replace it), then only the newest offer of each interval
(the ones between are dropped, never queued). ``close`` drops what is not yet published (but
the first offer: the log always says the job started) and waits for a publish under way, so the
job's final state, published after it, is always its last progress in the log.
A progress publish that fails is logged and dropped: the work goes on.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from contracts.events import JobProgress

log = logging.getLogger("runtime.progress")

Publish = Callable[[JobProgress], Awaitable[Any]]


class ProgressReporter:
    def __init__(self, publish: Publish, min_interval_s: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._publish, self._interval, self._clock, self._sleep = publish, min_interval_s, clock, sleep
        self._offered = False
        self._first: JobProgress | None = None
        """The first offer until it is published."""
        self._newest: JobProgress | None = None
        self._last_sent = float("-inf")
        self._sender: asyncio.Task | None = None
        self._sending = False
        self._awake = False
        """A sender runs or is scheduled: it publishes the newest offer when due."""
        self._closed = False
        self.published = 0
        """Progress events published so far."""

    def _keep(self, event: JobProgress) -> None:
        if self._offered:
            self._newest = event
        else:
            self._offered, self._first = True, event

    def offer(self, event: JobProgress) -> None:
        """Keep ``event`` as the newest progress; published now or at the interval's end."""
        if self._closed:
            return
        self._keep(event)
        if not self._awake:
            self._awake = True
            self._sender = asyncio.get_running_loop().create_task(self._send())

    def offer_threadsafe(self, loop: asyncio.AbstractEventLoop, event: JobProgress) -> None:
        """``offer`` from another thread (the work's): returns at once, and wakes the event loop
        only when no publish is due already (at most once per interval)."""
        if self._closed:
            return
        self._keep(event)
        if not self._awake:
            self._awake = True
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send())

    def _pending(self) -> bool:
        return self._first is not None or self._newest is not None

    async def _send(self) -> None:
        while True:
            if not self._pending():
                self._awake = False
                if not self._pending():  # an offer between the two reads found the sender awake
                    return
                self._awake = True
            if (event := self._first) is not None:
                self._first = None
            else:
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
        """Drop the progress not yet published (all but the first offer: the log always says the
        job started); return once none is being published."""
        self._closed = True
        self._newest = None
        if self._first is not None and (self._sender is None or self._sender.done()):
            self._sender = asyncio.get_running_loop().create_task(self._send())  # its wake-up is still on the way
        sender = self._sender
        if sender is None or sender.done():
            return
        if not self._sending and self._first is None:
            sender.cancel()
        try:
            await sender
        except asyncio.CancelledError:
            if (closing := asyncio.current_task()) is not None and closing.cancelling():
                raise  # the closer itself is cancelled, not only the sender
