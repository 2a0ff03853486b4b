"""JSON API: starting and retrying jobs (DESIGN §6)."""

from fastapi import APIRouter

from contracts import subjects
from contracts.commands import CancelJob, JobAccepted, RequestAggregate, RetryJob
from services.ui_gateway.deps import BusDep, ask

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/aggregate", status_code=202, response_model=JobAccepted)
async def aggregate(body: RequestAggregate, bus: BusDep) -> JobAccepted:
    """Aggregate a run's daily results by time bucket and grouping; follow the returned job."""
    return await ask(bus, subjects.CMD_AGGREGATE, body, JobAccepted)


@router.post("/{job_id}/retry", status_code=202, response_model=JobAccepted)
async def retry(job_id: str, bus: BusDep) -> JobAccepted:
    """Start a failed job again as a new job with the same inputs; 409 unless the job failed."""
    return await ask(bus, subjects.CMD_JOB_RETRY, RetryJob(job_id=job_id), JobAccepted)


@router.post("/{job_id}/cancel", status_code=202, response_model=JobAccepted)
async def cancel(job_id: str, bus: BusDep, by: str = "planner") -> JobAccepted:
    """Cancel a queued job; 409 once it has started."""
    return await ask(bus, subjects.CMD_JOB_CANCEL, CancelJob(job_id=job_id, by=by), JobAccepted)
