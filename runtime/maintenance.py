"""Maintenance mode, the fallback runbook's "show a notice banner and restrict new plan
registration until recovery is complete": the fold of ``MaintenanceStarted`` /
``MaintenanceEnded``.

plan_service folds it from its own events and refuses new plans and reruns while it is on;
the gateway follows it live (``runtime.follow``) to show the banner on every page without a
request per page; ``scpln maintenance status`` folds it once.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from contracts import subjects
from contracts.commands import ErrorReply, MaintenanceStatus
from contracts.events import MaintenanceEnded, MaintenanceStarted, UnknownEvent, decode
from runtime.follow import fold_once
from runtime.follow import follow as follow_subject

log = logging.getLogger("runtime.maintenance")


@dataclass
class Maintenance:
    """Maintenance mode as the log left it; ``last_seq`` is the stream sequence of the last
    maintenance fact applied (0: none, or not known to this fold)."""

    on: bool = False
    message: str = ""
    since: datetime | None = None
    by: str = ""
    last_seq: int = 0

    def apply(self, event: object, seq: int = 0) -> None:
        """Fold one event (others are ignored). Started again while on changes the message
        and keeps ``since``; ended while off changes nothing."""
        self.last_seq = max(self.last_seq, seq)
        match event:
            case MaintenanceStarted():
                self.since = self.since if self.on else event.occurred_at
                self.on, self.message, self.by = True, event.message, event.by
            case MaintenanceEnded() if self.on:
                self.on, self.message, self.since, self.by = False, "", event.occurred_at, event.by

    def status(self, recorded_seq: int | None = None) -> MaintenanceStatus:
        return MaintenanceStatus(on=self.on, message=self.message, since=self.since, by=self.by,
                                 recorded_seq=recorded_seq)

    def refusal(self, what: str) -> ErrorReply | None:
        """The refusal of ``what`` ("new plans") while maintenance is on; None while off."""
        if not self.on:
            return None
        return ErrorReply(error="maintenance", message=f"maintenance: {self.message} ({what} are paused until it "
                                                       "ends; everything can still be read)")


def apply_message(maintenance: Maintenance, msg: Msg) -> None:
    seq = msg.metadata.sequence.stream
    try:
        maintenance.apply(decode(msg.data, msg.subject), seq)
    except (UnknownEvent, ValueError) as exc:
        log.warning("maintenance message %d on %s is no maintenance event: %s", seq, msg.subject, exc)
        maintenance.last_seq = max(maintenance.last_seq, seq)


async def follow(js: JetStreamContext, maintenance: Maintenance, ready: asyncio.Event,
                 on_change: Callable[[], None] | None = None) -> None:
    """Fold the maintenance facts after ``maintenance.last_seq``, then follow new ones;
    ``on_change()`` after each."""

    def apply(msg: Msg) -> None:
        apply_message(maintenance, msg)
        if on_change is not None:
            on_change()

    await follow_subject(js, subjects.MAINTENANCE_EVENTS, apply, maintenance.last_seq, ready)


async def load(js: JetStreamContext, timeout: float = 10.0) -> Maintenance:
    """Maintenance mode as the log holds it now."""
    maintenance = Maintenance()
    await fold_once(js, subjects.MAINTENANCE_EVENTS, lambda msg: apply_message(maintenance, msg), timeout)
    return maintenance
