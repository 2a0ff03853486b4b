"""plan_service wiring: the one place its subscriptions, publishers and adapters are put together
on its faststream broker (its one NATS connection), and its app's start and stop."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, get_type_hints

from faststream import FastStream
from faststream.nats import NatsBroker

from contracts import commands as c
from contracts import review as rv
from contracts import subjects
from contracts.events import JobType
from runtime import bus, rpc
from runtime.deadlines import Deadlines, watch_deadlines
from runtime.follow import follow
from runtime.lifecycle import serve
from runtime.log_reader import read_log
from runtime.logs import first_line, setup_logging
from runtime.metrics import serve_metrics
from runtime.nats_permissions import events_published_by
from runtime.objects import InMemoryObjectStore, NatsObjectStore, declare_buckets
from runtime.outage import OutageLog
from runtime.publisher import BrokerPublisher, EventPublisher, event_publishers
from runtime.rpc import responder
from runtime.storage import COMMAND_WRITE_TIMEOUT_S, Storage, for_service
from runtime.storage_report import announce, reporter
from services.plan_service import (
    aggregates,
    configs,
    jobs,
    maintenance,
    planning_queue,
    plans,
    psi_edits,
    review,
    review_moves,
    scenarios,
)
from services.plan_service.following import StateFollower, decided_again
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.psi_workspace import PsiWorkspace
from services.plan_service.sample_data import load_samples
from services.plan_service.settings import Settings
from services.plan_service.state import PlanServiceState

log = logging.getLogger("plan_service")

REVIEW_FACTS = (
    subjects.PSI_OPENED, subjects.PSI_EDITED, subjects.PSI_LOCKS_CHANGED, subjects.PSI_RECONCILED,
    subjects.PSI_WEIGHTS_SET, subjects.PLAN_REVISED, subjects.PLAN_REVIEW_EVENTS,
)
"""Plan review's facts plan_service folds (not the PSI baselines: it reads a plan's PSI from its artifacts)."""
OWN_EVENTS = (
    subjects.SCENARIO_EVENTS, *subjects.of_type(subjects.CONFIG_VERSION_CREATED), *subjects.of_type(subjects.PLAN_REQUESTED),
    *subjects.of_type(subjects.PLAN_CREATED), subjects.RUN_REQUESTED, subjects.AGGREGATE_REQUESTED,
    subjects.MAINTENANCE_EVENTS, subjects.JOB_CANCELLED, *REVIEW_FACTS,
)
"""The facts plan_service folds into its state: restored at start, then followed live."""

FOLLOW_HEARTBEAT_S = 1.0
"""The live follower is made again within about two of these after the server restarts: a
command's write waits for it (``following.REACH_WAIT_S``)."""


def subscribe(broker: NatsBroker, ports: Ports) -> None:
    """Every command plan_service answers, subject → handler."""
    routes = {
        subjects.CMD_PLAN_CREATE: (c.CreatePlan, plans.create_plan),
        subjects.CMD_PLAN_RERUN: (c.RerunPlan, plans.rerun_plan),
        subjects.CMD_CONFIG_IMPORT: (c.ImportConfig, configs.import_config),
        subjects.CMD_SCENARIO_CREATE: (c.CreateScenario, scenarios.create_scenario),
        subjects.CMD_SCENARIO_UPDATE: (c.UpdateScenario, scenarios.update_scenario),
        subjects.CMD_SCENARIO_LOCK: (c.ScenarioAction, scenarios.lock_scenario),
        subjects.CMD_SCENARIO_UNLOCK: (c.ScenarioAction, scenarios.unlock_scenario),
        subjects.CMD_SCENARIO_ARCHIVE: (c.ScenarioAction, scenarios.archive_scenario),
        subjects.CMD_SCENARIO_UNARCHIVE: (c.ScenarioAction, scenarios.unarchive_scenario),
        subjects.CMD_AGGREGATE: (c.RequestAggregate, aggregates.request_aggregate),
        subjects.CMD_JOB_CANCEL: (c.CancelJob, jobs.cancel_job),
        subjects.CMD_JOB_RETRY: (c.RetryJob, jobs.retry_job),
        subjects.CMD_MAINTENANCE_SET: (c.SetMaintenance, maintenance.set_maintenance),
        subjects.CMD_PSI_OPEN: (rv.OpenPsi, review.open_psi),
        subjects.CMD_PSI_EDIT: (rv.EditPsi, psi_edits.edit_psi),
        subjects.CMD_PSI_RECONCILE: (rv.ReconcilePsi, psi_edits.reconcile_psi),
        subjects.CMD_PSI_WEIGHTS: (rv.SetPsiWeights, psi_edits.set_weights),
        subjects.CMD_PLAN_REVIEW: (rv.ReviewPlan, review_moves.review_plan),
    }
    refuse = ports.storage.refusal if ports.storage else None  # every command writes: none while short of space
    for subject, (model, handler) in routes.items():
        broker.subscriber(subject, queue="plan_service")(
            responder(model, partial(decided_again, handler, ports=ports), refuse,
                      reply=get_type_hints(handler).get("return")))


@dataclass(frozen=True)
class Wiring:
    """What ``wire`` made: the handlers' ports, and the publisher of the storage reports."""

    ports: Ports
    storage_reports: Any


def wire(broker: NatsBroker, settings: Settings, storage: Storage | None,
         make_ports: Callable[[EventPublisher], Ports]) -> Wiring:
    """plan_service on its broker, declared in one place: the events it publishes (a publisher per
    type its NATS user may publish, ``BrokerPublisher``), its storage reports, every command it
    answers (``subscribe``) and the planning queue. ``make_ports`` makes the handlers' ports around
    the broker's event publisher (tests and the AsyncAPI document give fakes)."""
    events = event_publishers(broker, events_published_by(PRODUCER))
    ports = make_ports(BrokerPublisher(broker, events, COMMAND_WRITE_TIMEOUT_S, storage))
    storage_reports = reporter(broker, PRODUCER)
    subscribe(broker, ports)
    planning_queue.subscribe(broker, ports, settings)
    return Wiring(ports, storage_reports)


def registry_client(broker: NatsBroker) -> Callable[[str, Any, Any], Awaitable[Any]]:
    """How plan_service asks the run registry (``Ports.ask_registry``): through its broker; an
    ``unavailable`` reply when the registry does not answer."""
    return partial(rpc.ask, broker, who="the run registry")


def asyncapi_broker() -> NatsBroker:
    """plan_service's broker wired as ``main`` wires it, on inert ports, never connected: what
    the AsyncAPI document describes."""
    settings = Settings(nats_url="nats://127.0.0.1:4222")  # a placeholder: the document is the same everywhere
    broker = bus.broker(settings.nats_url, OutageLog(log), name=PRODUCER)
    wire(broker, settings, None, lambda publisher: Ports(publisher=publisher, objects=InMemoryObjectStore()))
    return broker


async def restore_state(follower: StateFollower, js) -> None:  # type: ignore[no-untyped-def]
    """Fold plan_service's own events from the log: the log is its source of truth. A message
    that is no such event is logged and skipped: it never keeps the service from starting."""
    async for batch in read_log(js, filter_subjects=OWN_EVENTS):
        for msg in batch:
            follower.fold(msg.data, msg.subject, msg.seq)


async def keep_following(follower: StateFollower, js) -> None:  # type: ignore[no-untyped-def]
    """Fold, live, what any replica records after the restored state; started again after a failure."""
    while True:
        try:
            await follow(js, OWN_EVENTS, follower.fold_message, follower.position, asyncio.Event(),
                         heartbeat_s=FOLLOW_HEARTBEAT_S)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the follower resumes where it stands
            log.warning("following the log stopped (%s); following again from seq %d", first_line(exc),
                        follower.position)
            await asyncio.sleep(1.0)


def deadlines(settings: Settings) -> Deadlines:
    """The job types plan_service owns, and how long each may go without progress."""
    return Deadlines("plan_service", PRODUCER, {JobType.planning: settings.planning_deadline_s,
                                                JobType.aggregate: settings.aggregate_deadline_s})


async def resume_then_watch(ports: Ports, restored_to: int, settings: Settings, log_end,  # type: ignore[no-untyped-def]
                            queue_made: bool) -> None:
    """Ask for the replications a stop left missing and, when this replica made the planning
    queue, plan again the jobs requested before it that a stop interrupted (the queue takes
    every later one); then fail, from then on, its jobs left without progress past their
    deadline (a job just resumed has progressed)."""
    if queue_made:
        await plans.resume_interrupted(ports, restored_to)
    else:
        await plans.complete_replications(ports)
    await watch_deadlines(deadlines(settings), ports.ask_registry, ports.publisher.publish, log_end,
                          settings.deadline_check_s)


class PlanService:
    """plan_service's life on its broker (``FastStream``'s lifespan and hooks): before the broker
    starts, its one connection made, the log, buckets and planning queue declared, the state
    restored and followed, everything wired; once it runs, the storage reports and the deadline
    watch; when it stops, no new work taken, the work in hand finished or handed back, before
    the connection drains."""

    def __init__(self, broker: NatsBroker, settings: Settings, outage: OutageLog) -> None:
        self.broker, self.settings, self.outage = broker, settings, outage
        self.tasks: set[asyncio.Task] = set()
        """Work the handlers spawned: finished before the connection drains."""
        self.following: asyncio.Task | None = None
        self.loops: list[asyncio.Task] = []
        """Its storage reports and deadline watch: stopped first at stop."""
        self.wiring: Wiring | None = None
        self.storage = for_service(PRODUCER, settings)
        self.restored_to, self.queue_made = 0, False
        self.ready = asyncio.Event()
        """Set once the broker runs: a stop asked for before waits for it (faststream's shutdown
        would otherwise drain the connection while the subscribers are still binding)."""

    def spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        await self.prepare()
        yield

    async def prepare(self) -> None:
        settings, broker = self.settings, self.broker
        nc = await bus.connect_broker(broker, self.outage, retry_max_s=settings.connect_retry_max_s)
        js = nc.jetstream()
        await bus.patiently(partial(bus.declare_stream, js, settings.stream_max_bytes, settings.stream_replicas),
                            "declaring the event log")
        await bus.patiently(partial(declare_buckets, js, settings.stream_replicas), "declaring the buckets")
        follower = StateFollower(PlanServiceState())
        self.wiring = wire(broker, settings, self.storage, lambda publisher: Ports(
            publisher=publisher, objects=NatsObjectStore(js, self.storage), state=follower.state, storage=self.storage,
            spawn=self.spawn, follower=follower, ask_registry=registry_client(broker),
            psi=PsiWorkspace(settings.scpln_allow_self_approval), planning_queue=True))
        await bus.patiently(partial(restore_state, follower, js), "restoring the state")
        self.restored_to = await bus.patiently(partial(bus.last_stream_seq, js), "reading the log's end")
        self.queue_made = await bus.patiently(partial(planning_queue.declare, js, settings, follower.position + 1),
                                              "declaring the planning queue")
        self.following = asyncio.create_task(keep_following(follower, js))
        if settings.load_samples:
            await load_samples(self.wiring.ports, settings.samples_dir)

    async def started(self) -> None:
        assert self.wiring is not None
        ports, js = self.wiring.ports, self.broker.connection.jetstream()
        self.loops += [
            asyncio.create_task(announce(self.broker, self.storage, publisher=self.wiring.storage_reports)),
            asyncio.create_task(resume_then_watch(ports, self.restored_to, self.settings,
                                                  partial(bus.last_stream_seq, js), self.queue_made)),
        ]
        self.ready.set()
        log.info("plan_service ready: %d scenarios, %d configs, %d plans",
                 len(ports.state.scenarios), len(ports.state.configs), len(ports.state.plans))

    async def stopping(self) -> None:
        """Before the broker stops and drains the connection: stop reporting and watching, take
        no more work (a plan request in hand is handed back), let the spawned work finish (the
        state still following the log for it), then stop following."""
        await self.ready.wait()
        await _cancelled(self.loops)
        for subscriber in self.broker.subscribers:
            await subscriber.stop()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=10)
        await _cancelled([self.following] if self.following else [])


async def _cancelled(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("plan_service", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    broker = bus.broker(settings.nats_url, outage, name=PRODUCER)
    service = PlanService(broker, settings, outage)
    app = FastStream(broker, logger=None, lifespan=service.lifespan, after_startup=[service.started],
                     on_shutdown=[service.stopping])
    await serve(app, stop)
