"""Aggregate jobs: a run's daily results summed by time bucket and grouping, stored as an
artifact linked to the run's plan."""

import asyncio
import gzip
import json
import logging
import time

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.commands import AggregateAccepted, ErrorReply, RequestAggregate
from contracts.events import AggregateCompleted, AggregateRequested, JobProgress, JobState, JobType
from contracts.queries import GetRun, ListRuns, RunDetail, RunRow, RunsPage
from services.plan_service import ids
from services.plan_service.domain.aggregation import aggregate_results
from services.plan_service.metrics import JOBS_DURATION
from services.plan_service.ports import PRODUCER, Ports

log = logging.getLogger("plan_service.aggregates")


def _progress(req: AggregateRequested, state: JobState, progress: float, step: str, message: str = "") -> JobProgress:
    return JobProgress(correlation_id=req.job_id, causation_id=str(req.event_id), producer=PRODUCER,
                       job_id=req.job_id, job_type=JobType.aggregate, state=state, progress=progress, step=step,
                       message=message, plan_version_id=req.plan_version_id, run_id=req.run_id)


async def _latest_run(plan_version_id: str, ports: Ports) -> RunRow | ErrorReply:
    """The plan's latest succeeded run (by start)."""
    if plan_version_id not in ports.state.plans:
        return ErrorReply(error="plan_not_found", message=f"plan version {plan_version_id} does not exist or is "
                                                          "not planned yet")
    query = ListRuns(plan_version_id=plan_version_id, status="succeeded", limit=1)
    found = await ports.ask_registry(subjects.QRY_RUNS_LIST, query, RunsPage)
    if isinstance(found, ErrorReply):
        return found
    if not found.runs:
        return ErrorReply(error="validation_failed", message=f"plan {plan_version_id} has no succeeded run to "
                                                             "aggregate yet: simulate it, or name a run")
    return found.runs[0]


async def request_aggregate(cmd: RequestAggregate, ports: Ports, *, note: str = "") -> AggregateAccepted | ErrorReply:
    """Check the run (and that the plan given is the run's plan), then aggregate in the background. Given a
    plan version alone, the run is the plan's latest succeeded run, and the reply and the job's first message
    say so. ``note``: the new job's first message (a retry says of which job, and who asked)."""
    if cmd.run_id is None:
        run = await _latest_run(str(cmd.plan_version_id), ports)
        if isinstance(run, ErrorReply):
            return run
    else:
        found = await ports.ask_registry(subjects.QRY_RUN_GET, GetRun(run_id=cmd.run_id), RunDetail)
        if isinstance(found, ErrorReply):
            return found
        run = found.run
    latest = cmd.run_id is None
    if cmd.plan_version_id and cmd.plan_version_id != run.plan_version_id:
        return ErrorReply(error="validation_failed",
                          message=f"run {run.run_id} belongs to plan {run.plan_version_id}, not {cmd.plan_version_id}")
    if run.results is None:
        return ErrorReply(error="validation_failed",
                          message=f"run {run.run_id} has no daily results to aggregate ({run.status}, stub={run.stub})")
    plan = ports.state.plans.get(run.plan_version_id)
    if plan is None:
        return ErrorReply(error="plan_not_found", message=f"plan version {run.plan_version_id} does not exist")
    requested = AggregateRequested(correlation_id=run.plan_version_id, producer=PRODUCER, job_id=ids.new_id("job"),
                                   run_id=run.run_id, plan_version_id=run.plan_version_id, bucket=cmd.bucket,
                                   group_by=cmd.group_by)
    said = (f"run {run.run_id}, the latest succeeded run of plan {run.plan_version_id} (started "
            f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC)") if latest else f"run {run.run_id}"
    await ports.record(requested)
    await ports.publisher.publish(_progress(requested, JobState.queued, 0.0, "queued",
                                            note or (f"aggregating {said}" if latest else "")))
    ports.spawn(run_aggregate(requested, run.results, plan.config, ports.patient()))
    return AggregateAccepted(job_id=requested.job_id, run_id=run.run_id, plan_version_id=run.plan_version_id,
                             latest=latest, message=f"Aggregating {said} by {cmd.bucket} and {cmd.group_by}.")


async def run_aggregate(req: AggregateRequested, results_ref, config_ref, ports: Ports) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await ports.publisher.publish(_progress(req, JobState.running, 0.1, "reading results"))
    try:
        results = json.loads(gzip.decompress(await ports.objects.get(results_ref.bucket, results_ref.key)))
        config = CanonicalConfig.model_validate_json(await ports.objects.get(config_ref.bucket, config_ref.key))
        table = await asyncio.to_thread(aggregate_results, results, config, bucket=req.bucket, group_by=req.group_by)
        key = f"{req.plan_version_id}/aggregates/{req.run_id}-{req.bucket}-{req.group_by}.json"
        artifact = await ports.objects.put("aggregate_results", subjects.ARTIFACTS_BUCKET, key,
                                           json.dumps(table, separators=(",", ":")).encode())
        await ports.publisher.publish(AggregateCompleted(
            correlation_id=req.plan_version_id, causation_id=str(req.event_id), producer=PRODUCER,
            job_id=req.job_id, run_id=req.run_id, plan_version_id=req.plan_version_id, bucket=req.bucket,
            group_by=req.group_by, artifact=artifact, rows=len(table.get("rows", [])),
        ))
    except Exception as exc:
        log.exception("aggregate job %s failed", req.job_id)
        await ports.publisher.publish(_progress(req, JobState.failed, 1.0, "failed", f"{type(exc).__name__}: {exc}"))
        return
    finally:
        JOBS_DURATION.labels("aggregate").observe(time.perf_counter() - started)
    await ports.publisher.publish(_progress(req, JobState.succeeded, 1.0, "done", "aggregate ready"))
