"""JSON API: starting and retrying jobs (DESIGN §6)."""

from fastapi import APIRouter, HTTPException

from contracts import subjects
from contracts.commands import JobAccepted, RequestAggregate, RerunPlan
from contracts.events import JobState, JobType
from contracts.queries import GetJob, JobDetail
from services.ui_gateway.deps import BusDep, ask

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/aggregate", status_code=202, response_model=JobAccepted)
async def aggregate(body: RequestAggregate, bus: BusDep) -> JobAccepted:
    """Aggregate a run's daily results by time bucket and grouping; follow the returned job."""
    return await ask(bus, subjects.CMD_AGGREGATE, body, JobAccepted)


@router.post("/{job_id}/retry", status_code=202, response_model=JobAccepted)
async def retry(job_id: str, bus: BusDep) -> JobAccepted:
    """Retry a failed simulation job: its plan is simulated again as a new job. 409 for any other job."""
    job = (await ask(bus, subjects.QRY_JOB_GET, GetJob(job_id=job_id), JobDetail)).job
    if job.state != JobState.failed or job.job_type != JobType.simulation or not job.plan_version_id:
        raise HTTPException(409, f"only a failed simulation job can be retried; {job_id} is a "
                                 f"{job.state.value} {job.job_type.value} job")
    return await ask(bus, subjects.CMD_PLAN_RERUN, RerunPlan(plan_version_id=job.plan_version_id), JobAccepted)
