"""Plans: the create-plan command, the planning job it starts, and "simulate again"."""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.commands import CreatePlan, ErrorReply, JobAccepted, PlanAccepted, RerunPlan
from contracts.events import JobProgress, JobState, JobType, PlanCreated, PlanRequested, RunRequested
from services.plan_service import ids
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.metrics import JOBS_DURATION, PLANS_CREATED
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.scenarios import refusal
from services.plan_service.state import ConfigVersion

log = logging.getLogger("plan_service.plans")

Pipeline = Callable[..., Any]


def _progress(job_id: str, plan_id: str, state: JobState, progress: float, step: str = "", message: str = "",
              job_type: JobType = JobType.planning, causation_id: str | None = None) -> JobProgress:
    return JobProgress(correlation_id=job_id, causation_id=causation_id, producer=PRODUCER, job_id=job_id,
                       job_type=job_type, state=state, progress=progress, step=step, message=message,
                       plan_version_id=plan_id)


async def create_plan(cmd: CreatePlan, ports: Ports, *, pipeline: Pipeline = run_pipeline) -> PlanAccepted | ErrorReply:
    """Check the request, answer with the ids at once, and run the planning job in the background."""
    scenario = ports.state.scenarios.get(cmd.base_scenario_id)
    if refused := refusal(scenario, cmd.base_scenario_id):
        return refused
    config = ports.state.configs.get(cmd.config_version_id)
    if config is None:
        return ErrorReply(error="config_not_found", message=f"config version {cmd.config_version_id} does not exist")
    if config.planning_days <= 0:
        return ErrorReply(error="empty_horizon", message=f"config version {config.config_version_id} has no planning horizon")
    plan_id, job_id = ids.new_id("plan"), ids.new_id("job")
    await ports.record(PlanRequested(
        correlation_id=plan_id, producer=PRODUCER, plan_version_id=plan_id, config_version_id=config.config_version_id,
        base_scenario_id=cmd.base_scenario_id, scenario_name=scenario.name, job_id=job_id, seed=cmd.seed,  # type: ignore[union-attr]
        options=cmd.options, requested_by=cmd.requested_by))
    await ports.publisher.publish(_progress(job_id, plan_id, JobState.queued, 0.0, "queued"))
    ports.spawn(run_planning(cmd, ports, plan_id, job_id, config, scenario.name, pipeline))  # type: ignore[union-attr]
    return PlanAccepted(plan_version_id=plan_id, job_id=job_id)


async def run_planning(cmd: CreatePlan, ports: Ports, plan_id: str, job_id: str, config: ConfigVersion,
                       scenario_name: str, pipeline: Pipeline) -> None:
    """aggregate → allocate → mrp → reconcile → plan_final, each a JobProgress and an artifact;
    then PlanCreated. A failed step fails the job and publishes no PlanCreated."""
    started = time.perf_counter()
    loop = asyncio.get_running_loop()

    def on_step(step: str, index: int, count: int) -> None:
        event = _progress(job_id, plan_id, JobState.running, index / (count + 1), step)
        asyncio.run_coroutine_threadsafe(ports.publisher.publish(event), loop).result()

    try:
        document = json.loads(await ports.objects.get(config.document.bucket, config.document.key))
        canonical = CanonicalConfig.model_validate(document)
        result = await asyncio.to_thread(pipeline, canonical, options=cmd.options, on_step=on_step)
        artifacts = [
            await ports.objects.put(name, subjects.ARTIFACTS_BUCKET, f"{plan_id}/{name}.json",
                                    json.dumps(body, separators=(",", ":")).encode())
            for name, body in result.artifacts.items()
        ]
        await ports.record(PlanCreated(
            correlation_id=plan_id, causation_id=job_id, producer=PRODUCER, plan_version_id=plan_id,
            config_version_id=config.config_version_id, base_scenario_id=cmd.base_scenario_id,
            scenario_name=scenario_name, job_id=job_id, seed=cmd.seed, options=cmd.options,
            config=config.document, artifacts=artifacts, kpis=result.kpis, simulation_job_id=ids.new_id("job"),
        ))
    except Exception as exc:
        log.exception("planning job %s failed", job_id)
        await ports.publisher.publish(_progress(job_id, plan_id, JobState.failed, 1.0, "failed", f"{type(exc).__name__}: {exc}"))
        return
    finally:
        JOBS_DURATION.labels("planning").observe(time.perf_counter() - started)
    PLANS_CREATED.inc()
    await ports.publisher.publish(_progress(job_id, plan_id, JobState.succeeded, 1.0, "plan_final", "plan ready"))


async def rerun_plan(cmd: RerunPlan, ports: Ports) -> JobAccepted | ErrorReply:
    """Ask the simulator for a new run of an existing plan."""
    plan = ports.state.plans.get(cmd.plan_version_id)
    if plan is None:
        return ErrorReply(error="plan_not_found", message=f"plan version {cmd.plan_version_id} does not exist")
    job_id = ids.new_id("job")
    await ports.publisher.publish(_progress(job_id, plan.plan_version_id, JobState.queued, 0.0, "queued",
                                            job_type=JobType.simulation))
    await ports.record(RunRequested(
        correlation_id=job_id, producer=PRODUCER, plan_version_id=plan.plan_version_id,
        config_version_id=plan.config_version_id, base_scenario_id=plan.base_scenario_id,
        scenario_name=plan.scenario_name, job_id=job_id, seed=plan.seed if cmd.seed is None else cmd.seed,
        config=plan.config,
    ))
    return JobAccepted(job_id=job_id)
