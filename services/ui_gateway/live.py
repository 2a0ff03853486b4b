"""Live job progress over Server-Sent Events.

Each event's id is its stream sequence. A page first connects with ``?after=<last_seq>`` (the
read model position its table was rendered from), so nothing between render and connect is
lost; on reconnect the browser sends ``Last-Event-ID`` and the stream resumes after it through
a JetStream ordered consumer started at the next sequence.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from contracts.envelope import INT64_MAX
from contracts.events import JobProgress
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.bus import Bus
from services.ui_gateway.deps import BusDep

router = APIRouter(tags=["jobs"])
RETRY_MS = 2000
PING_S = 15


def start_after(last_event_id: str | None, after: int | None) -> int | None:
    """Where the stream resumes: the Last-Event-ID header wins over ``after``; None means only new events."""
    if last_event_id and last_event_id.strip().isdigit() and int(last_event_id) <= INT64_MAX:
        return int(last_event_id)
    return after


def to_sse(seq: int, event: JobProgress) -> ServerSentEvent:
    data = event.model_dump_json(include={
        "job_id", "job_type", "state", "progress", "step", "message", "plan_version_id", "run_id", "occurred_at",
    })
    return ServerSentEvent(data=data, event="job", id=str(seq), retry=RETRY_MS)


async def job_events(bus: Bus, after: int | None, job_id: str | None, request: Request) -> AsyncIterator[ServerSentEvent]:
    async for seq, event in bus.job_progress(after):
        if await request.is_disconnected():
            return
        if job_id is None or event.job_id == job_id:
            yield to_sse(seq, event)


@router.get("/ui/jobs/events", response_class=EventSourceResponse, dependencies=[allow("read")])
async def stream_jobs(request: Request, bus: BusDep, after: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
                      job_id: str | None = None,
                      last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """JobProgress events as they are stored (``event: job``, ``id`` = stream sequence)."""
    if not bus.connected:
        raise HTTPException(status_code=503, detail="the message bus is not connected")
    start = start_after(last_event_id, after)
    return EventSourceResponse(job_events(bus, start, job_id, request), ping=PING_S)
