"""Reading the event log from a sequence onwards, in batches, up to the position it had when
reading began: start-up folds, registry catch-up and rebuilds all read it this way."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import subjects
from runtime.bus import last_stream_seq


async def read_log(
    js: JetStreamContext, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,),
    start_seq: int = 1, until_seq: int | None = None, batch: int = 1000, fetch_timeout: float = 2.0,
) -> AsyncIterator[list[Msg]]:
    """Yield batches of messages with stream sequence in [start_seq, until_seq].

    ``until_seq`` defaults to the stream's last sequence when reading starts, so the
    iteration ends even while new events keep arriving.
    """
    until = until_seq if until_seq is not None else await last_stream_seq(js)
    if until < start_seq:
        return
    config = ConsumerConfig(
        filter_subjects=list(filter_subjects), ack_policy=AckPolicy.NONE, inactive_threshold=30.0,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=max(start_seq, 1),
        max_ack_pending=-1, mem_storage=True, num_replicas=1,
    )
    sub = await js.pull_subscribe("", stream=subjects.STREAM_NAME, config=config)
    try:
        if (await sub.consumer_info()).num_pending == 0:
            return
        while True:
            try:
                msgs = await sub.fetch(batch, timeout=fetch_timeout)
            except asyncio.TimeoutError:
                if (await sub.consumer_info()).num_pending == 0:
                    return
                continue
            inside = [m for m in msgs if m.metadata.sequence.stream <= until]
            if inside:
                yield inside
            last = msgs[-1].metadata
            if last.sequence.stream >= until or last.num_pending == 0:
                return
    finally:
        with contextlib.suppress(nats.errors.ConnectionClosedError):
            await sub.unsubscribe()
