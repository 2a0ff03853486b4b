"""A full disk: new work refused at once with the cause, work already accepted waits for its
writes, each service reports how its writes fare."""

import asyncio
import errno
import json
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import APIError, BadRequestError, ServerError
from sqlalchemy.exc import OperationalError

from contracts.commands import ErrorReply, RerunPlan
from contracts.events import JobProgress, JobState, JobType
from contracts.storage import StorageStatus
from runtime.patience import PatientPublisher, until_done
from runtime.publisher import InMemoryPublisher
from runtime.rpc import answer
from runtime.storage import REFUSE_AFTER_FAILURE_S, Storage, StorageFull, no_space_cause
from runtime.storage_report import StorageBoard

MB = 2**20
Usage = namedtuple("Usage", "total used free")
# what nats-server 2.12 answered in a real run on a full tmpfs (the object store; the event log gave no answer)
OBJECT_STORE_FULL = ServerError(code=500, err_code=10051, description=(
    "write /data/jetstream/jetstream/$G/streams/OBJ_scpln-artifacts/msgs/1.blk: no space left on device"))


class Disk:
    def __init__(self, free: int) -> None:
        self.free = free
        self.now = 1000.0

    def usage(self, _path: Path) -> Usage:
        return Usage(100 * MB, 100 * MB - self.free, self.free)

    def clock(self) -> float:
        return self.now


def storage_on(disk: Disk, reserve: int = 10 * MB) -> Storage:
    return Storage("plan_service", Path("/data"), reserve, clock=disk.clock, disk_usage=disk.usage)  # type: ignore[arg-type]


@pytest.mark.parametrize("error", [
    OBJECT_STORE_FULL,
    APIError(code=500, err_code=10047, description="insufficient storage resources available"),
    APIError(code=503, err_code=10077, description="write …/msgs/2.blk: no space left on device"),
    OperationalError("INSERT INTO runs …", {}, sqlite3.OperationalError("database or disk is full")),
    OSError(errno.ENOSPC, "No space left on device"),
])
def test_the_words_of_a_full_disk_are_found_in_each_layer_that_says_it(error):
    assert no_space_cause(error)


@pytest.mark.parametrize("error", [NatsTimeout(), BadRequestError(code=400, err_code=10003, description="bad request"),
                                   ValueError("no")])
def test_other_failures_are_not_a_full_disk(error):
    assert no_space_cause(error) is None


async def test_below_the_reserve_new_work_is_refused_at_once_naming_the_disk():
    disk = Disk(free=3 * MB)
    refusal = storage_on(disk).refusal()
    assert isinstance(refusal, ErrorReply) and refusal.error == "storage_full"
    assert refusal.message.startswith("the event log's disk is full: 3.0 MB free in /data, below the 10.0 MB kept")
    disk.free = 50 * MB
    assert storage_on(disk).refusal() is None


async def test_a_write_refused_for_want_of_space_refuses_new_work_for_a_few_seconds_until_a_write_succeeds():
    disk = Disk(free=50 * MB)
    storage = storage_on(disk)
    full = await storage.failed(OBJECT_STORE_FULL)
    assert isinstance(full, StorageFull) and "no space left on device" in str(full)
    assert storage.refusal() is not None and storage.report().writes_failing
    disk.now += REFUSE_AFTER_FAILURE_S + 1
    assert storage.refusal() is None, "then one request may try again"
    storage.stored()
    report = storage.report()
    assert not report.writes_failing and report.last_write_error and "no space left" in report.last_write_error


async def test_an_unanswered_write_is_a_full_disk_when_the_disk_is_short_of_the_reserve():
    disk = Disk(free=1 * MB)
    assert isinstance(await storage_on(disk).failed(NatsTimeout()), StorageFull)
    disk.free = 50 * MB
    storage = storage_on(disk)
    assert await storage.failed(NatsTimeout()) is None, "with space free it is only a write without an answer"
    assert storage.report().writes_failing and storage.refusal() is None


async def test_a_command_is_refused_before_its_handler_runs_and_a_storage_full_write_is_its_reply():
    ran: list[object] = []

    async def handle(cmd: RerunPlan) -> ErrorReply:
        ran.append(cmd)
        raise StorageFull("the event log's disk is full: a write was refused (no space left on device)")

    body = RerunPlan(plan_version_id="plan_1").model_dump_json().encode()
    refused = ErrorReply(error="storage_full", message="the event log's disk is full")
    assert json.loads(await answer(RerunPlan, handle, body, refuse=lambda: refused))["error"] == "storage_full"
    assert ran == []
    reply = json.loads(await answer(RerunPlan, handle, body, refuse=lambda: None))
    assert reply["error"] == "storage_full" and "no space left on device" in reply["message"] and len(ran) == 1


async def test_a_write_that_times_out_is_unavailable_not_an_internal_error():
    async def handle(_cmd: RerunPlan) -> ErrorReply:
        raise NatsTimeout

    reply = json.loads(await answer(RerunPlan, handle, RerunPlan(plan_version_id="p").model_dump_json().encode()))
    assert reply["error"] == "unavailable"


class FullThenFree(InMemoryPublisher):
    def __init__(self, failures: list[BaseException]) -> None:
        super().__init__()
        self.failures = failures
        self.tries = 0

    async def publish(self, event) -> int:  # type: ignore[no-untyped-def]
        self.tries += 1
        if self.failures:
            raise self.failures.pop(0)
        return await super().publish(event)


async def test_accepted_work_waits_for_its_write_and_stores_the_same_event_once():
    inner = FullThenFree([StorageFull("disk full"), NatsTimeout(), StorageFull("disk full")])
    event = JobProgress(correlation_id="job_1", producer="plan_service", job_id="job_1", job_type=JobType.planning,
                        state=JobState.running, progress=0.5)
    await asyncio.wait_for(PatientPublisher(inner).publish(event), timeout=10)
    assert inner.tries == 4 and [e.event_id for e in inner.events] == [event.event_id]


async def test_a_failure_that_is_no_wait_is_raised():
    async def bad() -> None:
        raise ValueError("a bug, not the disk")

    with pytest.raises(ValueError):
        await until_done(bad, "storing a bug")


def test_the_board_says_what_is_wrong_with_each_service_and_forgets_silent_ones():
    disk = Disk(free=3 * MB)
    board = StorageBoard(storage_on(Disk(free=50 * MB)), clock=disk.clock)
    report = StorageStatus(service="simulator", data_dir="/data", free_bytes=50 * MB, total_bytes=100 * MB,
                           reserve_bytes=10 * MB, writes_failing=True, last_write_error="no space left on device",
                           failing_since="2026-01-01T10:00:00Z", reported_at="2026-01-01T10:00:05Z")
    board.heard(report.model_dump_json().encode())
    board.heard(b"not a report")
    assert [s.service for s in board.statuses()] == ["plan_service", "simulator"]
    [line] = board.trouble()
    assert line.startswith("simulator: writes fail since 10:00:00 UTC: no space left on device")
    disk.now += 31
    assert board.trouble() == [] and [s.service for s in board.statuses()] == ["plan_service"]
