"""run_registry wiring: the live projection and every query it answers, in one place."""

import asyncio
import logging
from functools import partial

from faststream.nats import NatsBroker
from sqlalchemy.engine import Engine

from contracts import queries as q
from contracts import subjects
from contracts.commands import DeleteRun
from runtime import bus
from runtime.lifecycle import wait_for_shutdown
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.publisher import EventPublisher, JetStreamPublisher
from runtime.rpc import responder
from services.run_registry import handlers, queries
from services.run_registry.db import create_schema, open_engine
from services.run_registry.follow import follow
from services.run_registry.position import Position
from services.run_registry.settings import Settings
from services.run_registry.writer import ReadModelWriter

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
}


def subscribe(broker: NatsBroker, engine: Engine, position: Position, publisher: EventPublisher,
              settings: Settings) -> None:
    """Every query and command the registry answers, subject → handler."""
    for subject, (model, fn) in QUERY_ROUTES.items():
        handle = partial(handlers.run_query, fn=fn, engine=engine, position=position, wait_s=settings.min_seq_wait_s)
        broker.subscriber(subject, queue="run_registry")(responder(model, handle))
    delete = partial(handlers.delete_run, engine=engine, publisher=publisher, position=position)
    broker.subscriber(subjects.CMD_RUN_DELETE, queue="run_registry")(responder(DeleteRun, delete))


def open_read_model(settings: Settings) -> Engine:
    if settings.registry_backend == "db":
        settings.scpln_db.parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine(settings.registry_backend, str(settings.scpln_db))
    create_schema(engine)
    return engine


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("run_registry", settings.log_level)
    serve_metrics(settings.metrics_port)
    engine = open_read_model(settings)
    writer = ReadModelWriter(engine, max_runs=settings.runs_db_max_rows)
    position = Position(writer.last_seq())
    nc = await bus.connect(settings.nats_url, "run_registry", retry_max_s=settings.connect_retry_max_s)
    js = nc.jetstream()
    await bus.wait_for_stream(js)
    broker = NatsBroker(settings.nats_url, logger=None)
    subscribe(broker, engine, position, JetStreamPublisher(js), settings)
    await broker.start()
    halt = asyncio.Event()
    follower = asyncio.create_task(follow(js, writer, position, batch_size=settings.batch_size,
                                          fetch_timeout=settings.fetch_timeout_s, stop=halt))
    log.info("run_registry ready at checkpoint %d (%s)", position.last_seq, settings.registry_backend)
    shutdown = asyncio.create_task(wait_for_shutdown(stop))
    await asyncio.wait({follower, shutdown}, return_when=asyncio.FIRST_COMPLETED)
    halt.set()
    try:
        await asyncio.wait_for(follower, timeout=settings.fetch_timeout_s + 5)
    finally:
        shutdown.cancel()
        await broker.stop()
        await nc.drain()
        engine.dispose()
