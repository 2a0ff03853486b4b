"""JSON API: starting and retrying jobs (DESIGN §6)."""

from fastapi import APIRouter

from contracts import subjects
from contracts.commands import AggregateAccepted, CancelJob, JobAccepted, RequestAggregate, RetryJob
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, ask, no_other_actor

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/aggregate", status_code=202, response_model=AggregateAccepted, dependencies=[allow("jobs.aggregate")])
async def aggregate(body: RequestAggregate, bus: BusDep) -> AggregateAccepted:
    """Aggregate a run's daily results by time bucket and grouping; follow the returned job. Without
    ``run_id``, the latest succeeded run of ``plan_version_id`` is aggregated: the reply names it
    (``run_id``, ``latest``: true, ``message``)."""
    return await ask(bus, subjects.CMD_AGGREGATE, body, AggregateAccepted)


@router.post("/{job_id}/retry", status_code=202, response_model=JobAccepted, dependencies=[allow("jobs.retry")])
async def retry(job_id: str, bus: BusDep, actor: Actor) -> JobAccepted:
    """Start a job that did not succeed again, as a new job with the same inputs, requested by you.
    A job still queued or running is failed as superseded by the new one; 409 for a job that
    succeeded."""
    return await ask(bus, subjects.CMD_JOB_RETRY, RetryJob(job_id=job_id, by=actor.username), JobAccepted)


@router.post("/{job_id}/cancel", status_code=202, response_model=JobAccepted, dependencies=[allow("jobs.cancel")])
async def cancel(job_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> JobAccepted:
    """Cancel a queued job (recorded as cancelled by you); 409 once it has started. ``by`` naming
    anyone else is a 422."""
    no_other_actor(actor, by=by)
    return await ask(bus, subjects.CMD_JOB_CANCEL, CancelJob(job_id=job_id, by=actor.username), JobAccepted)
