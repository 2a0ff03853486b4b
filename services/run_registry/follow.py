"""The live projection: a durable pull consumer over the whole log, batches applied in one
transaction each. At start the consumer is placed at the read model's own checkpoint + 1, so a
restored or rebuilt database catches up from exactly where it stands.

A batch the database cannot take for want of space is held, unacknowledged, and applied again
until it can (the queries keep answering from what is there); a bus outage is waited out. Each
is said once while it lasts, not per attempt."""

import asyncio
import contextlib
import logging

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError

from contracts import subjects
from runtime.bus import not_ready, patiently
from runtime.outage import OUTAGE_ERRORS, OutageLog
from runtime.storage import Storage, no_space_cause
from services.run_registry import metrics
from services.run_registry.position import Position

log = logging.getLogger("run_registry.follow")
FETCH_MORE_S = 0.005
"""How long the fetch after a linger waits when nothing came meanwhile."""


INACTIVE_S = 300.0
"""A registry's consumer is removed by the server this long after its registry stopped pulling."""


async def subscribe_from(js: JetStreamContext, start_seq: int):
    """A consumer of the whole log from ``start_seq`` for this registry alone: every replica
    projects every event into its own read model, so each has its own, named by the server and
    made again at the read model's checkpoint whenever the projection starts (nothing is
    acknowledged: where the projection stands is the checkpoint). The durable consumer of
    registries before replicas is removed."""
    try:
        await js.delete_consumer(subjects.STREAM_NAME, subjects.REGISTRY_DURABLE)
    except NotFoundError:
        pass
    config = ConsumerConfig(
        filter_subject=subjects.EVENTS_WILDCARD, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start_seq, ack_policy=AckPolicy.NONE, inactive_threshold=INACTIVE_S,
    )
    info = await js.add_consumer(subjects.STREAM_NAME, config)
    return await js.pull_subscribe_bind(stream=subjects.STREAM_NAME, name=info.name)


def apply_counting_once(writer, batch: list, position: Position):  # type: ignore[no-untyped-def]
    """Apply a batch; count runs and events in the metrics only past what this process has
    already counted (after a swap to an older file, catching up does not count twice)."""
    seen = [m for m in batch if m[0] <= position.counted_through]
    fresh = [m for m in batch if m[0] > position.counted_through]
    outcome = writer.apply_batch(seen) if seen else None
    if fresh:
        outcome = writer.apply_batch(fresh)
        metrics.EVENTS_APPLIED.inc(outcome.applied)
        metrics.RUNS_TOTAL.inc(outcome.runs_completed)
        metrics.DEAD_LETTERS.inc(outcome.dead_lettered + outcome.undecodable)
        metrics.UNDECODABLE.inc(outcome.undecodable)
        metrics.DUPLICATE_FINAL_FACTS.inc(len(outcome.duplicates))
        position.counted_through = fresh[-1][0]
    return outcome


async def apply_when_stored(writer, batch: list, position: Position, storage: Storage | None,  # type: ignore[no-untyped-def]
                            stop: asyncio.Event, max_wait_s: float = 5.0):
    """``apply_counting_once``, again and again while the database is out of space (the
    transaction of a failed try is rolled back); None when ``stop`` is set meanwhile."""
    delay = 0.25
    while True:
        try:
            outcome = apply_counting_once(writer, batch, position)
        except Exception as exc:
            if storage is None or no_space_cause(exc) is None:
                raise
            await storage.failed(exc, "the read model")
            if stop.is_set():
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_wait_s)
            continue
        if storage is not None:
            storage.stored()
        return outcome


async def gathered(sub, msgs: list, batch_size: int, linger_s: float, position: Position) -> list:  # type: ignore[no-untyped-def]
    """``msgs`` and the messages that come within ``linger_s`` (up to ``batch_size`` in all):
    a trickle of events is applied a few at a time, in one transaction, rather than one by one.
    A full batch, or a reader waiting for the read model to move (read-your-writes), is not
    held back."""
    if linger_s <= 0 or len(msgs) >= batch_size or position.readers_waiting:
        return msgs
    await position.until_a_reader_waits(linger_s)
    try:
        return msgs + await sub.fetch(batch_size - len(msgs), timeout=FETCH_MORE_S)
    except TimeoutError:
        return msgs


async def _still_there(js: JetStreamContext, sub, start_seq: int):  # type: ignore[no-untyped-def]
    """The consumer, or a new one from ``start_seq`` when it is gone: removed by the server (an
    outage longer than ``INACTIVE_S``), or not answering while the log does (it has one copy, on
    a node that is down). While the log does not answer either, the same one, asked again after
    the next failed fetch."""
    try:
        await sub.consumer_info()
        return sub
    except NotFoundError:
        log.info("the registry's consumer of the log was removed while it did not pull; following again from %d",
                 start_seq)
    except Exception as exc:  # noqa: BLE001 - its node may be down: a new consumer, if the log answers
        log.debug("the registry's consumer could not be checked (%s)", exc)
    return await _anew(js, sub, start_seq)


async def _anew(js: JetStreamContext, sub, start_seq: int):  # type: ignore[no-untyped-def]
    """A new consumer from ``start_seq`` in place of ``sub``; ``sub`` itself while the log does not answer."""
    try:
        fresh = await subscribe_from(js, start_seq)
    except Exception as exc:
        if not not_ready(exc):
            raise
        return sub
    log.info("the registry follows the log again from %d on a new consumer", start_seq)
    with contextlib.suppress(Exception):
        await sub.unsubscribe()
    return fresh


def delivered_in_order(msgs: list, after: int) -> list:
    """The messages up to the first delivery missing: the consumer numbers its deliveries, and
    with nothing acknowledged, what the server sent while the connection was away is lost (the
    projection follows again from its checkpoint on a new consumer)."""
    kept: list = []
    for msg in msgs:
        if msg.metadata.sequence.consumer != after + len(kept) + 1:
            break
        kept.append(msg)
    return kept


async def _first_subscribed(js: JetStreamContext, start_seq: int, outage: OutageLog):  # type: ignore[no-untyped-def]
    """``subscribe_from`` and how much is pending, tried again quietly with backoff while the bus
    or a cluster still electing its leaders does not answer (the projection never dies at start)."""
    async def subscribed():  # type: ignore[no-untyped-def]
        sub = await subscribe_from(js, start_seq)
        return sub, (await sub.consumer_info()).num_pending

    return await patiently(subscribed, "the registry's consumer of the log", outage=outage)


async def follow(js: JetStreamContext, writer, position: Position, *, batch_size: int = 500,  # type: ignore[no-untyped-def]
                 fetch_timeout: float = 1.0, linger_s: float = 0.0, stop: asyncio.Event | None = None,
                 storage: Storage | None = None, outage: OutageLog | None = None) -> None:
    """Apply the log to the read models until ``stop`` is set, gathering each batch for up to
    ``linger_s`` (``gathered``)."""
    stop = stop or asyncio.Event()
    outage = outage or OutageLog(log)
    sub, pending = await _first_subscribed(js, writer.last_seq() + 1, outage)
    delivered = 0  # the consumer's sequence of the last message applied
    await position.advance(writer.last_seq(), pending)
    while not stop.is_set():
        try:
            msgs = await sub.fetch(batch_size, timeout=fetch_timeout)
        except TimeoutError:
            continue
        except (*OUTAGE_ERRORS, APIError) as exc:  # the latter: no consumer answers the pull, its leader moved
            outage.failed(exc)
            await asyncio.sleep(1.0)
            sub, was = await _still_there(js, sub, writer.last_seq() + 1), sub
            delivered = 0 if sub is not was else delivered
            continue
        if not msgs:
            continue
        try:
            msgs = await gathered(sub, msgs, batch_size, linger_s, position)
        except (*OUTAGE_ERRORS, APIError) as exc:  # what was fetched is applied all the same
            outage.failed(exc)
        in_order = delivered_in_order(msgs, delivered)
        if in_order:
            batch = [(m.metadata.sequence.stream, m.subject, m.data) for m in in_order]
            outcome = await apply_when_stored(writer, batch, position, storage, stop)
            if outcome is None:
                break
            delivered = in_order[-1].metadata.sequence.consumer
            pending = in_order[-1].metadata.num_pending
            metrics.PROJECTION_LAG.set(pending)
            metrics.LAST_SEQ.set(outcome.last_seq)
            await position.advance(outcome.last_seq, pending)
        if len(in_order) < len(msgs):
            log.warning("the registry's consumer skipped deliveries after %d (lost while the bus was away); "
                        "following the log again from %d", delivered, writer.last_seq() + 1)
            sub, was = await _anew(js, sub, writer.last_seq() + 1), sub
            delivered = 0 if sub is not was else delivered
    await sub.unsubscribe()
