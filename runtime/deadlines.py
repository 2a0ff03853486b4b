"""Job deadlines: a job queued or running with no progress for longer than its type's deadline
is failed, with the reason, by the service that owns its type (nothing stays stuck).

The owner asks the registry for its unfinished jobs whose last change is older than the
deadline, once it has read the whole log (``min_seq``), and publishes ``JobProgress(failed)``
for each. The failure's event id is derived from the job and its last change, so replicas that
see the same stuck job publish the same event: the stream keeps one, and the registry ignores
any later failure of a job already failed (job states only move forward). A worker that was
only slow and finishes later cannot bring the job back; what it made (a plan, a run) is still
recorded.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.events import JobProgress, JobState, JobType
from contracts.queries import JobRow, JobsPage, ListJobs
from runtime.logs import first_line

log = logging.getLogger("runtime.deadlines")
DEADLINE_NAMESPACE = uuid.UUID("5b0f7c2a-3d4e-4f61-9a8b-7c6d5e4f3a21")
PER_CHECK = 200
"""Jobs failed per type and check at most; a longer backlog is failed by the next checks."""

Ask = Callable[[str, Any, Any], Awaitable[Any]]
Publish = Callable[[JobProgress], Awaitable[Any]]


@dataclass(frozen=True)
class Deadlines:
    """What one service watches: the deadline of each job type it owns (seconds; 0: none)."""

    owner: str
    """Who did not finish the job, for its reason: "plan_service", "the simulator"."""
    producer: str
    seconds: dict[JobType, float]


def overdue(job: JobRow, deadline_s: float, watch: Deadlines) -> JobProgress:
    """The fact that fails ``job``: the same for every replica that sees it stuck."""
    last_change = job.updated_at.astimezone(UTC).isoformat()
    return JobProgress(
        event_id=uuid.uuid5(DEADLINE_NAMESPACE, f"{job.job_id}/deadline/{last_change}"), correlation_id=job.job_id,
        producer=watch.producer, job_id=job.job_id, job_type=job.job_type, state=JobState.failed,
        progress=job.progress, step=job.step, message=f"no progress for {deadline_s:g} s: {watch.owner} did not finish it",
        plan_version_id=job.plan_version_id, run_id=job.run_id)


class RegistrySilent(RuntimeError):
    """The registry gave no list of jobs (it does not answer, or refuses the query)."""


async def fail_overdue(watch: Deadlines, ask: Ask, publish: Publish, min_seq: int,
                       now: datetime | None = None) -> list[str]:
    """Fail the watched jobs without progress for longer than their deadline; return their ids.
    A job is failed only on an up-to-date view: a registry that has not read the log up to
    ``min_seq`` yet is asked again at the next check; one that gives no answer raises
    ``RegistrySilent``."""
    now = now or datetime.now(UTC)
    failed = []
    for job_type, deadline_s in watch.seconds.items():
        if deadline_s <= 0:
            continue
        query = ListJobs(job_type=job_type, unfinished=True, updated_before=now - timedelta(seconds=deadline_s),
                         limit=PER_CHECK, min_seq=min_seq)
        page = await ask(subjects.QRY_JOBS_LIST, query, JobsPage)
        if isinstance(page, ErrorReply):
            raise RegistrySilent(f"{page.error}: {page.message}")
        if page.last_seq < min_seq:
            continue
        for job in page.jobs:
            await publish(overdue(job, deadline_s, watch))
            log.warning("%s job %s failed: no progress for %g s (its last: %s at %s)", job_type.value, job.job_id,
                        deadline_s, job.step or job.state.value, job.updated_at.isoformat())
            failed.append(job.job_id)
    return failed


async def watch_deadlines(watch: Deadlines, ask: Ask, publish: Publish, log_end: Callable[[], Awaitable[int]],
                          every_s: float) -> None:
    """Check every ``every_s`` seconds until cancelled; a check that fails (the bus away, the
    log full) is logged once while it lasts and tried again at the next."""
    if not any(seconds > 0 for seconds in watch.seconds.values()) or every_s <= 0:
        return
    failing = False
    while True:
        await asyncio.sleep(every_s)
        try:
            await fail_overdue(watch, ask, publish, await log_end())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next check tries again
            if not failing:
                log.warning("job deadlines not checked: %s: %s (tried again every %g s)", type(exc).__name__,
                            first_line(exc), every_s)
            failing = True
            continue
        if failing:
            log.info("job deadlines checked again")
        failing = False
