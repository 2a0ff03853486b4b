"""notifier wiring: a durable pull consumer per webhook receiver (one event in flight each, so a
receiver gets the log's order; a failed delivery waits in the server, not here) and the status
query the operators' page asks. Run with ``python -m services.notifier``; ``scpln up`` starts it."""

import asyncio
import contextlib
import logging
from functools import partial

import httpx
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts import subjects
from contracts.notifications import NOTIFIER_DURABLES, WEBHOOK_EVENTS, NotifierStatus, NotifierStatusQuery
from runtime import bus
from runtime.lifecycle import wait_for_shutdown
from runtime.logs import first_line, setup_logging
from runtime.metrics import serve_metrics
from runtime.outage import OutageLog
from runtime.rpc import responder
from services.notifier.backoff import Backoff
from services.notifier.delivery import Incoming, Outcome, Ports, deliver
from services.notifier.metrics import BACKLOG
from services.notifier.payload import redacted
from services.notifier.settings import Settings
from services.notifier.slots import Receiver, assign, mark

log = logging.getLogger("notifier")
STREAM = subjects.STREAM_NAME


class HttpSender:
    """POSTs with httpx; redirects are not followed (a receiver answers where it was asked)."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(follow_redirects=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        return (await self.client.post(url, content=body, headers=headers, timeout=timeout)).status_code


def consumer_config(receiver: Receiver, settings: Settings) -> ConsumerConfig:
    """One event in flight (max_ack_pending 1), redelivered only when the notifier asks (naks with a
    delay) or when it stopped mid-delivery (ack_wait); never dropped by the server (max_deliver -1)."""
    return ConsumerConfig(
        name=receiver.durable, durable_name=receiver.durable, description=mark(receiver.url),
        filter_subjects=[WEBHOOK_EVENTS[name] for name in settings.events], deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT, max_ack_pending=1, max_deliver=-1, ack_wait=settings.notify_timeout_s + 5)


async def held_durables(js: JetStreamContext) -> dict[str, str | None]:
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


async def settle(msg, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
    if outcome.kind == "retry":
        await msg.nak(delay=outcome.delay)
    elif outcome.kind == "gave_up":
        await msg.term()
    else:
        await msg.ack()


async def follow(js: JetStreamContext, receiver: Receiver, ports: Ports, stopping: asyncio.Event | None = None) -> None:
    """Deliver the receiver's events one at a time, in log order, until ``stopping``: the delivery
    under way is finished first, so no event waits out its ack_wait when the notifier restarts."""
    stopping = stopping or asyncio.Event()
    while not stopping.is_set():
        try:
            sub = await js.pull_subscribe_bind(receiver.durable, stream=STREAM)
            try:
                while not stopping.is_set():
                    await deliver_next(sub, receiver, ports)
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()  # else draining the connection waits for it
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the bus faltered: bind again
            log.warning("webhook %s: following its events stopped (%s); resuming", redacted(receiver.url),
                        first_line(exc))
            await asyncio.sleep(1.0)


async def deliver_next(sub, receiver: Receiver, ports: Ports) -> None:  # type: ignore[no-untyped-def]
    try:
        msgs = await sub.fetch(1, timeout=1)
    except (TimeoutError, NatsTimeout):
        return
    for msg in msgs:
        metadata = msg.metadata
        incoming = Incoming(msg.subject, msg.data, metadata.sequence.stream, metadata.num_delivered)
        outcome = await deliver(incoming, receiver, ports)
        if outcome.kind in ("retry", "gave_up"):
            log.warning("webhook %s: %s at seq %d (attempt %d): %s", redacted(receiver.url), outcome.kind,
                        incoming.sequence, incoming.attempt, outcome.error)
        await settle(msg, outcome)


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


async def status(_query: NotifierStatusQuery, js: JetStreamContext, receivers: list[Receiver], ports: Ports,
                 settings: Settings) -> NotifierStatus:
    return NotifierStatus(events=settings.events, signed=bool(ports.secret),
                          give_up_after_s=settings.notify_give_up_after_s,
                          receivers=ports.journal.with_backlog(await backlog(js, receivers)),
                          recent=list(ports.journal.recent)[:50])


async def watch_backlog(js: JetStreamContext, receivers: list[Receiver], every_s: float = 15.0) -> None:
    while True:
        await backlog(js, receivers)
        await asyncio.sleep(every_s)


def make_ports(settings: Settings) -> Ports:
    backoff = Backoff(settings.notify_retry_base_s, settings.notify_retry_max_delay_s, settings.notify_give_up_after_s)
    return Ports(sender=HttpSender(), backoff=backoff, secret=settings.notify_webhook_secret,
                 timeout_s=settings.notify_timeout_s)


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("notifier", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    nc = await bus.connect(settings.nats_url, "notifier", retry_max_s=settings.connect_retry_max_s, outage=outage)
    js = nc.jetstream()
    await bus.wait_for_stream(js)
    receivers = assign(settings.receivers, await bus.patiently(partial(held_durables, js), "reading the durables"))
    ports = make_ports(settings)
    for receiver in receivers:
        await bus.patiently(partial(ensure_durable, js, receiver, settings), f"declaring {receiver.durable}")
        ports.journal.add_receiver(receiver.url, receiver.durable)
    if receivers and not ports.secret:
        log.warning("NOTIFY_WEBHOOK_SECRET is not set: deliveries carry no X-Scpln-Signature")
    broker = bus.broker(settings.nats_url, outage)
    handle = partial(status, js=js, receivers=receivers, ports=ports, settings=settings)
    broker.subscriber(subjects.QRY_NOTIFIER_STATUS, queue="notifier")(responder(NotifierStatusQuery, handle))
    await broker.start()
    stopping = asyncio.Event()
    followers = [asyncio.create_task(follow(js, receiver, ports, stopping)) for receiver in receivers]
    watcher = asyncio.create_task(watch_backlog(js, receivers))
    log.info("notifier ready: %d receiver(s) (%s), events %s", len(receivers),
             ", ".join(f"{redacted(r.url)} as {r.durable}" for r in receivers) or "none", ",".join(settings.events))
    await wait_for_shutdown(stop)
    stopping.set()
    watcher.cancel()
    if followers:
        _done, unfinished = await asyncio.wait(followers, timeout=settings.notify_timeout_s + 2)
        for task in unfinished:
            task.cancel()
    await asyncio.gather(watcher, *followers, return_exceptions=True)
    await broker.stop()
    await ports.sender.client.aclose()  # type: ignore[attr-defined]
    await nc.drain()
