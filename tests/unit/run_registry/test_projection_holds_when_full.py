"""A batch the read model cannot take for want of space is held and applied again once it can:
nothing is skipped, the storage says why meanwhile."""

import asyncio
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest
from registry_helpers import engine_for, scenario_created
from sqlalchemy.exc import IntegrityError, OperationalError

from contracts import subjects
from runtime.storage import Storage
from services.run_registry.follow import apply_when_stored
from services.run_registry.position import Position
from services.run_registry.writer import ReadModelWriter

Usage = namedtuple("Usage", "total used free")
DISK_FULL = OperationalError("INSERT INTO scenarios …", {}, sqlite3.OperationalError("database or disk is full"))


class FullFor(ReadModelWriter):
    """A writer whose database is full for its first ``tries`` batches."""

    def __init__(self, engine, tries: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine)
        self.tries = tries

    def apply_batch(self, messages, projected=None):  # type: ignore[no-untyped-def]
        if self.tries:
            self.tries -= 1
            raise DISK_FULL
        return super().apply_batch(messages, projected)


def storage() -> Storage:
    return Storage("run_registry", Path("/data"), 0, disk_usage=lambda _p: Usage(100, 50, 50))  # type: ignore[arg-type]


def batch() -> list:
    return [(1, subjects.SCENARIO_CREATED, scenario_created().model_dump_json().encode())]


async def test_a_full_database_holds_the_batch_until_it_is_applied():
    writer, seen = FullFor(engine_for("memory"), tries=3), storage()
    applying = asyncio.create_task(apply_when_stored(writer, batch(), Position(), seen, asyncio.Event(), max_wait_s=0.05))
    while writer.tries:
        await asyncio.sleep(0.01)
    report = seen.report()
    assert report.writes_failing and "the read model: (sqlite3.OperationalError) database or disk is full" in \
        report.last_write_error  # type: ignore[operator]
    outcome = await asyncio.wait_for(applying, 5)
    assert outcome.last_seq == 1 and writer.last_seq() == 1 and not seen.report().writes_failing


async def test_a_stop_while_held_gives_up_without_applying():
    writer, stop = FullFor(engine_for("memory"), tries=1000), asyncio.Event()
    applying = asyncio.create_task(apply_when_stored(writer, batch(), Position(), storage(), stop, max_wait_s=0.05))
    await asyncio.sleep(0.1)
    stop.set()
    assert await asyncio.wait_for(applying, 5) is None and writer.last_seq() == 0


async def test_any_other_failure_is_raised():
    class Broken(ReadModelWriter):
        def apply_batch(self, messages, projected=None):  # type: ignore[no-untyped-def]
            raise IntegrityError("INSERT", {}, Exception("constraint"))

    with pytest.raises(IntegrityError):
        await apply_when_stored(Broken(engine_for("memory")), batch(), Position(), storage(), asyncio.Event())
