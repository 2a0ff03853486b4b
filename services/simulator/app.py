"""simulator wiring: shared durable pull consumers (a work queue) feeding ``simulate_plan``."""

import asyncio
import logging
from functools import partial

from faststream.exceptions import NackMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import ErrorReply, parse_reply
from contracts.events import JobType, PlanCreated, RunRequested, UnknownEvent, decode
from contracts.legacy import LEGACY_PRODUCER
from runtime import bus
from runtime.deadlines import Deadlines, watch_deadlines
from runtime.lifecycle import wait_for_shutdown
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.objects import NatsObjectStore
from runtime.outage import OutageLog
from runtime.patience import PatientObjects, PatientPublisher
from runtime.publisher import JetStreamPublisher
from runtime.storage import for_service
from runtime.storage_report import announce
from runtime.work_queue import held
from services.simulator.cancellations import Cancellations, keep_following
from services.simulator.handlers import BUS_FAILURES, simulate_plan
from services.simulator.metrics import POISON_MESSAGES
from services.simulator.ports import PRODUCER, Ports
from services.simulator.settings import Settings

log = logging.getLogger("simulator")


async def on_trigger(body: bytes, subject: str, ports: Ports, delivery: int = 1, max_deliver: int = 1) -> None:
    """Decode the trigger and simulate; an undecodable message is logged and acked (never
    stalls). When the bus does not answer, the trigger is delivered again a little later, up
    to ``max_deliver`` times; the last time the run fails with the reason."""
    try:
        trigger = decode(body, subject)
    except (ValidationError, UnknownEvent, ValueError) as exc:
        POISON_MESSAGES.inc()
        log.error("dropping undecodable trigger on %s: %s", subject, exc)
        return
    if not isinstance(trigger, PlanCreated | RunRequested):
        POISON_MESSAGES.inc()
        log.error("dropping a %s on %s: it triggers no simulation", trigger.event_type, subject)
        return
    if trigger.producer == LEGACY_PRODUCER:
        log.debug("not simulating %s: imported from the original scpln, its runs are imported", trigger.plan_version_id)
        return
    last = delivery >= max_deliver
    try:
        await simulate_plan(trigger, ports, last_attempt=last)
    except BUS_FAILURES as exc:
        if last:
            log.error("trigger on %s dropped: the bus did not answer on %d deliveries (%s)", subject, delivery, exc)
            return
        wait = min(2.0**delivery, 30.0)
        log.warning("the bus did not answer (%s: %s); trigger on %s delivered again in %.0f s (%d of %d)",
                    type(exc).__name__, exc, subject, wait, delivery + 1, max_deliver)
        raise NackMessage(delay=wait) from exc


def trigger_handler(ports: Ports, durable: str, max_deliver: int, ack_wait_s: float = 60.0):  # type: ignore[no-untyped-def]
    """Each trigger of a fetch is worked on in its own task (``subscribe``): while the writes
    of a fetch's runs wait for space or for the bus (``runtime.patience``), nothing more is
    pulled, and each trigger stays unacknowledged until its run is stored."""

    async def handler(message: NatsMessage) -> None:  # type: ignore[valid-type]
        raw = message.raw_message  # type: ignore[attr-defined]
        async with held(raw, ack_wait_s / 3):
            await on_trigger(message.body, raw.subject, ports, raw.metadata.num_delivered, max_deliver)  # type: ignore[attr-defined]

    handler.__name__ = f"simulate_{durable}"
    return handler


async def ask_registry(nc, subject: str, request, reply):  # type: ignore[no-untyped-def]
    try:
        answer = await nc.request(subject, request.model_dump_json().encode(), timeout=5)
    except (TimeoutError, NoRespondersError, NatsTimeout):
        return ErrorReply(error="unavailable", message="the run registry does not answer")
    return parse_reply(answer.data, reply)


async def start_following(js, cancellations: Cancellations, wait_s: float = 10.0) -> asyncio.Task:  # type: ignore[no-untyped-def]
    """Follow the cancellations; the triggers are taken once those stored already are known."""
    ready = asyncio.Event()
    following = asyncio.create_task(keep_following(js, cancellations, ready))
    try:
        await asyncio.wait_for(ready.wait(), wait_s)
    except TimeoutError:
        log.warning("the cancellations in the log were not all read within %.0f s; taking work all the same", wait_s)
    return following


async def declare_durables(js, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """The trigger durables, made here when there are none (before the subscribers bind to them).
    One made before facts about a plan carried its id filters on the bare type subject: it is
    given both filters (``subjects.of_type``), so neither old nor new triggers are missed."""
    for subject, durable in subjects.SIMULATOR_DURABLES.items():
        wanted = list(subjects.of_type(subject))
        try:
            info = await js.consumer_info(subjects.STREAM_NAME, durable)
        except NotFoundError:
            await js.add_consumer(subjects.STREAM_NAME, trigger_consumer(settings, subject, durable))
            continue
        config = info.config
        if sorted(config.filter_subjects or [config.filter_subject or ""]) != sorted(wanted):
            config.filter_subject, config.filter_subjects = None, wanted
            await js.add_consumer(subjects.STREAM_NAME, config)
            log.info("trigger consumer %s now filters %s", durable, ", ".join(wanted))


def trigger_consumer(settings: Settings, subject: str, durable: str) -> ConsumerConfig:
    """The durable simulators share over one trigger type (both its subjects, ``subjects.of_type``)."""
    filters = subjects.of_type(subject)
    return ConsumerConfig(name=durable, durable_name=durable, ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver,
                          ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                          filter_subject=None if len(filters) > 1 else filters[0],
                          filter_subjects=list(filters) if len(filters) > 1 else None)


def deadlines(settings: Settings) -> Deadlines:
    """The simulator owns simulation jobs: how long one may go without progress."""
    return Deadlines("the simulator", PRODUCER, {JobType.simulation: settings.simulation_deadline_s})


def subscribe(broker: NatsBroker, ports: Ports, settings: Settings) -> None:
    """One durable pull consumer per trigger subject, shared by every simulator process. A
    fetch takes up to ``max_concurrent_runs`` triggers, simulated side by side (one's simulation
    while another's input is read or its results stored), and the next fetch waits for them
    all: never more at once, and no trigger waits pulled but not started."""
    stream = JStream(subjects.STREAM_NAME, declare=False)
    for subject, durable in subjects.SIMULATOR_DURABLES.items():
        config = ConsumerConfig(ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver)
        if len(filters := subjects.of_type(subject)) > 1:
            config.filter_subjects = list(filters)
        broker.subscriber(subject, stream=stream, durable=durable, config=config,
                          pull_sub=PullSub(batch_size=settings.max_concurrent_runs, timeout=2.0))(
            trigger_handler(ports, durable, settings.max_deliver, settings.ack_wait_s))


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("simulator", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    nc = await bus.connect(settings.nats_url, settings.worker_name, retry_max_s=settings.connect_retry_max_s,
                           outage=outage)
    js = nc.jetstream()
    await bus.wait_for_stream(js)
    storage = for_service("simulator", settings)
    publisher = JetStreamPublisher(js, storage=storage)
    objects = PatientObjects(NatsObjectStore(js, storage=storage), read_wait_s=0)  # a read not answered: delivered again
    cancellations = Cancellations()
    ports = Ports(publisher=PatientPublisher(publisher), objects=objects,
                  stub=settings.scpln_skip_simulation_api, cancelled=cancellations,
                  progress_interval_s=settings.progress_interval_s)
    following = await start_following(js, cancellations)
    await bus.patiently(partial(declare_durables, js, settings), "declaring the trigger queues")
    broker = bus.broker(settings.nats_url, outage)
    subscribe(broker, ports, settings)
    await broker.start()
    watchdog = asyncio.create_task(watch_deadlines(deadlines(settings), partial(ask_registry, nc), publisher.publish,
                                                   partial(bus.last_stream_seq, js), settings.deadline_check_s))
    reporting = asyncio.create_task(announce(nc, storage))
    log.info("simulator ready (stub=%s)", ports.stub)
    await wait_for_shutdown(stop)
    watchdog.cancel()
    reporting.cancel()
    following.cancel()
    await broker.stop()
    await nc.drain()
