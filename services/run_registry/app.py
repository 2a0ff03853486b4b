"""run_registry wiring: the live projection and every query it answers, in one place."""

import asyncio
import logging
from functools import partial

from faststream.nats import NatsBroker

from contracts import queries as q
from contracts import review_queries as rq
from contracts import subjects
from contracts.commands import ChangeRunMeta, DeleteRun, SwapReadModel
from runtime import bus
from runtime.lifecycle import wait_for_shutdown
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.objects import NatsObjectStore
from runtime.outage import OutageLog
from runtime.publisher import EventPublisher, JetStreamPublisher
from runtime.rpc import responder
from runtime.storage import COMMAND_WRITE_TIMEOUT_S
from runtime.storage_report import announce, listener
from services.run_registry import handlers, queries, review_queries, run_meta, wal
from services.run_registry.backup import periodic_backups
from services.run_registry.live import LiveReadModel
from services.run_registry.object_sweep import ObjectSweeper, periodic_sweeps
from services.run_registry.settings import Settings

log = logging.getLogger("run_registry")

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


def subscribe(broker: NatsBroker, live: LiveReadModel, publisher: EventPublisher, settings: Settings) -> None:
    """Every query and command the registry answers, subject → handler."""
    for subject, (model, fn) in QUERY_ROUTES.items():
        handle = partial(handlers.run_query, fn=fn, live=live, wait_s=settings.min_seq_wait_s)
        broker.subscriber(subject, queue="run_registry")(responder(model, handle))
    commands = {
        subjects.CMD_RUN_DELETE: (DeleteRun, partial(handlers.delete_run, live=live, publisher=publisher)),
        subjects.CMD_REGISTRY_SWAP: (SwapReadModel, partial(handlers.swap_read_model, live=live, publisher=publisher)),
        subjects.CMD_RUN_META: (ChangeRunMeta, partial(run_meta.change_run_meta, live=live, publisher=publisher,
                                                       wait_s=settings.min_seq_wait_s)),
    }
    for subject, (model, handle) in commands.items():  # each writes: none while short of space
        broker.subscriber(subject, queue="run_registry")(responder(model, handle, live.storage.refusal))
    broker.subscriber(subjects.STORAGE_STATUS_ALL)(listener(live.storage_board))


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("run_registry", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    live = LiveReadModel(settings)
    live.outage = OutageLog(log)
    nc = await bus.connect(settings.nats_url, "run_registry", retry_max_s=settings.connect_retry_max_s,
                           outage=live.outage)
    js = nc.jetstream()
    await bus.wait_for_stream(js)
    broker = bus.broker(settings.nats_url, live.outage)
    subscribe(broker, live, JetStreamPublisher(js, COMMAND_WRITE_TIMEOUT_S, live.storage), settings)
    await broker.start()
    live.start(js)
    reporting = asyncio.create_task(announce(nc, live.storage))
    backups = asyncio.create_task(periodic_backups(live, settings))
    checkpoints = asyncio.create_task(wal.periodic_checkpoints(live, settings.wal_checkpoint_every_s))
    live.sweeper = ObjectSweeper(live, NatsObjectStore(js), JetStreamPublisher(js),
                                 grace_hours=settings.object_grace_hours)
    sweeps = asyncio.create_task(periodic_sweeps(live.sweeper, settings.object_sweep_s))
    behind = await bus.patiently(partial(bus.last_stream_seq, js), "reading the log's end") - live.position.last_seq
    log.info("run_registry ready at checkpoint %d (%s)%s", live.position.last_seq, settings.registry_backend,
             f"; applying the {behind:,} events of the log after it" if behind > 0 else "")
    shutdown = asyncio.create_task(wait_for_shutdown(stop))
    while not shutdown.done():
        await asyncio.wait({live.follower, shutdown}, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[arg-type]
        if live.follower.done() and live.follower.exception():  # type: ignore[union-attr]
            break
    try:
        await live.stop()
    finally:
        shutdown.cancel()
        backups.cancel()
        checkpoints.cancel()
        sweeps.cancel()
        reporting.cancel()
        await broker.stop()
        await nc.drain()
        wal.close(live.engine)
