"""The receivers' durable consumers on the event log, made and asked through the notifier's one
connection (JetStream's consumer API, which faststream does not wrap): which receiver each one
served, made again or brought up to date at start, and how many events each has not delivered."""

import asyncio
import contextlib
from functools import partial

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts import subjects
from contracts.notifications import NOTIFIER_DURABLES, WEBHOOK_EVENTS
from runtime import bus
from services.notifier.metrics import BACKLOG
from services.notifier.settings import Settings
from services.notifier.slots import Receiver, assign, mark

STREAM = subjects.STREAM_NAME


def consumer_config(receiver: Receiver, settings: Settings) -> ConsumerConfig:
    """One event in flight (max_ack_pending 1), redelivered only when the notifier asks (naks with a
    delay) or when it stopped mid-delivery (ack_wait); never dropped by the server (max_deliver -1)."""
    return ConsumerConfig(
        name=receiver.durable, durable_name=receiver.durable, description=mark(receiver.url),
        filter_subjects=[WEBHOOK_EVENTS[name] for name in settings.events], deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT, max_ack_pending=1, max_deliver=-1, ack_wait=settings.notify_timeout_s + 5)


async def held_durables(js: JetStreamContext) -> dict[str, str | None]:
    """Durable → the receiver it serves (its description; None: there is no such durable)."""
    held: dict[str, str | None] = {}
    for durable in NOTIFIER_DURABLES:
        try:
            held[durable] = (await js.consumer_info(STREAM, durable)).config.description or ""
        except NotFoundError:
            held[durable] = None
    return held


async def ensure_durable(js: JetStreamContext, receiver: Receiver, settings: Settings) -> None:
    """Create the receiver's durable (a fresh one starts from now), or bring its events up to date."""
    if receiver.fresh:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(STREAM, receiver.durable)
    await js.add_consumer(STREAM, consumer_config(receiver, settings))


async def backlog(js: JetStreamContext, receivers: list[Receiver]) -> dict[str, int | None]:
    """Events each receiver has not acknowledged yet (waiting, or in flight)."""
    pending: dict[str, int | None] = {}
    for receiver in receivers:
        try:
            info = await js.consumer_info(STREAM, receiver.durable)
            pending[receiver.durable] = info.num_pending + info.num_ack_pending
            BACKLOG.labels(receiver.durable).set(pending[receiver.durable])  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - unknown for now
            pending[receiver.durable] = None
    return pending


async def watch_backlog(js: JetStreamContext, receivers: list[Receiver], every_s: float = 15.0) -> None:
    while True:
        await backlog(js, receivers)
        await asyncio.sleep(every_s)


async def declare(js: JetStreamContext, settings: Settings) -> list[Receiver]:
    """The receivers of ``NOTIFY_WEBHOOK_URLS`` with their durables made (once the event log is
    declared, waiting out a JetStream cluster still electing its leaders)."""
    await bus.wait_for_stream(js)
    receivers = assign(settings.receivers, await bus.patiently(partial(held_durables, js), "reading the durables"))
    for receiver in receivers:
        await bus.patiently(partial(ensure_durable, js, receiver, settings), f"declaring {receiver.durable}")
    return receivers
