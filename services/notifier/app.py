"""notifier wiring: a durable pull consumer per webhook receiver (one event in flight each, so a
receiver gets the log's order; a failed delivery waits in the server, not here) and the status
query the operators' page asks, all on the service's one faststream broker and its one NATS
connection. Run with ``python -m services.notifier``; ``scpln up`` starts it."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

import httpx
from faststream import AckPolicy, FastStream
from faststream.nats import JStream, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.params import NoCast

from contracts import subjects
from contracts.notifications import NOTIFIER_DURABLES, WEBHOOK_EVENTS, NotifierStatus, NotifierStatusQuery
from runtime import bus, lifecycle
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.outage import OutageLog
from runtime.rpc import responder
from services.notifier import payload
from services.notifier.backoff import Backoff
from services.notifier.consumers import backlog, consumer_config, declare, watch_backlog
from services.notifier.delivery import Incoming, Outcome, Ports, Sender, deliver
from services.notifier.payload import redacted
from services.notifier.settings import Settings
from services.notifier.slots import Receiver

log = logging.getLogger("notifier")
Pending = Callable[[], Awaitable[dict[str, int | None]]]
"""Events each receiver's durable has not delivered yet (durable → count; None: unknown now)."""


class HttpSender:
    """POSTs with httpx; redirects are not followed (a receiver answers where it was asked)."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(follow_redirects=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        return (await self.client.post(url, content=body, headers=headers, timeout=timeout)).status_code

    async def close(self) -> None:
        await self.client.aclose()


def make_ports(settings: Settings, sender: Sender) -> Ports:
    backoff = Backoff(settings.notify_retry_base_s, settings.notify_retry_max_delay_s, settings.notify_give_up_after_s)
    return Ports(sender=sender, backoff=backoff, secret=settings.notify_webhook_secret, timeout_s=settings.notify_timeout_s)


def incoming(message: NatsMessage) -> Incoming:
    """A receiver's subscriber's decoder: the message's fact read by the contracts, its place in
    the log and which delivery of it this is (the consumer's count, kept across restarts)."""
    raw = message.raw_message
    metadata = raw.metadata
    return Incoming(raw.subject, payload.read(raw.data, raw.subject), metadata.sequence.stream, metadata.num_delivered)


async def settle(message: NatsMessage, outcome: Outcome) -> None:
    """Delivered or nothing to send: acknowledged; failed: delivered again after the backoff's wait;
    given up: terminated (the next event goes out)."""
    if outcome.kind == "retry":
        await message.nack(delay=outcome.delay)
    elif outcome.kind == "gave_up":
        await message.reject()
    else:
        await message.ack()


def deliverer(receiver: Receiver, ports: Ports) -> Callable[..., Awaitable[None]]:
    """The subscriber of ``receiver``'s durable: deliver, then settle the message as the outcome says."""

    async def on_webhook_event(event: NoCast[Incoming], message: NatsMessage) -> None:
        outcome = await deliver(event, receiver, ports)
        if outcome.kind != "delivered":
            log.warning("webhook %s: %s at seq %d (attempt %d): %s", redacted(receiver.url), outcome.kind,
                        event.sequence, event.attempt, outcome.error)
        await settle(message, outcome)

    return on_webhook_event


async def status(_query: NotifierStatusQuery, pending: Pending, ports: Ports, settings: Settings) -> NotifierStatus:
    return NotifierStatus(events=settings.events, signed=bool(ports.secret),
                          give_up_after_s=settings.notify_give_up_after_s,
                          receivers=ports.journal.with_backlog(await pending()), recent=list(ports.journal.recent)[:50])


def wire(broker, receivers: list[Receiver], ports: Ports, settings: Settings,  # type: ignore[no-untyped-def]
         pending: Pending) -> None:
    """Every subscription of the notifier (no I/O): the status query, and a pull subscriber bound
    to each receiver's durable (made beforehand: ``consumers.declare``), one message per fetch,
    settled by hand; each receiver counted in the journal."""
    handle = partial(status, pending=pending, ports=ports, settings=settings)
    broker.subscriber(subjects.QRY_NOTIFIER_STATUS, queue="notifier")(
        responder(NotifierStatusQuery, handle, reply=NotifierStatus))
    log_stream = JStream(subjects.STREAM_NAME, declare=False)
    for receiver in receivers:
        ports.journal.add_receiver(receiver.url, receiver.durable)
        broker.subscriber(
            stream=log_stream, durable=receiver.durable, config=consumer_config(receiver, settings),
            pull_sub=PullSub(batch_size=1, timeout=1.0), ack_policy=AckPolicy.MANUAL, no_reply=True, decoder=incoming,
            title=f"{receiver.durable}:webhooks", description=f"Events of the log POSTed one at a time, in log order, "
            f"to the webhook receiver {redacted(receiver.url)}.")(deliverer(receiver, ports))


class _NoSender:
    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        raise ConnectionRefusedError("the AsyncAPI document's broker sends nothing")


def asyncapi_broker():  # type: ignore[no-untyped-def]
    """The notifier's broker wired as ``main`` wires it (one placeholder receiver taking every
    webhook event), never connected: the AsyncAPI document is generated from it."""
    settings = Settings(nats_url="nats://127.0.0.1:4222", notify_webhook_urls="https://receiver.example/webhook",
                        notify_events=",".join(WEBHOOK_EVENTS))
    broker = bus.broker(settings.nats_url, OutageLog(log), name="notifier")
    receivers = [Receiver(url, NOTIFIER_DURABLES[0], fresh=False) for url in settings.receivers]
    ports = make_ports(settings, _NoSender())

    async def nothing_pending() -> dict[str, int | None]:
        return {}

    wire(broker, receivers, ports, settings, nothing_pending)
    return broker


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("notifier", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    broker = bus.broker(settings.nats_url, outage, name="notifier", graceful_timeout=settings.notify_timeout_s + 2)
    sender = HttpSender()
    ports = make_ports(settings, sender)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        nc = await bus.connect_broker(broker, outage, retry_max_s=settings.connect_retry_max_s)
        js = nc.jetstream()
        receivers = await declare(js, settings)
        if receivers and not ports.secret:
            log.warning("NOTIFY_WEBHOOK_SECRET is not set: deliveries carry no X-Scpln-Signature")
        wire(broker, receivers, ports, settings, partial(backlog, js, receivers))
        watcher = asyncio.create_task(watch_backlog(js, receivers))
        try:
            yield  # the app starts the broker's subscribers; on stop, the deliveries under way finish first
        finally:
            watcher.cancel()
            await sender.close()

    def ready() -> None:
        receivers = ", ".join(f"{r.receiver} as {r.durable}" for r in ports.journal.receivers.values()) or "none"
        log.info("notifier ready: %d receiver(s) (%s), events %s", len(ports.journal.receivers), receivers,
                 ",".join(settings.events))

    await lifecycle.serve(FastStream(broker, logger=None, lifespan=lifespan, after_startup=[ready]), stop)
