"""Every service says how its writes fare every few seconds, on core NATS (not stored: the
report gets through while the disk is full); the gateway (``/healthz``) and the registry
(``/registry/status``) keep the last report of each."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter
from pydantic import ValidationError

from contracts import subjects
from contracts.storage import StorageStatus
from runtime.bus import is_connected
from runtime.storage import Storage

log = logging.getLogger("runtime.storage_report")
EVERY_S = 5.0
STALE_S = 30.0
"""A report older than this is no longer shown: its service stopped reporting."""
UNREADABLE_REPORTS = Counter("scpln_storage_reports_unreadable_total",
                             "Messages on a storage report subject that were no report (logged and dropped).")


@dataclass(frozen=True)
class Unreadable:
    """What came on a storage report subject instead of a report."""

    data: bytes


def read_report(data: bytes) -> StorageStatus | Unreadable:
    try:
        return StorageStatus.model_validate_json(data)
    except ValidationError:
        return Unreadable(data)


def decoded(message) -> StorageStatus | Unreadable:  # type: ignore[no-untyped-def]
    """The storage report subscriber's decoder (``decoder=decoded``): the report, or ``Unreadable``
    for the handler to log and count (faststream would otherwise drop it silently)."""
    return read_report(message.body)


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

    def heard(self, report: StorageStatus | Unreadable | bytes) -> None:
        if isinstance(report, bytes):
            report = read_report(report)
        if isinstance(report, Unreadable):
            UNREADABLE_REPORTS.inc()
            log.warning("a storage report that is not one: %r", report.data[:200])
            return
        self._heard[report.service] = (report, self._clock())

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
    """A faststream subscriber typed by the contract:
    ``broker.subscriber(STORAGE_STATUS_ALL, decoder=decoded)(listener(board))``. A report that is
    not one is logged and counted by ``board``, never a reply."""

    async def on_storage_report(report: StorageStatus | Unreadable) -> None:
        board.heard(report)

    return on_storage_report
