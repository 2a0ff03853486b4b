"""Cancelling a queued job and retrying any job that did not succeed (as a new job with the same inputs)."""

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
from contracts.events import JobCancelled, JobProgress, JobState, JobType
from contracts.queries import GetJob, JobDetail, JobRow
from services.plan_service import aggregates, plans
from services.plan_service.domain.pipeline import PipelineError, read_options
from services.plan_service.ports import PRODUCER, Ports


async def _job(job_id: str, ports: Ports) -> JobRow | ErrorReply:
    found = await ports.ask_registry(subjects.QRY_JOB_GET, GetJob(job_id=job_id), JobDetail)
    return found if isinstance(found, ErrorReply) else found.job


async def cancel_job(cmd: CancelJob, ports: Ports) -> JobAccepted | ErrorReply:
    """Only a queued job can be cancelled: JobCancelled, which the worker that later picks it up
    follows and obeys (it skips the job), then the job's progress, cancelled."""
    job = await _job(cmd.job_id, ports)
    if isinstance(job, ErrorReply):
        return job
    if job.state != JobState.queued:
        return ErrorReply(error="not_allowed", message=f"job {job.job_id} is {job.state.value}; only a queued job can be cancelled")
    await ports.publisher.publish(JobCancelled(
        correlation_id=job.job_id, producer=PRODUCER, job_id=job.job_id, job_type=job.job_type,
        plan_version_id=job.plan_version_id, cancelled_by=cmd.by))
    await ports.publisher.publish(JobProgress(
        correlation_id=job.job_id, producer=PRODUCER, job_id=job.job_id, job_type=job.job_type,
        state=JobState.cancelled, progress=job.progress, step="cancelled", message=f"cancelled by {cmd.by}",
        plan_version_id=job.plan_version_id, run_id=job.run_id))
    return JobAccepted(job_id=job.job_id)


async def retry_job(cmd: RetryJob, ports: Ports) -> JobAccepted | ErrorReply:
    """Any job that did not succeed starts again as a new job with the same inputs: a plan is
    requested again, a plan simulated again, an aggregate computed again, requested by
    ``cmd.by``. A job still queued or running is superseded: once the new one is accepted, the
    old one is failed naming it (if its worker still finishes, what it made is kept, and the
    job stays failed)."""
    job = await _job(cmd.job_id, ports)
    if isinstance(job, ErrorReply):
        return job
    if job.state == JobState.succeeded:
        return ErrorReply(error="not_allowed", message=f"job {job.job_id} succeeded; only a job that did not "
                                                       "succeed can be retried")
    started = await _start_again(job, cmd.by, ports)
    if isinstance(started, ErrorReply) or job.state not in (JobState.queued, JobState.running):
        return started
    await ports.publisher.publish(JobProgress(
        correlation_id=job.job_id, producer=PRODUCER, job_id=job.job_id, job_type=job.job_type,
        state=JobState.failed, progress=job.progress, step=job.step,
        message=f"superseded by retry {started.job_id}{_by(cmd.by)}", plan_version_id=job.plan_version_id,
        run_id=job.run_id))
    return started


async def _simulate_again(job: JobRow, ports: Ports, note: str) -> JobAccepted | ErrorReply:
    """The same run again: the seed and replication the job ran with (a job the log does not show
    inputs for is a new run of the plan)."""
    inputs = ports.state.run_inputs.get(job.job_id)
    plan = ports.state.plans.get(job.plan_version_id or "")
    if inputs is None or plan is None:
        again = await plans.rerun_plan(RerunPlan(plan_version_id=job.plan_version_id or ""), ports, note=note)
        return again if isinstance(again, ErrorReply) else JobAccepted(job_id=again.job_id)
    if paused := ports.state.maintenance.refusal("new runs"):
        return paused
    seed, replication = inputs
    return JobAccepted(job_id=await plans.request_run(ports, plan, seed, replication, note=note))


def _by(who: str) -> str:
    return f" (by {who})" if who else ""


async def _start_again(job: JobRow, by: str, ports: Ports) -> JobAccepted | ErrorReply:
    note = f"retry of {job.job_id}{_by(by)}"
    if job.job_type == JobType.planning and (request := ports.state.plan_requests.get(job.job_id)):
        try:
            options = read_options(request.options)
        except PipelineError as exc:
            return ErrorReply(error="validation_failed", message=f"job {job.job_id} asked for options that are "
                              f"refused ({exc.message}): request a new plan with valid options")
        reply = await plans.create_plan(CreatePlan(
            base_scenario_id=request.base_scenario_id, config_version_id=request.config_version_id,
            seed=request.seed, options=options, requested_by=by or request.requested_by), ports)
        return reply if isinstance(reply, ErrorReply) else JobAccepted(job_id=reply.job_id)
    if job.job_type == JobType.simulation and job.plan_version_id:
        return await _simulate_again(job, ports, note)
    if job.job_type == JobType.aggregate and (asked := ports.state.aggregate_requests.get(job.job_id)):
        reply = await aggregates.request_aggregate(RequestAggregate(
            run_id=asked.run_id, plan_version_id=asked.plan_version_id, bucket=asked.bucket,
            group_by=asked.group_by), ports, note=note)
        return reply if isinstance(reply, ErrorReply) else JobAccepted(job_id=reply.job_id)
    return ErrorReply(error="not_allowed", message=f"job {job.job_id} ({job.job_type.value}) cannot be retried")
