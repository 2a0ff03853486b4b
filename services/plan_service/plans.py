"""Plans: the create-plan command, the planning job it starts, and "simulate again"."""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from contracts import subjects
from contracts.commands import CreatePlan, ErrorReply, PlanAccepted, RerunPlan, RunsAccepted
from contracts.events import JobProgress, JobState, JobType, PlanCreated, PlanRequested, RunRequested
from contracts.overrides import ScenarioOverride
from contracts.queries import GetJob, JobDetail
from runtime.objects import json_bytes
from runtime.progress import ProgressReporter
from runtime.publisher import Conflict
from services.plan_service import ids, replications, review
from services.plan_service.domain.pipeline import PipelineError, read_options, run_pipeline
from services.plan_service.effective import effective_config
from services.plan_service.metrics import JOBS_DURATION, PLANS_CREATED
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.scenarios import refusal
from services.plan_service.state import ConfigVersion, Plan

log = logging.getLogger("plan_service.plans")

Pipeline = Callable[..., Any]


def _progress(job_id: str, plan_id: str, state: JobState, progress: float, step: str = "", message: str = "",
              job_type: JobType = JobType.planning, causation_id: str | None = None) -> JobProgress:
    return JobProgress(correlation_id=job_id, causation_id=causation_id, producer=PRODUCER, job_id=job_id,
                       job_type=job_type, state=state, progress=progress, step=step, message=message,
                       plan_version_id=plan_id)


async def create_plan(cmd: CreatePlan, ports: Ports, *, pipeline: Pipeline = run_pipeline) -> PlanAccepted | ErrorReply:
    """Check the request, record it and answer with the ids at once: the replica that takes it from
    the planning queue plans it (``planning_queue``; with no queue, unit tests, it is planned in
    the background here). A request with the ``request_id`` of an earlier one is answered with
    that one's ids (its plan id derives from the request_id, so the log stores one request per id
    whichever replica is asked); any other is refused while maintenance is on."""
    if cmd.request_id is not None and (earlier := ports.state.requests_by_client_id.get(cmd.request_id)):
        if _same_request(earlier, cmd):
            return PlanAccepted(plan_version_id=earlier.plan_version_id, job_id=earlier.job_id)
        return ErrorReply(error="validation_failed",
                          message=f"request_id {cmd.request_id} was already used for another plan request")
    if paused := ports.state.maintenance.refusal("new plans"):
        return paused
    scenario = ports.state.scenarios.get(cmd.base_scenario_id)
    if refused := refusal(scenario, cmd.base_scenario_id):
        return refused
    config = ports.state.configs.get(cmd.config_version_id)
    if config is None:
        return ErrorReply(error="config_not_found", message=f"config version {cmd.config_version_id} does not exist")
    if config.planning_days <= 0:
        return ErrorReply(error="empty_horizon", message=f"config version {config.config_version_id} has no planning horizon")
    plan_id = ids.new_id("plan") if cmd.request_id is None else ids.requested_plan_id(cmd.request_id)
    job_id = ids.new_id("job")
    overrides = ports.state.overrides_of(cmd.base_scenario_id)
    request = PlanRequested(
        correlation_id=plan_id, producer=PRODUCER, plan_version_id=plan_id, config_version_id=config.config_version_id,
        base_scenario_id=cmd.base_scenario_id, scenario_name=scenario.name, job_id=job_id, seed=cmd.seed,  # type: ignore[union-attr]
        options=cmd.options.model_dump(), requested_by=cmd.requested_by, request_id=cmd.request_id,
        overrides=overrides, replications=cmd.replications)
    await ports.record(request)  # the same request_id is the same plan: asked of two replicas at once, one stores it
    try:
        await ports.publisher.publish(_progress(job_id, plan_id, JobState.queued, 0.0, "queued"))
    except Exception as exc:  # noqa: BLE001 - the request is stored (its job queued in the log): it is planned
        log.warning("planning job %s: its queued progress was not stored (%s); planning it all the same", job_id,
                    type(exc).__name__)
    if not ports.planning_queue:
        ports.spawn(run_planning(cmd, ports.patient(), plan_id, job_id, config, scenario.name, pipeline,  # type: ignore[union-attr]
                                 overrides=overrides))
    return PlanAccepted(plan_version_id=plan_id, job_id=job_id)


def _same_request(earlier: PlanRequested, cmd: CreatePlan) -> bool:
    try:
        options = read_options(earlier.options)
    except PipelineError:
        return False
    return (earlier.base_scenario_id, earlier.config_version_id, earlier.seed, options, earlier.replications) == (
        cmd.base_scenario_id, cmd.config_version_id, cmd.seed, cmd.options, cmd.replications)


async def run_planning(cmd: CreatePlan, ports: Ports, plan_id: str, job_id: str, config: ConfigVersion,
                       scenario_name: str, pipeline: Pipeline, *, overrides: Sequence[ScenarioOverride] = ()) -> None:
    """The scenario's ``overrides`` applied to the config (step "overrides", when there are any), then
    aggregate → allocate → mrp → reconcile → plan_final, each an artifact; then PlanCreated. The
    steps' progress is coalesced (``Ports.progress_interval_s``): the first step's goes out at
    once, later ones at most once per interval, and none after the job's final state. A failed
    step fails the job, naming the step and why, and publishes no PlanCreated. Inputs that cannot be planned (``PipelineError``) are the requester's to fix:
    one warning line; anything else is logged with its traceback."""
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    reached = ["config"]  # the step under way: reading the config, then the pipeline's
    progress = ProgressReporter(ports.publisher.publish, ports.progress_interval_s)

    def on_step(step: str, index: int, count: int) -> None:
        reached[0] = step
        progress.offer_threadsafe(loop, _progress(job_id, plan_id, JobState.running, index / (count + 1), step))

    try:
        try:
            if overrides:
                reached[0] = "overrides"
                progress.offer(_progress(job_id, plan_id, JobState.running, 0.0, "overrides",
                                         f"applying {len(overrides)} override(s) of the scenario"))
            effective = await effective_config(ports, config, overrides)
            result = await asyncio.to_thread(pipeline, effective.config, options=cmd.options, on_step=on_step)
        finally:
            await progress.close()  # the steps' progress all comes before what the job did and how it ended
        artifacts = [
            await ports.objects.put(name, subjects.ARTIFACTS_BUCKET, f"{plan_id}/{name}.json", json_bytes(body))
            for name, body in result.artifacts.items()
        ]
        await ports.record(PlanCreated(
            correlation_id=plan_id, causation_id=job_id, producer=PRODUCER, plan_version_id=plan_id,
            config_version_id=config.config_version_id, base_scenario_id=cmd.base_scenario_id,
            scenario_name=scenario_name, job_id=job_id, seed=cmd.seed, options=cmd.options.model_dump(),
            config=effective.document, artifacts=artifacts, kpis=result.kpis, simulation_job_id=ids.new_id("job"),
            effective_config_sha256=effective.sha256, overrides=effective.applied, config_changes=effective.changes,
            replications=cmd.replications, warnings=effective.warnings,
        ))
        await review.open_after_planning(ports, plan_id, result.artifacts)
    except Conflict as conflict:
        await ports.caught_up(conflict.stored_seq)
        if plan_id in ports.state.plans:
            log.info("planning job %s: plan %s was made by another replica; this one's work is dropped", job_id, plan_id)
            return
        log.warning("planning job %s of plan %s: another writer changed the plan meanwhile", job_id, plan_id)
        await ports.publisher.publish(_progress(job_id, plan_id, JobState.failed, 1.0, "plan_final",
                                                "another writer changed the plan while it was planned"))
        return
    except PipelineError as exc:
        log.warning("planning job %s of plan %s failed at %s: %s", job_id, plan_id, exc.step, exc.message)
        await ports.publisher.publish(_progress(job_id, plan_id, JobState.failed, 1.0, exc.step, exc.message))
        return
    except Exception as exc:
        log.exception("planning job %s of plan %s failed at %s", job_id, plan_id, reached[0])
        await ports.publisher.publish(_progress(job_id, plan_id, JobState.failed, 1.0, reached[0],
                                                f"{type(exc).__name__}: {exc}"))
        return
    finally:
        JOBS_DURATION.labels("planning").observe(time.perf_counter() - started)
    PLANS_CREATED.inc()
    await ports.publisher.publish(_progress(job_id, plan_id, JobState.succeeded, 1.0, "plan_final", "plan ready"))
    try:
        await start_replications(ports, plan_id)
    except Exception as exc:  # noqa: BLE001 - the plan is made; a restart asks for the replications still missing
        log.warning("plan %s: its replications beyond the first were not all asked for (%s: %s)", plan_id,
                    type(exc).__name__, exc)


async def rerun_plan(cmd: RerunPlan, ports: Ports, *, note: str = "") -> RunsAccepted | ErrorReply:
    """Ask the simulator for ``cmd.replications`` new runs of an existing plan, one job each
    (refused while maintenance is on): the plan's next replications (new seeds), its first
    ones again with ``reproduce``, or seeds derived from ``cmd.seed`` (contracts/replications.py).
    ``note``: the new jobs' first message (a retry says of which job, and who asked)."""
    if paused := ports.state.maintenance.refusal("new runs"):
        return paused
    await review.prepare_run(ports, cmd.plan_version_id)
    plan = ports.state.plans.get(cmd.plan_version_id)
    if plan is None:
        return ErrorReply(error="plan_not_found", message=f"plan version {cmd.plan_version_id} does not exist")
    jobs = [await request_run(ports, plan, seed, replication, note=note)
            for replication, seed in replications.rerun_seeds(ports.state, plan, cmd)]
    return RunsAccepted(job_id=jobs[0], job_ids=jobs)


async def start_replications(ports: Ports, plan_id: str) -> list[str]:
    """Replications 1..N-1 of a plan that was made (its PlanCreated starts replication 0), a job
    each; those the log holds already are not asked again, so this also completes them after a
    restart. Their job and event ids derive from the plan and the index: asked twice, one run."""
    plan = ports.state.plans.get(plan_id)
    if plan is None:
        return []
    return [await request_run(ports, plan, seed, replication, job_id=replications.job_id_of(plan_id, replication),
                              event_id=ids.stable_event_id("replication", plan_id, str(replication)))
            for replication, seed in replications.missing_initial(ports.state, plan)]


async def request_run(ports: Ports, plan: Plan, seed: int, replication: int | None, *, note: str = "",
                      job_id: str | None = None, event_id: uuid.UUID | None = None) -> str:
    """One run of ``plan`` as a new simulation job (queued, then RunRequested); its job id."""
    job_id = job_id or ids.new_id("job")
    await ports.publisher.publish(_progress(job_id, plan.plan_version_id, JobState.queued, 0.0, "queued", note,
                                            job_type=JobType.simulation))
    await ports.record(RunRequested(
        event_id=event_id or uuid.uuid4(), correlation_id=job_id, producer=PRODUCER,
        plan_version_id=plan.plan_version_id, config_version_id=plan.config_version_id,
        base_scenario_id=plan.base_scenario_id, scenario_name=plan.scenario_name, job_id=job_id, seed=seed,
        config=plan.config, replication=replication, execution=plan.execution, supply_plan=plan.supply_plan,
    ))
    return job_id


RESUME_ASKS = 30
"""How many times a restarted plan_service asks the registry (while it starts too) about one
interrupted planning job before it leaves the job as it is."""


async def resume_interrupted(ports: Ports, min_seq: int, *, pipeline: Pipeline = run_pipeline,
                             wait_s: float = 1.0) -> list[str]:
    """Planning jobs that the log shows requested but never planned, and that the registry
    still sees queued or running (plan_service stopped during them), are planned again from
    the start under the same job and plan ids. Returns their job ids. ``min_seq``: the log
    position plan_service restored from; the registry answers once it has read that far. Only
    for requests recorded before the planning queue existed (``planning_queue``: it takes every
    later one, and gives a request whose replica died to another)."""
    await complete_replications(ports)
    resumed = []
    for request in list(ports.state.plan_requests.values()):
        if request.plan_version_id in ports.state.plans:
            continue
        state = await _registry_state(ports, request.job_id, min_seq, wait_s)
        if state == "unknown":
            log.warning("planning job %s: the registry does not answer; it stays as it is", request.job_id)
            continue
        if state is not None and state not in (JobState.queued, JobState.running):
            continue  # it ended (failed, cancelled) before plan_service stopped
        if request.config_version_id not in ports.state.configs:
            continue
        if await _refused_options(request, ports):
            continue
        await ports.publisher.publish(_progress(request.job_id, request.plan_version_id, JobState.running, 0.0,
                                                "resumed", "plan_service restarted during the job; planning again"))
        ports.spawn(plan_request(request, ports.patient(), pipeline))
        log.info("planning job %s resumed after a restart", request.job_id)
        resumed.append(request.job_id)
    return resumed


async def complete_replications(ports: Ports) -> None:
    """Ask for the replications still missing of every plan made (a stop came between them)."""
    for plan_id in list(ports.state.plans):
        await start_replications(ports, plan_id)


async def plan_request(request: PlanRequested, ports: Ports, pipeline: Pipeline = run_pipeline) -> None:
    """Plan a recorded request under its own job and plan ids (``run_planning``): the planning
    queue's work, and a resumed job's. Options refused since it was recorded fail its job."""
    config = ports.state.configs.get(request.config_version_id)
    if config is None:
        await ports.publisher.publish(_progress(request.job_id, request.plan_version_id, JobState.failed, 1.0, "config",
                                                f"config version {request.config_version_id} does not exist"))
        return
    if await _refused_options(request, ports):
        return
    command = CreatePlan(base_scenario_id=request.base_scenario_id, config_version_id=request.config_version_id,
                         seed=request.seed, options=read_options(request.options), requested_by=request.requested_by,
                         replications=request.replications)
    await run_planning(command, ports, request.plan_version_id, request.job_id, config, request.scenario_name,
                       pipeline, overrides=request.overrides)


async def planning_again(request: PlanRequested, ports: Ports, taken: int) -> None:
    """A request taken again after the replica planning it stopped: its job says so."""
    await ports.publisher.publish(_progress(request.job_id, request.plan_version_id, JobState.running, 0.0, "resumed",
                                            f"the replica planning it stopped; planning again (time {taken})"))


async def planned_already(request: PlanRequested, ports: Ports) -> None:
    """A request taken again whose plan was made (the replica that made it stopped before saying
    so): its job succeeded, and the plan's further replications are asked for."""
    done = _progress(request.job_id, request.plan_version_id, JobState.succeeded, 1.0, "plan_final", "plan ready")
    await ports.publisher.publish(done.model_copy(update={"event_id": ids.stable_event_id("planned", request.job_id)}))
    await start_replications(ports, request.plan_version_id)


async def never_planned(request: PlanRequested, ports: Ports, taken: int) -> None:
    """A request taken ``taken`` times without being planned (each replica planning it stopped):
    its job fails saying so, and it is not taken again."""
    log.error("planning job %s: taken %d times and never planned; failing it", request.job_id, taken)
    await ports.publisher.publish(_progress(
        request.job_id, request.plan_version_id, JobState.failed, 1.0, "planning",
        f"planning was started {taken - 1} times and never finished (each replica planning it stopped); "
        "request the plan again"))


async def _refused_options(request: PlanRequested, ports: Ports) -> bool:
    """A request recorded before its options were checked fails as it would have then."""
    try:
        read_options(request.options)
    except PipelineError as exc:
        await ports.publisher.publish(_progress(request.job_id, request.plan_version_id, JobState.failed, 1.0,
                                                exc.step, exc.message))
        return True
    return False


async def _registry_state(ports: Ports, job_id: str, min_seq: int, wait_s: float) -> JobState | None | str:
    """The job's state in the registry; None when it never saw the job; "unknown" when it
    does not answer."""
    for _ in range(RESUME_ASKS):
        reply = await ports.ask_registry(subjects.QRY_JOB_GET, GetJob(job_id=job_id, min_seq=min_seq), JobDetail)
        if isinstance(reply, JobDetail):
            return reply.job.state
        if reply.error == "job_not_found":
            return None
        await asyncio.sleep(wait_s)
    return "unknown"
