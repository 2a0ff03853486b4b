"""Every service says how its writes fare every few seconds, on core NATS (not stored: the
report gets through while the disk is full); the gateway (``/healthz``) and the registry
(``/registry/status``) keep the last report of each."""

import asyncio
import logging
import time
from collections.abc import Callable

from pydantic import ValidationError

from contracts import subjects
from contracts.storage import StorageStatus
from runtime.bus import is_connected
from runtime.storage import Storage

log = logging.getLogger("runtime.storage_report")
EVERY_S = 5.0
STALE_S = 30.0
"""A report older than this is no longer shown: its service stopped reporting."""


def reporter(broker, service: str):  # type: ignore[no-untyped-def]
    """The service's publisher of its storage reports (core NATS, on ``storage_status(service)``)."""
    return broker.publisher(subjects.storage_status(service), title=f"StorageStatus of {service}",
                            description=(StorageStatus.__doc__ or "").strip(), schema=StorageStatus)


async def announce(broker, storage: Storage, every_s: float = EVERY_S, publisher=None) -> None:  # type: ignore[no-untyped-def]
    """Report ``storage`` every ``every_s`` seconds until cancelled, through ``publisher``
    (``reporter``; made here when not given), not while the bus is away: its outage is said by
    the connection."""
    publisher = publisher or reporter(broker, storage.service)
    while True:
        if is_connected(broker):
            try:
                await publisher.publish(storage.report().model_dump_json().encode())
            except Exception:  # noqa: BLE001, S110 - the next report tries again
                pass
        await asyncio.sleep(every_s)


class StorageBoard:
    """``own``'s report and the last one heard from each other service."""

    def __init__(self, own: Storage | None = None, stale_s: float = STALE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.own = own
        self.stale_s = stale_s
        self._clock = clock
        self._heard: dict[str, tuple[StorageStatus, float]] = {}

    def heard(self, data: bytes) -> None:
        try:
            status = StorageStatus.model_validate_json(data)
        except ValidationError:
            log.warning("a storage report that is not one: %r", data[:200])
            return
        self._heard[status.service] = (status, self._clock())

    def statuses(self) -> list[StorageStatus]:
        now = self._clock()
        mine = [self.own.report()] if self.own else []
        others = [status for service, (status, at) in sorted(self._heard.items())
                  if now - at <= self.stale_s and not (self.own and service == self.own.service)]
        return mine + others

    def trouble(self) -> list[str]:
        """What is wrong with storage anywhere, one line per service; empty when nothing is."""
        return [line for status in self.statuses() if (line := status.trouble())]


def listener(board: StorageBoard):  # type: ignore[no-untyped-def]
    """A faststream subscriber: ``broker.subscriber(STORAGE_STATUS_ALL)(listener(board))``. The
    body is read by ``board`` itself: a report that is not one is logged, never a reply."""

    async def on_storage_report(report: bytes) -> None:
        board.heard(report)

    return on_storage_report
