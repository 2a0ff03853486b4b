"""The live projection: a durable pull consumer over the whole log, batches applied in one
transaction each. At start the consumer is placed at the read model's own checkpoint + 1, so a
restored or rebuilt database catches up from exactly where it stands."""

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts import subjects
from services.run_registry import metrics
from services.run_registry.position import Position

log = logging.getLogger("run_registry.follow")


async def subscribe_from(js: JetStreamContext, start_seq: int, durable: str = subjects.REGISTRY_DURABLE):
    """(Re)create the registry's durable consumer at ``start_seq``."""
    try:
        await js.delete_consumer(subjects.STREAM_NAME, durable)
    except NotFoundError:
        pass
    config = ConsumerConfig(
        durable_name=durable, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start_seq,
        ack_policy=AckPolicy.ALL, ack_wait=60, max_ack_pending=-1,
    )
    return await js.pull_subscribe(subjects.EVENTS_WILDCARD, durable=durable, stream=subjects.STREAM_NAME, config=config)


async def follow(js: JetStreamContext, writer, position: Position, *, batch_size: int = 500,  # type: ignore[no-untyped-def]
                 fetch_timeout: float = 1.0, stop: asyncio.Event | None = None) -> None:
    """Apply the log to the read models until ``stop`` is set."""
    stop = stop or asyncio.Event()
    sub = await subscribe_from(js, writer.last_seq() + 1)
    await position.advance(writer.last_seq(), (await sub.consumer_info()).num_pending)
    while not stop.is_set():
        try:
            msgs = await sub.fetch(batch_size, timeout=fetch_timeout)
        except asyncio.TimeoutError:
            continue
        batch = [(m.metadata.sequence.stream, m.subject, m.data) for m in msgs]
        outcome = writer.apply_batch(batch)
        await msgs[-1].ack()
        metrics.EVENTS_APPLIED.inc(outcome.applied)
        metrics.RUNS_TOTAL.inc(outcome.runs_completed)
        metrics.DEAD_LETTERS.inc(outcome.dead_lettered)
        pending = msgs[-1].metadata.num_pending
        metrics.PROJECTION_LAG.set(pending)
        metrics.LAST_SEQ.set(outcome.last_seq)
        await position.advance(outcome.last_seq, pending)
    await sub.unsubscribe()
