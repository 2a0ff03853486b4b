"""A bus outage in the logs: one line when it starts, one a minute while it lasts, one when it
ends. Not a traceback per reconnect attempt: nats-py's default error callback logs one each
time it tries again (every 0.5 s, on each of a service's connections).

One ``OutageLog`` per process, given to every connection it opens (``runtime.bus.connect``,
``runtime.bus.broker``) and to the loops that keep reading while the bus is away.
"""

import logging
import time
from collections.abc import Callable

from nats import errors as nats_errors

from runtime.logs import first_line

OUTAGE_ERRORS = (OSError, TimeoutError, nats_errors.UnexpectedEOF, nats_errors.StaleConnectionError,
                 nats_errors.ConnectionClosedError, nats_errors.NoServersError, nats_errors.ConnectionReconnectingError,
                 nats_errors.OutboundBufferLimitError, nats_errors.FlushTimeoutError)
"""What the client meets while the server is away or restarting."""


class OutageLog:
    def __init__(self, log: logging.Logger, what: str = "the message bus", every_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.what = what
        self.every_s = every_s
        self.clock = clock
        self.since: float | None = None
        self.attempts = 0
        self._next_line = 0.0
        self._other_errors: dict[str, float] = {}

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException | None = None) -> None:
        """An attempt to reach the bus failed: said when the outage starts and once every
        ``every_s`` while it lasts."""
        now, reason = self.clock(), _reason(exc)
        self.attempts += 1
        if self.since is None:
            self.since, self._next_line = now, now + self.every_s
            self.log.warning("%s is unreachable (%s); retrying quietly (a line a minute while it lasts)",
                             self.what, reason)
        elif now >= self._next_line:
            self._next_line = now + self.every_s
            self.log.warning("%s is still unreachable after %.0f s (%d failed attempts; last: %s)", self.what,
                             now - self.since, self.attempts, reason)

    def recovered(self) -> None:
        if self.since is not None:
            self.log.warning("%s is back after %.1f s (%d failed attempts)", self.what, self.clock() - self.since,
                             self.attempts)
        self.since, self.attempts = None, 0

    async def on_error(self, exc: Exception) -> None:
        """nats-py's ``error_cb``: an outage, or another asynchronous error (a permission
        refused, a slow consumer), said once a minute per kind."""
        if isinstance(exc, OUTAGE_ERRORS):
            self.failed(exc)
            return
        kind, now = f"{type(exc).__name__}: {first_line(exc)}", self.clock()
        if now >= self._other_errors.get(kind, 0.0):
            self._other_errors[kind] = now + self.every_s
            self.log.warning("bus error: %s", kind)

    async def on_disconnected(self) -> None:
        """nats-py's ``disconnected_cb``: the attempts to reconnect say whether it is an outage."""

    async def on_reconnected(self) -> None:
        self.recovered()

    def callbacks(self) -> dict[str, object]:
        """Keyword arguments of ``nats.connect`` and ``NatsBroker``."""
        return {"error_cb": self.on_error, "disconnected_cb": self.on_disconnected,
                "reconnected_cb": self.on_reconnected}


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "disconnected"
    return f"{type(exc).__name__}: {first_line(exc)}" if str(exc) else type(exc).__name__
