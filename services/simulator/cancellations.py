"""Jobs cancelled while queued, as the log says: the simulator follows the JobCancelled facts
(``runtime.follow``) and skips a cancelled job when it picks it up, without asking the registry."""

import asyncio
import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from contracts import subjects
from contracts.events import JobCancelled, decode
from runtime.follow import follow
from runtime.logs import first_line

log = logging.getLogger("simulator.cancellations")


class Cancellations:
    """The ids of the jobs the log says were cancelled; ``job_id in cancellations`` asks."""

    def __init__(self) -> None:
        self.job_ids: set[str] = set()
        self.position = 0
        """Stream sequence of the last cancellation folded in."""

    def __contains__(self, job_id: object) -> bool:
        return job_id in self.job_ids

    def fold(self, data: bytes, subject: str, seq: int) -> None:
        try:
            event = decode(data, subject)
        except ValueError as exc:
            log.warning("message %d on %s is no JobCancelled: %s", seq, subject, first_line(exc))
        else:
            if isinstance(event, JobCancelled):
                self.job_ids.add(event.job_id)
        self.position = max(self.position, seq)

    def fold_message(self, msg: Msg) -> None:
        self.fold(msg.data, msg.subject, msg.metadata.sequence.stream)


async def keep_following(js: JetStreamContext, cancellations: Cancellations, ready: asyncio.Event) -> None:
    """Fold every cancellation in the log, then each new one; ``ready`` once those stored at
    the start are in. Started again after a failure, from where it stands."""
    while True:
        try:
            await follow(js, subjects.JOB_CANCELLED, cancellations.fold_message, cancellations.position, ready)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the follower resumes where it stands
            log.warning("following cancellations stopped (%s); following again", first_line(exc))
            await asyncio.sleep(1.0)
