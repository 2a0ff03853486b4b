"""Whether this service can store what it must: the free space of its data directory and how
its writes fare (the event log, the object store, its own database).

nats-server answers a message it cannot store for want of space with no reply at all (the
publish times out) or, for the object store, a 500 naming "no space left on device"; it then
refuses every write to that stream, also once space is back, until it is restarted (``scpln
up`` does that: ``scpln.supervisor``). So a service

- refuses new work before accepting it (``refusal``, a ``storage_full`` reply: HTTP 507 naming
  the cause) while its data directory has less free space than the reserve
  (``SCPLN_DISK_RESERVE_MB``: what is left is for work already accepted), and for a few
  seconds after a write failed for want of space;
- finishes work already accepted, however long it waits (``runtime.patience``);
- reports how its writes fare (``report``: ``/healthz``, ``/registry/status``) and exports
  its free space as a metric (``data_dir_free_bytes``; alert in ``deploy/alerts.yml``).
"""

import asyncio
import errno
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from nats import errors as nats_errors
from nats.js import errors as js_errors
from prometheus_client import Counter, Gauge

from contracts.commands import ErrorReply
from contracts.storage import StorageStatus, megabytes
from runtime import nats_server
from runtime.logs import first_line

log = logging.getLogger("runtime.storage")

FREE_BYTES = Gauge("data_dir_free_bytes", "Free space of the service's data directory (the event log's disk under scpln up).")
RESERVE_BYTES = Gauge("data_dir_reserve_bytes", "Below this much free space new work is refused (SCPLN_DISK_RESERVE_MB).")
WRITES_FAILING = Gauge("storage_writes_failing", "1 while the service's writes (event log, object store, database) fail.")
WRITE_FAILURES = Counter("storage_write_failures_total", "Writes that failed, by cause (no_space, unconfirmed).", ["cause"])

NO_SPACE_WORDS = ("no space left on device", "insufficient storage", "insufficient resources", "resource limits exceeded",
                  "database or disk is full", "disk quota exceeded", "maximum bytes exceeded")
NO_SPACE_CODES = frozenset({10047, 10023})
"""JetStream's "insufficient storage resources available" and "insufficient resources"."""
UNCONFIRMED = (TimeoutError, nats_errors.NoRespondersError, js_errors.NoStreamResponseError,
               js_errors.ServiceUnavailableError)
"""A write the server did not confirm: how nats-server answers a message it cannot store."""
REFUSE_AFTER_FAILURE_S = 5.0
"""After a write failed for want of space, new work is refused at once for this long; then one
request may try again (the free space decides before that)."""


class StorageFull(Exception):
    """A write refused for want of space; the message names the cause, for a person."""


def no_space_cause(exc: BaseException) -> str | None:
    """The words of a failure for want of space (nats-server, SQLite, the OS), or None."""
    for error in _chain(exc):
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return first_line(error)
        text = getattr(error, "description", None) or str(error)
        if getattr(error, "err_code", None) in NO_SPACE_CODES or any(w in text.lower() for w in NO_SPACE_WORDS):
            return text.splitlines()[0][:300] if text else type(error).__name__
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


class Storage:
    def __init__(self, service: str, data_dir: Path, reserve_bytes: int, *, what: str = "the event log",
                 nats_monitor_url: str = "", clock: Callable[[], float] = time.time,
                 disk_usage: Callable[[Path], tuple[int, int, int]] = shutil.disk_usage) -> None:
        self.service, self.data_dir, self.reserve_bytes, self.what = service, data_dir, reserve_bytes, what
        self.nats_monitor_url = nats_monitor_url
        self._clock, self._disk_usage = clock, disk_usage
        self.failing_since: float | None = None
        self.short_of_space = False
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        RESERVE_BYTES.set(reserve_bytes)
        FREE_BYTES.set_function(lambda: self.space()[0])
        WRITES_FAILING.set_function(lambda: float(self.failing_since is not None))

    def space(self) -> tuple[int, int]:
        """(free, total) bytes of the data directory's file system; (-1, -1) when unknown."""
        try:
            _total, _used, free = self._disk_usage(self.data_dir)
        except OSError:
            return -1, -1
        return free, _total

    def refusal(self) -> ErrorReply | None:
        """Why new work is refused now (``storage_full``), or None."""
        free, _total = self.space()
        if 0 <= free < self.reserve_bytes:
            return ErrorReply(error="storage_full", message=(
                f"{self.what}'s disk is full: {megabytes(free)} free in {self.data_dir}, below the "
                f"{megabytes(self.reserve_bytes)} kept for work already accepted; new work is refused until space is "
                "freed"))
        if self.short_of_space and self._clock() - (self.last_error_at or 0.0) < REFUSE_AFTER_FAILURE_S:
            return ErrorReply(error="storage_full", message=(
                f"the disk is full: a write was refused ({self.last_error}); new work is refused until space is freed"))
        return None

    async def failed(self, exc: BaseException, what: str = "") -> StorageFull | None:
        """Record a write (to ``what``: the event log unless said) that failed; a ``StorageFull``
        naming the cause when it failed for want of space. A lost connection is the bus's
        outage, not the store's: not recorded."""
        what = what or self.what
        cause = no_space_cause(exc)
        if cause is None and not isinstance(exc, UNCONFIRMED):
            return None
        if cause is None:
            cause = await self._why_unconfirmed()
        now, text = self._clock(), cause or f"{type(exc).__name__}: {first_line(exc)} (no answer from {what})"
        if self.failing_since is None:
            self.failing_since = now
            log.warning("%s cannot be written: %s; new work is refused, work already accepted waits to be stored",
                        what, text)
        self.last_error, self.last_error_at, self.short_of_space = f"{what}: {text}", now, cause is not None
        WRITE_FAILURES.labels("no_space" if cause else "unconfirmed").inc()
        return StorageFull(self._full(cause, what)) if cause else None

    def stored(self) -> None:
        """A write succeeded: writes work (again)."""
        if self.failing_since is not None:
            log.warning("writes work again after %.0f s", self._clock() - self.failing_since)
        self.failing_since, self.short_of_space = None, False

    def report(self) -> StorageStatus:
        free, total = self.space()

        def at(t: float | None) -> datetime | None:
            return None if t is None else datetime.fromtimestamp(t, UTC)

        return StorageStatus(service=self.service, data_dir=str(self.data_dir), free_bytes=free, total_bytes=total,
                             reserve_bytes=self.reserve_bytes, writes_failing=self.failing_since is not None,
                             failing_since=at(self.failing_since), last_write_error=self.last_error,
                             last_write_error_at=at(self.last_error_at), reported_at=at(self._clock()))  # type: ignore[arg-type]

    def _full(self, cause: str, what: str = "") -> str:
        return (f"{what or self.what}'s disk is full: a write was refused ({cause}); new work is refused until space "
                "is freed")

    async def _why_unconfirmed(self) -> str | None:
        """A write the server did not answer: for want of space when the disk is short of the
        reserve, or when the server's own health says a stream cannot be written."""
        free, _total = self.space()
        if 0 <= free < self.reserve_bytes:
            return f"no answer, and {megabytes(free)} free in {self.data_dir}"
        if self.nats_monitor_url:
            return await asyncio.to_thread(nats_server.write_error, self.nats_monitor_url)
        return None


def for_service(service: str, settings, what: str = "the event log") -> Storage:  # type: ignore[no-untyped-def]
    """The storage of a service, from its ``CommonSettings``."""
    return Storage(service, settings.data_dir, int(settings.scpln_disk_reserve_mb * 2**20), what=what,
                   nats_monitor_url=settings.nats_monitor_url)


COMMAND_WRITE_TIMEOUT_S = 3.0
"""How long a command's write waits for the log's answer: less than the gateway waits for the
command's (5 s), so the reply says why (``storage_full``, ``unavailable``) instead of nothing."""
