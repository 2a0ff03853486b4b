"""Job deadlines with a fake registry: which jobs fail, with what reason, and that replicas
watching the same stuck job publish the same fact."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.events import JobType
from contracts.queries import JobRow, JobsPage, ListJobs
from runtime.deadlines import Deadlines, RegistrySilent, fail_overdue, watch_deadlines
from runtime.publisher import InMemoryPublisher

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WATCH = Deadlines("the simulator", "simulator", {JobType.simulation: 900.0})


def job(job_id: str, state: str = "running", minutes_ago: float = 20, **over) -> JobRow:  # type: ignore[no-untyped-def]
    at = NOW - timedelta(minutes=minutes_ago)
    values = {"job_id": job_id, "job_type": "simulation", "state": state, "progress": 0.4, "step": "day 146/365",
              "message": "", "plan_version_id": "plan_1", "run_id": "run_1", "created_at": at, "updated_at": at}
    return JobRow(**{**values, **over})


class Registry:
    """Answers ListJobs like the registry: unfinished jobs of the type, older than asked."""

    def __init__(self, *jobs: JobRow, last_seq: int = 10) -> None:
        self.jobs, self.last_seq, self.asked = list(jobs), last_seq, []

    async def __call__(self, subject: str, query: ListJobs, reply: type) -> JobsPage:
        assert subject == subjects.QRY_JOBS_LIST and reply is JobsPage
        self.asked.append(query)
        found = [j for j in self.jobs if j.job_type == query.job_type and j.state in ("queued", "running")
                 and j.updated_at < query.updated_before]
        return JobsPage(jobs=found, total=len(found), last_seq=self.last_seq)


async def test_a_job_without_progress_past_its_deadline_is_failed_with_the_reason():
    registry, log = Registry(job("job_stuck"), job("job_queued", state="queued"), job("job_busy", minutes_ago=1)), InMemoryPublisher()
    failed = await fail_overdue(WATCH, registry, log.publish, min_seq=10, now=NOW)
    assert sorted(failed) == ["job_queued", "job_stuck"]
    stuck = next(e for e in log.events if e.job_id == "job_stuck")
    assert (stuck.state, stuck.job_type, stuck.producer) == ("failed", "simulation", "simulator")
    assert stuck.message == "no progress for 900 s: the simulator did not finish it"
    assert (stuck.step, stuck.progress, stuck.plan_version_id, stuck.run_id) == ("day 146/365", 0.4, "plan_1", "run_1")
    [query] = registry.asked
    assert query.unfinished and query.min_seq == 10 and query.updated_before == NOW - timedelta(seconds=900)


async def test_two_replicas_that_see_the_same_stuck_job_publish_the_same_fact():
    registry, log = Registry(job("job_stuck")), InMemoryPublisher()  # the fake drops a repeated event id, as the stream
    first, second = await asyncio.gather(fail_overdue(WATCH, registry, log.publish, 10, NOW),
                                         fail_overdue(WATCH, registry, log.publish, 10, NOW + timedelta(seconds=30)))
    assert first == second == ["job_stuck"] and len(log.events) == 1


async def test_nothing_is_failed_on_a_view_behind_the_log_or_without_an_answer():
    log = InMemoryPublisher()
    assert await fail_overdue(WATCH, Registry(job("job_stuck"), last_seq=9), log.publish, 10, NOW) == []

    async def silent(subject, query, reply):  # type: ignore[no-untyped-def]
        return ErrorReply(error="unavailable", message="the run registry does not answer")

    with pytest.raises(RegistrySilent, match="does not answer"):
        await fail_overdue(WATCH, silent, log.publish, 10, NOW)
    assert log.events == []


async def test_each_owned_type_has_its_own_deadline_and_zero_means_none():
    registry = Registry(job("job_plan", job_type="planning", minutes_ago=11), job("job_agg", job_type="aggregate"))
    watch = Deadlines("plan_service", "plan_service", {JobType.planning: 600.0, JobType.aggregate: 0})
    log = InMemoryPublisher()
    assert await fail_overdue(watch, registry, log.publish, 10, NOW) == ["job_plan"]
    assert [q.job_type for q in registry.asked] == ["planning"]
    assert log.events[0].message == "no progress for 600 s: plan_service did not finish it"


async def test_the_watch_keeps_checking_after_a_check_fails_and_says_so_once(caplog):
    caplog.set_level(logging.INFO, logger="runtime.deadlines")
    registry, log, calls = Registry(job("job_stuck", updated_at=datetime.now(UTC) - timedelta(hours=1))), InMemoryPublisher(), []
    failed_once = asyncio.Event()

    async def log_end() -> int:
        calls.append(1)
        if len(calls) < 3:
            failed_once.set()
            raise TimeoutError("the bus did not answer")
        return 10

    async def published() -> None:
        while not log.events:
            await asyncio.sleep(0.01)

    watching = asyncio.create_task(watch_deadlines(WATCH, registry, log.publish, log_end, every_s=0.01))
    try:
        await asyncio.wait_for(failed_once.wait(), 5)
        await asyncio.wait_for(published(), 5)
    finally:
        watching.cancel()
    assert log.events[0].job_id == "job_stuck" and len(calls) >= 3
    said = [r.getMessage() for r in caplog.records if "job deadlines" in r.getMessage()]
    assert said == ["job deadlines not checked: TimeoutError: the bus did not answer (tried again every 0.01 s)",
                    "job deadlines checked again"]


def test_the_owners_of_job_types_may_ask_the_registry_for_their_jobs():
    permissions = pytest.importorskip("runtime.nats_permissions")
    for user in ("plan_service", "simulator"):
        assert subjects.QRY_JOBS_LIST in permissions.TABLE[user].publish, f"{user} cannot watch its jobs' deadlines"
