"""Simulating a plan: from the triggering event to RunCompleted (or RunFailed).

The run id is derived from the triggering event, so a redelivery after a crash produces the
same run (and the same event ids, which the stream deduplicates) instead of a second one.
"""

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime

from nats.errors import ConnectionClosedError, ConnectionReconnectingError, NoServersError
from nats.js.errors import ServiceUnavailableError

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.events import (
    JobProgress,
    JobState,
    JobType,
    PlanCreated,
    RunCompleted,
    RunFailed,
    RunRequested,
)
from contracts.supply_plan import SupplyPlan
from services.simulator.execution import RunInput, run_input
from services.simulator.metrics import RUNS_FAILED, SIMULATION_SECONDS
from services.simulator.ports import PRODUCER, SIMULATOR_VERSION, Ports
from services.simulator.progress import ProgressReporter

log = logging.getLogger("simulator.handlers")
BUS_FAILURES = (TimeoutError, ConnectionClosedError, NoServersError, ConnectionReconnectingError, ServiceUnavailableError)
"""The bus not answering for a while: the run is tried again, not failed."""
RUN_NAMESPACE = uuid.UUID("0b6f3c1e-8a7d-4e42-9d1b-3c5a7e9f2b40")

Trigger = PlanCreated | RunRequested


def run_id_for(trigger: Trigger) -> str:
    return f"run_{uuid.uuid5(RUN_NAMESPACE, str(trigger.event_id)).hex[:16]}"


def job_id_for(trigger: Trigger) -> str:
    return trigger.simulation_job_id if isinstance(trigger, PlanCreated) else trigger.job_id


def replication_of(trigger: Trigger) -> int | None:
    """The run's index among its plan's replications: 0 for the plan's first run."""
    return 0 if isinstance(trigger, PlanCreated) else trigger.replication


def _event_id(run_id: str, what: str) -> uuid.UUID:
    return uuid.uuid5(RUN_NAMESPACE, f"{run_id}/{what}")


def _progress(trigger: Trigger, run_id: str, state: JobState, progress: float, step: str, message: str = "") -> JobProgress:
    job_id = job_id_for(trigger)
    return JobProgress(event_id=_event_id(run_id, f"progress/{step}/{state}"), correlation_id=job_id,
                       causation_id=str(trigger.event_id), producer=PRODUCER, job_id=job_id,
                       job_type=JobType.simulation, state=state, progress=progress, step=step, message=message,
                       plan_version_id=trigger.plan_version_id, run_id=run_id)


async def simulate_plan(trigger: Trigger, ports: Ports, *, last_attempt: bool = True) -> None:
    """Run one simulation; a failure becomes a RunFailed, so the consumer moves on. The bus
    not answering (``BUS_FAILURES``) is raised instead, for the trigger to be delivered again,
    unless this is its ``last_attempt``."""
    run_id = run_id_for(trigger)
    if job_id_for(trigger) in ports.cancelled:
        log.info("job %s was cancelled while queued; skipping run %s", job_id_for(trigger), run_id)
        return
    started = datetime.now(UTC)
    progress = ProgressReporter(ports.publisher.publish, ports.progress_interval_s)
    progress.offer(_progress(trigger, run_id, JobState.running, 0.0, "starting"))
    try:
        config = await ports.configs.get(trigger.config, ports.objects)
        executing = await run_input(trigger, ports.objects)
        summary, results = await _simulate(config, trigger, run_id, ports, executing, progress)
    except BUS_FAILURES as exc:
        await progress.close()
        if not last_attempt:
            raise
        log.warning("run %s failed: the bus did not answer on its last delivery: %s", run_id, exc)
        await _fail(trigger, run_id, started, f"the message bus did not answer: {type(exc).__name__}: {exc}", ports)
        return
    except Exception as exc:
        await progress.close()
        log.warning("run %s failed: %s", run_id, exc, exc_info=True)
        await _fail(trigger, run_id, started, f"{type(exc).__name__}: {exc}", ports)
        return
    await progress.close()
    finished = datetime.now(UTC)
    duration_ms = (finished - started).total_seconds() * 1000
    SIMULATION_SECONDS.observe(duration_ms / 1000)
    await ports.publisher.publish(RunCompleted(
        event_id=_event_id(run_id, "completed"), correlation_id=job_id_for(trigger),
        causation_id=str(trigger.event_id), producer=PRODUCER, run_id=run_id,
        plan_version_id=trigger.plan_version_id, config_version_id=trigger.config_version_id,
        scenario_id=trigger.base_scenario_id, scenario_name=trigger.scenario_name, job_id=job_id_for(trigger),
        seed=trigger.seed, started_at=started, finished_at=finished, duration_ms=duration_ms, summary=summary,
        results=results, simulator_version=SIMULATOR_VERSION, stub=ports.stub, replication=replication_of(trigger),
        execution=executing.execution, supply_plan=executing.ref,
    ))
    await ports.publisher.publish(_progress(trigger, run_id, JobState.succeeded, 1.0, "done", "run completed"))


async def _simulate(config: CanonicalConfig, trigger: Trigger, run_id: str, ports: Ports,  # type: ignore[no-untyped-def]
                    executing: RunInput, progress: ProgressReporter):
    summary, ref = await _summary(config, trigger, run_id, ports, executing.plan, progress)
    if executing.warnings:
        summary = summary.model_copy(update={"warnings": [*summary.warnings, *executing.warnings]})
    return summary, ref


async def _summary(config: CanonicalConfig, trigger: Trigger, run_id: str, ports: Ports,  # type: ignore[no-untyped-def]
                   supply_plan: SupplyPlan | None, progress: ProgressReporter):
    if ports.stub:
        from services.simulator.stub import estimate_summary

        return estimate_summary(config, seed=trigger.seed), None
    from services.simulator.engine import simulate

    loop = asyncio.get_running_loop()

    def on_progress(day: int, days: int) -> None:
        progress.offer_threadsafe(loop, _progress(trigger, run_id, JobState.running, day / days, f"day {day}/{days}"))

    def compute():  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        output = simulate(config, seed=trigger.seed, run_id=run_id, supply_plan=supply_plan, on_progress=on_progress)
        log.info("run %s simulated in %.3fs", run_id, time.perf_counter() - t0)
        return output, output.results_bytes()

    async with ports.computing:
        output, data = await asyncio.to_thread(compute)
    ref = await ports.objects.put("daily_results", subjects.RESULTS_BUCKET, f"{run_id}.json.gz", data,
                                  content_type="application/gzip")
    return output.summary, ref


async def _fail(trigger: Trigger, run_id: str, started: datetime, reason: str, ports: Ports) -> None:
    RUNS_FAILED.inc()
    await ports.publisher.publish(RunFailed(
        event_id=_event_id(run_id, "failed"), correlation_id=job_id_for(trigger), causation_id=str(trigger.event_id),
        producer=PRODUCER, run_id=run_id, plan_version_id=trigger.plan_version_id,
        config_version_id=trigger.config_version_id, scenario_id=trigger.base_scenario_id,
        scenario_name=trigger.scenario_name, job_id=job_id_for(trigger), reason=reason, started_at=started,
        finished_at=datetime.now(UTC),
    ))
    await ports.publisher.publish(_progress(trigger, run_id, JobState.failed, 1.0, "failed", reason))
