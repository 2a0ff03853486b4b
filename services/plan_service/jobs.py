"""Cancelling a queued job and retrying a failed one (as a new job with the same inputs)."""

from contracts import subjects
from contracts.commands import (
    CancelJob,
    CreatePlan,
    ErrorReply,
    JobAccepted,
    RequestAggregate,
    RerunPlan,
    RetryJob,
)
from contracts.events import JobProgress, JobState, JobType
from contracts.queries import GetJob, JobDetail, JobRow
from services.plan_service import aggregates, plans
from services.plan_service.ports import PRODUCER, Ports


async def _job(job_id: str, ports: Ports) -> JobRow | ErrorReply:
    found = await ports.ask_registry(subjects.QRY_JOB_GET, GetJob(job_id=job_id), JobDetail)
    return found if isinstance(found, ErrorReply) else found.job


async def cancel_job(cmd: CancelJob, ports: Ports) -> JobAccepted | ErrorReply:
    """Only a queued job can be cancelled; the worker that later picks it up skips it."""
    job = await _job(cmd.job_id, ports)
    if isinstance(job, ErrorReply):
        return job
    if job.state != JobState.queued:
        return ErrorReply(error="not_allowed", message=f"job {job.job_id} is {job.state.value}; only a queued job can be cancelled")
    await ports.publisher.publish(JobProgress(
        correlation_id=job.job_id, producer=PRODUCER, job_id=job.job_id, job_type=job.job_type,
        state=JobState.cancelled, progress=job.progress, step="cancelled", message=f"cancelled by {cmd.by}",
        plan_version_id=job.plan_version_id, run_id=job.run_id))
    return JobAccepted(job_id=job.job_id)


async def retry_job(cmd: RetryJob, ports: Ports) -> JobAccepted | ErrorReply:
    """A failed job starts again as a new job: a plan is requested again, a plan simulated
    again, an aggregate computed again."""
    job = await _job(cmd.job_id, ports)
    if isinstance(job, ErrorReply):
        return job
    if job.state != JobState.failed:
        return ErrorReply(error="not_allowed", message=f"job {job.job_id} is {job.state.value}; only a failed job can be retried")
    if job.job_type == JobType.planning and (request := ports.state.plan_requests.get(job.job_id)):
        reply = await plans.create_plan(CreatePlan(
            base_scenario_id=request.base_scenario_id, config_version_id=request.config_version_id,
            seed=request.seed, options=request.options, requested_by=cmd.by or request.requested_by), ports)
        return reply if isinstance(reply, ErrorReply) else JobAccepted(job_id=reply.job_id)
    if job.job_type == JobType.simulation and job.plan_version_id:
        return await plans.rerun_plan(RerunPlan(plan_version_id=job.plan_version_id), ports)
    if job.job_type == JobType.aggregate and (asked := ports.state.aggregate_requests.get(job.job_id)):
        return await aggregates.request_aggregate(RequestAggregate(
            run_id=asked.run_id, plan_version_id=asked.plan_version_id, bucket=asked.bucket,
            group_by=asked.group_by), ports)
    return ErrorReply(error="not_allowed", message=f"job {job.job_id} ({job.job_type.value}) cannot be retried")
