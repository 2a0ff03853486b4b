"""run_registry: every query, command and subscription of the registry on its one faststream
broker (``wire``, no I/O; ``asyncapi_broker`` is the same wiring, for the AsyncAPI document),
and the service around it (``main``): one NATS connection, the live projection following the
log on it, a graceful stop."""

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, get_type_hints

from faststream import FastStream
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from contracts import queries as q
from contracts import review_queries as rq
from contracts import subjects
from contracts.commands import (
    ChangeRunMeta,
    DeleteRun,
    ReadModelSwapped,
    RunDeletedReply,
    RunMetaChanged,
    SwapReadModel,
)
from runtime import bus
from runtime.lifecycle import serve
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.nats_permissions import events_published_by
from runtime.objects import NatsObjectStore
from runtime.outage import OutageLog
from runtime.publisher import BrokerPublisher, EventPublisher, event_publishers
from runtime.rpc import responder
from runtime.storage import COMMAND_WRITE_TIMEOUT_S
from runtime.storage_report import announce, decoded, listener, reporter
from services.run_registry import handlers, queries, review_queries, run_meta, wal
from services.run_registry.backup import periodic_backups
from services.run_registry.live import LiveReadModel
from services.run_registry.object_sweep import ObjectSweeper, periodic_sweeps
from services.run_registry.settings import Settings

log = logging.getLogger("run_registry")
SERVICE = "run_registry"
SWAP_PAUSE_S = 0.05
"""How often the watch of the projection looks again while a swap has it stopped."""

QUERY_ROUTES = {
    subjects.QRY_RUNS_LIST: (q.ListRuns, queries.list_runs),
    subjects.QRY_RUN_GET: (q.GetRun, queries.get_run),
    subjects.QRY_RUNS_COMPARE: (q.CompareRuns, queries.compare_runs),
    subjects.QRY_PLANS_LIST: (q.ListPlans, queries.list_plans),
    subjects.QRY_PLAN_GET: (q.GetPlan, queries.get_plan),
    subjects.QRY_JOBS_LIST: (q.ListJobs, queries.list_jobs),
    subjects.QRY_JOB_GET: (q.GetJob, queries.get_job),
    subjects.QRY_SCENARIOS_LIST: (q.ListScenarios, queries.list_scenarios),
    subjects.QRY_SCENARIO_GET: (q.GetScenario, queries.get_scenario),
    subjects.QRY_CONFIGS_LIST: (q.ListConfigs, queries.list_configs),
    subjects.QRY_CONFIG_GET: (q.GetConfig, queries.get_config),
    subjects.QRY_STATUS: (q.Consistency, queries.status),
    subjects.QRY_POSITION: (q.Consistency, queries.read_model_position),
    subjects.QRY_PSI_GET: (rq.GetPsi, review_queries.get_psi),
    subjects.QRY_PSI_STATE: (rq.GetPsiState, review_queries.get_psi_state),
    subjects.QRY_PSI_AUDIT: (rq.GetPsiAudit, review_queries.get_psi_audit),
    subjects.QRY_PSI_WEIGHTS: (rq.GetPsiWeights, review_queries.get_psi_weights),
    subjects.QRY_RUN_META: (q.GetRunMeta, queries.get_run_meta),
    subjects.QRY_BASELINES: (q.ListBaselines, queries.list_baselines),
}
"""Each query's subject: its contract and the read-only function answering it (whose return
annotation is the reply's contract)."""


@dataclass(frozen=True)
class Wired:
    """What the wiring declared that the service uses besides its subscribers."""

    commands: EventPublisher
    """The commands' facts (a bounded wait, outcomes recorded in the registry's storage)."""
    sweeps: EventPublisher
    """The object sweeper's facts."""
    reports: Any
    """The registry's storage reports."""


def wire(broker: NatsBroker, live: LiveReadModel, settings: Settings,
         publisher: EventPublisher | None = None) -> Wired:
    """Every query and command the registry answers, every message it hears and every event it
    publishes, on ``broker``: subject → handler. ``publisher`` in place of the broker's (tests)."""
    declared = event_publishers(broker, events_published_by(SERVICE))
    commands = publisher or BrokerPublisher(broker, declared, COMMAND_WRITE_TIMEOUT_S, live.storage)
    for subject, (model, fn) in QUERY_ROUTES.items():
        handle = partial(handlers.run_query, fn=fn, live=live, wait_s=settings.min_seq_wait_s)
        broker.subscriber(subject, queue=SERVICE)(responder(model, handle, reply=get_type_hints(fn)["return"]))
    command_routes = {
        subjects.CMD_RUN_DELETE: (DeleteRun, RunDeletedReply,
                                  partial(handlers.delete_run, live=live, publisher=commands)),
        subjects.CMD_REGISTRY_SWAP: (SwapReadModel, ReadModelSwapped,
                                     partial(handlers.swap_read_model, live=live, publisher=commands)),
        subjects.CMD_RUN_META: (ChangeRunMeta, RunMetaChanged,
                                partial(run_meta.change_run_meta, live=live, publisher=commands,
                                        wait_s=settings.min_seq_wait_s)),
    }
    for subject, (model, reply, handle) in command_routes.items():  # each writes: none while short of space
        broker.subscriber(subject, queue=SERVICE)(responder(model, handle, live.storage.refusal, reply=reply))
    broker.subscriber(subjects.STORAGE_STATUS_ALL, decoder=decoded)(listener(live.storage_board))
    return Wired(commands=commands, sweeps=publisher or BrokerPublisher(broker, declared),
                 reports=reporter(broker, SERVICE))


def asyncapi_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    """The registry's broker wired as ``main`` wires it, for the AsyncAPI document: never
    connected, its read model an empty one in memory."""
    settings = Settings(nats_url=nats_url, registry_backend="memory")
    broker = bus.broker(settings.nats_url, OutageLog(log), name=SERVICE)
    wire(broker, LiveReadModel(settings), settings)
    return broker


class Registry:
    """The service's life around its broker (the app's hooks): the broker's one connection and the
    log followed on it at start; at stop, the projection's batch finished before the subscribers
    stop and the connection drains."""

    def __init__(self, broker: NatsBroker, live: LiveReadModel, settings: Settings, wired: Wired) -> None:
        self.broker, self.live, self.settings, self.wired = broker, live, settings, wired
        self.ended = asyncio.Event()
        """Set when the live projection failed: the service ends with its error (``failure``)."""
        self.failure: BaseException | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task] = []

    async def connect(self) -> None:
        nc = await bus.connect_broker(self.broker, self.live.outage, retry_max_s=self.settings.connect_retry_max_s)
        self._js = nc.jetstream()
        await bus.wait_for_stream(self._js)

    async def start(self) -> None:
        live, settings, js = self.live, self.settings, self._js
        assert js is not None
        live.start(js)
        live.sweeper = ObjectSweeper(live, NatsObjectStore(js), self.wired.sweeps, grace_hours=settings.object_grace_hours)
        self._tasks = [asyncio.create_task(work) for work in (
            self._watch_projection(),
            announce(self.broker, live.storage, publisher=self.wired.reports),
            periodic_backups(live, settings),
            wal.periodic_checkpoints(live, settings.wal_checkpoint_every_s),
            periodic_sweeps(live.sweeper, settings.object_sweep_s),
        )]
        behind = await bus.patiently(partial(bus.last_stream_seq, js), "reading the log's end") - live.position.last_seq
        log.info("run_registry ready at checkpoint %d (%s)%s", live.position.last_seq, settings.registry_backend,
                 f"; applying the {behind:,} events of the log after it" if behind > 0 else "")

    async def _watch_projection(self) -> None:
        """Set ``ended`` when the live projection fails (a swap stops and restarts it: no end)."""
        while True:
            follower = self.live.follower
            assert follower is not None
            await asyncio.wait({follower})
            if not follower.cancelled() and (error := follower.exception()) is not None:
                self.failure = error
                self.ended.set()
                return
            while self.live.follower is follower:
                await asyncio.sleep(SWAP_PAUSE_S)

    async def stop(self) -> None:
        """Before the subscribers stop: the projection finishes its batch, the periodic work ends."""
        try:
            await self.live.stop()
        except Exception as exc:  # noqa: BLE001 - said once the connection is drained (``main``)
            self.failure = self.failure or exc
        finally:
            for task in self._tasks:
                task.cancel()

    async def close(self) -> None:
        """After the connection drained: the read model's file checkpointed and closed."""
        wal.close(self.live.engine)


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging(SERVICE, settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    live = LiveReadModel(settings)
    live.outage = OutageLog(log)
    broker = bus.broker(settings.nats_url, live.outage, name=SERVICE)
    registry = Registry(broker, live, settings, wire(broker, live, settings))
    app = FastStream(broker, logger=None, on_startup=[registry.connect], after_startup=[registry.start],
                     on_shutdown=[registry.stop], after_shutdown=[registry.close])
    halt = asyncio.Event()
    watches = [asyncio.create_task(_set_when(event, halt)) for event in (registry.ended, stop) if event is not None]
    try:
        await serve(app, halt)
    finally:
        for watch in watches:
            watch.cancel()
    if registry.failure is not None:
        raise registry.failure


async def _set_when(event: asyncio.Event, then: asyncio.Event) -> None:
    await event.wait()
    then.set()
