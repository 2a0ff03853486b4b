"""Reading the event log from a sequence onwards, in batches, up to the position it had when
reading began: start-up folds, registry rebuilds and tests all read it this way.

An ordered push consumer delivers the log in sequence with flow control; messages are gathered
into batches so the reader applies them in large transactions.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subjects
from runtime.bus import last_stream_seq


class _Batches:
    """Collects delivered messages; signals when a batch is full or the end is reached."""

    def __init__(self, size: int, until: int) -> None:
        self.size, self.until = size, until
        self.pending: list[Msg] = []
        self.ready = asyncio.Event()
        self.finished = False

    async def on_message(self, msg: Msg) -> None:
        meta = msg.metadata
        if self.finished or meta.sequence.stream > self.until:
            self.finished = True
            self.ready.set()
            return
        self.pending.append(msg)
        if meta.sequence.stream >= self.until or meta.num_pending == 0:
            self.finished = True
        if self.finished or len(self.pending) >= self.size:
            self.ready.set()

    def take(self) -> list[Msg]:
        taken, self.pending = self.pending, []
        self.ready.clear()
        return taken


async def read_log(
    js: JetStreamContext, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,),
    start_seq: int = 1, until_seq: int | None = None, batch: int = 1000, idle_s: float = 0.05,
) -> AsyncIterator[list[Msg]]:
    """Yield batches of messages with stream sequence in [start_seq, until_seq].

    ``until_seq`` defaults to the stream's last sequence when reading starts, so the
    iteration ends even while new events keep arriving.
    """
    until = until_seq if until_seq is not None else await last_stream_seq(js)
    if until < start_seq:
        return
    batches = _Batches(batch, until)
    config = ConsumerConfig(filter_subjects=list(filter_subjects), deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                            opt_start_seq=max(start_seq, 1))
    sub = await js.subscribe("", stream=subjects.STREAM_NAME, config=config, ordered_consumer=True,
                             cb=batches.on_message, pending_msgs_limit=batch * 20,
                             pending_bytes_limit=512 * 1024 * 1024)
    try:
        if (await sub.consumer_info()).num_pending == 0 and not batches.pending:
            await asyncio.sleep(0)
            if not batches.pending:
                return
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(batches.ready.wait(), idle_s)
            if batches.pending:
                yield batches.take()
            if batches.finished and not batches.pending:
                return
    finally:
        with contextlib.suppress(nats.errors.ConnectionClosedError, nats.errors.BadSubscriptionError):
            await sub.unsubscribe()
