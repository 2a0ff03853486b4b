"""Jobs: a table that updates live (SSE, polling fallback), the Aggregate Job form, one job."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import AggregateAccepted, CancelJob, JobAccepted, RequestAggregate, RetryJob
from contracts.events import JobState, JobType
from contracts.queries import GetJob, JobDetail, JobsPage, ListJobs
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, Offset, ask
from services.ui_gateway.pages.common import blank_to_none, error_text, redirect, render

router = APIRouter(prefix="/ui/jobs", include_in_schema=False)
PAGE = 100


def _list_query(state: str, job_type: str, offset: int) -> ListJobs:
    try:
        return ListJobs.model_validate(blank_to_none({"state": state, "job_type": job_type, "offset": offset,
                                                      "limit": PAGE}))
    except ValidationError as exc:
        raise HTTPException(422, f"unknown filter: {exc.errors()[0]['msg']}") from exc


async def _jobs_page(request: Request, bus: BusDep, state: str = "", job_type: str = "", offset: Offset = 0,
                     aggregate: dict[str, str] | None = None, error: HTTPException | None = None,
                     **context: str) -> Response:
    page = await ask(bus, subjects.QRY_JOBS_LIST, _list_query(state, job_type, offset), JobsPage)
    message, errors = error_text(error.detail) if error else ("", [])
    return render(request, "jobs.html", status_code=error.status_code if error else 200, page=page,
                  filters={"state": state, "job_type": job_type}, states=list(JobState), types=list(JobType),
                  aggregate=aggregate or {}, message=message, errors=errors, offset=offset, pager_total=page.total,
                  **context)


@router.get("", dependencies=[allow("read")])
async def jobs_page(request: Request, bus: BusDep, state: str = "", job_type: str = "", offset: Offset = 0,
                    created: str = "", plan: str = "", plan_version_id: str = "", run_id: str = "",
                    aggregated: str = "", latest: bool = False) -> Response:
    """Jobs, newest first, live. ``created``: the job just accepted (highlighted); ``aggregated``: the
    run an aggregate job just started on, ``latest`` when it was chosen as its plan's latest."""
    aggregate = {"plan_version_id": plan_version_id, "run_id": run_id, "bucket": "week", "group_by": "item"}
    return await _jobs_page(request, bus, state, job_type, offset, aggregate, created=created, plan=plan,
                            aggregated=aggregated, latest=latest)


@router.post("/aggregate", dependencies=[allow("jobs.aggregate")])
async def request_aggregate(request: Request, bus: BusDep, run_id: Annotated[str, Form()] = "",
                            plan_version_id: Annotated[str, Form()] = "", bucket: Annotated[str, Form()] = "week",
                            group_by: Annotated[str, Form()] = "item") -> Response:
    """A run's results, or with a plan version alone its latest succeeded run's, summed by bucket and group."""
    form = {"run_id": run_id.strip(), "plan_version_id": plan_version_id.strip(), "bucket": bucket, "group_by": group_by}
    try:
        try:
            command = RequestAggregate.model_validate(blank_to_none(form))
        except ValidationError as exc:
            raise HTTPException(422, {"message": "the aggregate job needs a run or a plan version", "errors": [
                {"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]}) from exc
        accepted = await ask(bus, subjects.CMD_AGGREGATE, command, AggregateAccepted)
    except HTTPException as exc:
        return await _jobs_page(request, bus, aggregate=form, error=exc)
    return redirect("/ui/jobs", created=accepted.job_id, plan=accepted.plan_version_id, aggregated=accepted.run_id,
                    latest="true" if accepted.latest else "")


@router.post("/{job_id}/cancel", dependencies=[allow("jobs.cancel")])
async def cancel_job(request: Request, job_id: str, bus: BusDep, actor: Actor) -> Response:
    """Cancel a queued job; a refusal (it already started) is shown on the jobs page."""
    try:
        await ask(bus, subjects.CMD_JOB_CANCEL, CancelJob(job_id=job_id, by=actor.username), JobAccepted)
    except HTTPException as exc:
        return await _jobs_page(request, bus, error=exc)
    return redirect("/ui/jobs", created=job_id)


@router.post("/{job_id}/retry", dependencies=[allow("jobs.retry")])
async def retry_job(request: Request, job_id: str, bus: BusDep, actor: Actor) -> Response:
    """Start a job that did not succeed again as a new job (one still queued or running is
    superseded); the new job is highlighted."""
    try:
        accepted = await ask(bus, subjects.CMD_JOB_RETRY, RetryJob(job_id=job_id, by=actor.username), JobAccepted)
    except HTTPException as exc:
        return await _jobs_page(request, bus, error=exc)
    return redirect("/ui/jobs", created=accepted.job_id)


@router.get("/{job_id}", dependencies=[allow("read")])
async def job_page(request: Request, job_id: str, bus: BusDep, min_seq: MinSeq = 0) -> Response:
    """One job, live: its state, its steps with their durations, and its messages."""
    detail = await ask(bus, subjects.QRY_JOB_GET, GetJob(job_id=job_id, min_seq=min_seq, history=True), JobDetail)
    return render(request, "job.html", job=detail.job, detail=detail, last_seq=detail.last_seq)


@router.get("/{job_id}/history", dependencies=[allow("read")])
async def job_history(request: Request, job_id: str, bus: BusDep, min_seq: MinSeq = 0) -> Response:
    """The job page's steps and messages alone (an HTML fragment), fetched again as the job moves on."""
    detail = await ask(bus, subjects.QRY_JOB_GET, GetJob(job_id=job_id, min_seq=min_seq, history=True), JobDetail)
    return render(request, "_job_history.html", job=detail.job, detail=detail)
