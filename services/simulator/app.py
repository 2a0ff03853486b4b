"""simulator wiring: shared durable pull consumers (a work queue) feeding ``simulate_plan``, on
the service's faststream broker, its one NATS connection.

``wire`` declares everything the simulator does on the bus, without I/O: the trigger subscribers
and the publishers of the events it stores and of its storage reports. ``main`` runs it as a
``FastStream`` app: before the subscribers start, ``Lifecycle`` connects the broker, reads the
cancellations stored and declares the trigger queues; on stop, the runs under way are given the
broker's grace to finish before the connection drains.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from faststream import FastStream
from faststream.exceptions import NackMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts import subjects
from contracts.events import JobType, PlanCreated, RunRequested
from contracts.legacy import LEGACY_PRODUCER
from contracts.queries import JobsPage, ListJobs
from runtime import bus, rpc
from runtime.deadlines import Deadlines, watch_deadlines
from runtime.event_decoder import event_decoder
from runtime.lifecycle import serve
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.nats_permissions import events_published_by
from runtime.objects import InMemoryObjectStore, NatsObjectStore
from runtime.outage import OutageLog
from runtime.patience import PatientObjects, PatientPublisher
from runtime.publisher import BrokerPublisher, EventPublisher, event_publishers
from runtime.storage import Storage, for_service
from runtime.storage_report import announce, reporter
from runtime.work_queue import held
from services.simulator.cancellations import Cancellations, keep_following
from services.simulator.handlers import BUS_FAILURES, simulate_plan
from services.simulator.ports import PRODUCER, Ports
from services.simulator.settings import Settings

log = logging.getLogger("simulator")

Trigger = PlanCreated | RunRequested
TRIGGERS: dict[str, type[Trigger]] = {subjects.PLAN_CREATED: PlanCreated, subjects.RUN_REQUESTED: RunRequested}
"""The event each trigger durable (``subjects.SIMULATOR_DURABLES``) delivers."""


async def on_trigger(trigger: Trigger, ports: Ports, delivery: int = 1, max_deliver: int = 1) -> None:
    """Simulate the trigger's run. When the bus does not answer, the trigger is delivered again a
    little later, up to ``max_deliver`` times; the last time the run fails with the reason."""
    if trigger.producer == LEGACY_PRODUCER:
        log.debug("not simulating %s: imported from the original scpln, its runs are imported", trigger.plan_version_id)
        return
    last = delivery >= max_deliver
    try:
        await simulate_plan(trigger, ports, last_attempt=last)
    except BUS_FAILURES as exc:
        if last:
            log.error("%s of plan %s dropped: the bus did not answer on %d deliveries (%s)", trigger.event_type,
                      trigger.plan_version_id, delivery, exc)
            return
        wait = min(2.0**delivery, 30.0)
        log.warning("the bus did not answer (%s: %s); %s of plan %s delivered again in %.0f s (%d of %d)",
                    type(exc).__name__, exc, trigger.event_type, trigger.plan_version_id, wait, delivery + 1,
                    max_deliver)
        raise NackMessage(delay=wait) from exc


def trigger_handler(ports: Ports, model: type[Trigger], durable: str, max_deliver: int,  # type: ignore[no-untyped-def]
                    ack_wait_s: float = 60.0):
    """The handler of one durable, its parameter the trigger typed ``model`` (read by the
    contracts: ``runtime.event_decoder``). Each trigger of a fetch is worked on in its own task
    (``subscribe``), signalled in progress while it lasts, and stays unacknowledged until its run
    is stored."""

    async def handler(trigger: Trigger, message: NatsMessage) -> None:  # type: ignore[valid-type]
        delivered = message.raw_message.metadata.num_delivered  # type: ignore[attr-defined]
        async with held(message, ack_wait_s / 3):
            await on_trigger(trigger, ports, delivered, max_deliver)

    handler.__name__ = f"simulate_{durable}"
    handler.__doc__ = f"Each {model.__name__} of the work queue {durable} is simulated: RunCompleted or RunFailed."
    handler.__annotations__ = {"trigger": model, "message": NatsMessage, "return": None}
    return handler


def subscribe(broker: NatsBroker, ports: Ports, settings: Settings) -> None:
    """One durable pull consumer per trigger subject, shared by every simulator process. A
    fetch takes up to ``max_concurrent_runs`` triggers, simulated side by side (one's simulation
    while another's input is read or its results stored), and the next fetch waits for them
    all: never more at once, and no trigger waits pulled but not started. A message that is no
    trigger is dropped by the decoder (logged, counted, acknowledged)."""
    stream = JStream(subjects.STREAM_NAME, declare=False)
    for subject, durable in subjects.SIMULATOR_DURABLES.items():
        config = ConsumerConfig(ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver)
        if len(filters := subjects.of_type(subject)) > 1:
            config.filter_subjects = list(filters)
        broker.subscriber(subject, stream=stream, durable=durable, config=config, decoder=event_decoder(durable, log),
                          pull_sub=PullSub(batch_size=settings.max_concurrent_runs, timeout=2.0))(
            trigger_handler(ports, TRIGGERS[subject], durable, settings.max_deliver, settings.ack_wait_s))


@dataclass(frozen=True)
class Wiring:
    """What the simulator publishes through its broker outside a run's ports."""

    publisher: BrokerPublisher
    """Its events (``events_published_by("simulator")``), stored in the log."""
    reports: Any
    """The publisher of its storage reports (``runtime.storage_report``)."""


def wire(broker: NatsBroker, settings: Settings, ports: Callable[[EventPublisher], Ports],
         storage: Storage | None = None) -> Wiring:
    """The simulator on ``broker``, without I/O: the publishers of the events it stores and of its
    storage reports, and the trigger subscribers working with ``ports(publisher)``, the ports
    built around the service's event publisher (a test's fakes may leave it aside)."""
    publisher = BrokerPublisher(broker, event_publishers(broker, events_published_by(PRODUCER)), storage=storage)
    subscribe(broker, ports(publisher), settings)
    return Wiring(publisher, reporter(broker, PRODUCER))


def asyncapi_broker() -> NatsBroker:
    """The simulator's broker wired as ``main`` wires it (``wire``), on placeholder ports and never
    connected: the AsyncAPI document is made from it."""
    settings = Settings(nats_url="nats://127.0.0.1:4222")  # a placeholder: the document is the same everywhere
    broker = bus.broker(settings.nats_url, OutageLog(log), name=settings.worker_name)
    wire(broker, settings, lambda publisher: Ports(publisher=publisher, objects=InMemoryObjectStore()))
    return broker


class BrokerObjects:
    """The object store on the broker's connection, bound at first use: the wiring is made
    before the broker connects."""

    def __init__(self, broker: NatsBroker, storage: Storage | None = None) -> None:
        self._broker, self._storage = broker, storage
        self._store: NatsObjectStore | None = None

    def _bound(self) -> NatsObjectStore:
        if self._store is None:
            self._store = NatsObjectStore(self._broker.connection.jetstream(), storage=self._storage)
        return self._store

    async def put(self, name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
        return await self._bound().put(name, bucket, key, data, content_type)

    async def get(self, bucket: str, key: str) -> bytes:
        return await self._bound().get(bucket, key)


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


async def ask_registry(broker: NatsBroker, subject: str, request: ListJobs,  # type: ignore[no-untyped-def]
                       reply: type[JobsPage]):
    """The deadline watch's question to the registry, through the broker."""
    return await rpc.ask(broker, subject, request, reply, who="the run registry")


class Lifecycle:
    """What the simulator does around its broker: before the subscribers start (connect, wait for
    the log, read the cancellations stored, declare the trigger queues), once they have (the
    deadline watch, the storage reports), and before the broker stops (those tasks ended)."""

    def __init__(self, broker: NatsBroker, settings: Settings, outage: OutageLog, cancellations: Cancellations,
                 wiring: Wiring, storage: Storage, ready_wait_s: float = 10.0) -> None:
        self.broker, self.settings, self.outage = broker, settings, outage
        self.cancellations, self.wiring, self.storage = cancellations, wiring, storage
        self.ready_wait_s = ready_wait_s
        self.tasks: list[asyncio.Task] = []

    async def connect(self) -> None:
        nc = await bus.connect_broker(self.broker, self.outage, retry_max_s=self.settings.connect_retry_max_s)
        js = nc.jetstream()
        await bus.wait_for_stream(js)
        await self._follow_cancellations(js)
        await bus.patiently(partial(declare_durables, js, self.settings), "declaring the trigger queues")

    async def _follow_cancellations(self, js) -> None:  # type: ignore[no-untyped-def]
        """Follow the cancellations; the triggers are taken once those stored already are known."""
        ready = asyncio.Event()
        self.tasks.append(asyncio.create_task(keep_following(js, self.cancellations, ready)))
        try:
            await asyncio.wait_for(ready.wait(), self.ready_wait_s)
        except TimeoutError:
            log.warning("the cancellations in the log were not all read within %.0f s; taking work all the same",
                        self.ready_wait_s)

    async def started(self) -> None:
        js = self.broker.connection.jetstream()
        self.tasks.append(asyncio.create_task(watch_deadlines(
            deadlines(self.settings), partial(ask_registry, self.broker), self.wiring.publisher.publish,
            partial(bus.last_stream_seq, js), self.settings.deadline_check_s)))
        self.tasks.append(asyncio.create_task(announce(self.broker, self.storage, publisher=self.wiring.reports)))
        log.info("simulator ready (stub=%s)", self.settings.scpln_skip_simulation_api)

    async def stopping(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("simulator", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    storage = for_service("simulator", settings)
    broker = bus.broker(settings.nats_url, outage, name=settings.worker_name)
    cancellations = Cancellations()
    objects = PatientObjects(BrokerObjects(broker, storage), read_wait_s=0)  # a read not answered: delivered again

    def ports(publisher: EventPublisher) -> Ports:
        return Ports(publisher=PatientPublisher(publisher), objects=objects, stub=settings.scpln_skip_simulation_api,
                     cancelled=cancellations, progress_interval_s=settings.progress_interval_s)

    wiring = wire(broker, settings, ports, storage)
    lifecycle = Lifecycle(broker, settings, outage, cancellations, wiring, storage)
    app = FastStream(broker, logger=None, on_startup=[lifecycle.connect], after_startup=[lifecycle.started],
                     on_shutdown=[lifecycle.stopping])
    await serve(app, stop)
