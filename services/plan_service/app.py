"""plan_service wiring: the one place its subscriptions and adapters are put together."""

import asyncio
import logging
from functools import partial

from faststream.nats import NatsBroker
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from contracts import commands as c
from contracts import review as rv
from contracts import subjects
from contracts.events import JobType
from runtime import bus
from runtime.deadlines import Deadlines, watch_deadlines
from runtime.follow import follow
from runtime.lifecycle import wait_for_shutdown
from runtime.log_reader import read_log
from runtime.logs import first_line, setup_logging
from runtime.metrics import serve_metrics
from runtime.objects import NatsObjectStore, declare_buckets
from runtime.outage import OutageLog
from runtime.publisher import JetStreamPublisher
from runtime.rpc import responder
from runtime.storage import COMMAND_WRITE_TIMEOUT_S, for_service
from runtime.storage_report import announce
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
            responder(model, partial(decided_again, handler, ports=ports), refuse))


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


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("plan_service", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    outage = OutageLog(log)
    nc = await bus.connect(settings.nats_url, "plan_service", retry_max_s=settings.connect_retry_max_s, outage=outage)
    js = nc.jetstream()
    await bus.patiently(partial(bus.declare_stream, js, settings.stream_max_bytes, settings.stream_replicas),
                        "declaring the event log")
    await bus.patiently(partial(declare_buckets, js, settings.stream_replicas), "declaring the buckets")
    tasks: set[asyncio.Task] = set()

    def spawn(coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def ask_registry(subject: str, request, reply):  # type: ignore[no-untyped-def]
        try:
            answer = await nc.request(subject, request.model_dump_json().encode(), timeout=5)
        except (TimeoutError, NoRespondersError, NatsTimeout):
            return c.ErrorReply(error="unavailable", message="the run registry does not answer; try again")
        return c.parse_reply(answer.data, reply)

    storage = for_service("plan_service", settings)
    state = PlanServiceState()
    follower = StateFollower(state)
    ports = Ports(publisher=JetStreamPublisher(js, COMMAND_WRITE_TIMEOUT_S, storage), objects=NatsObjectStore(js, storage),
                  state=state, storage=storage, spawn=spawn, follower=follower,
                  ask_registry=ask_registry, psi=PsiWorkspace(settings.scpln_allow_self_approval),
                  planning_queue=True)
    await bus.patiently(partial(restore_state, follower, js), "restoring the state")
    restored_to = await bus.patiently(partial(bus.last_stream_seq, js), "reading the log's end")
    queue_made = await bus.patiently(partial(planning_queue.declare, js, settings, follower.position + 1),
                                     "declaring the planning queue")
    following = asyncio.create_task(keep_following(follower, js))
    if settings.load_samples:
        await load_samples(ports, settings.samples_dir)
    broker = bus.broker(settings.nats_url, outage)
    subscribe(broker, ports)
    planning_queue.subscribe(broker, ports, settings)
    await broker.start()
    reporting = asyncio.create_task(announce(nc, storage))
    watchdog = asyncio.create_task(resume_then_watch(ports, restored_to, settings, partial(bus.last_stream_seq, js),
                                                     queue_made))
    log.info("plan_service ready: %d scenarios, %d configs, %d plans",
             len(ports.state.scenarios), len(ports.state.configs), len(ports.state.plans))
    await wait_for_shutdown(stop)
    watchdog.cancel()
    reporting.cancel()
    await broker.stop()
    if tasks:
        await asyncio.wait(tasks, timeout=10)
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    await nc.drain()
