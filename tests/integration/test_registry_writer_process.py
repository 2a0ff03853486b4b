"""The rebuild's forked writer applies batches exactly as the writer does in-process."""

import pytest
from sqlalchemy.exc import OperationalError

from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.writer import ReadModelWriter
from services.run_registry.writer_process import WriterProcess, WriterProcessError, can_fork
from tests.unit.run_registry.registry_helpers import (
    config_created,
    engine_for,
    messages,
    plan_created,
    progress,
    run_completed,
    run_deleted,
    scenario_created,
)


def history() -> list:
    events = [scenario_created(), config_created(), plan_created(job="jp1", sim_job="js1")]
    events += [progress("js1", "running", value=i / 10) for i in range(10)]
    events += [run_completed(f"r{i}") for i in range(4)] + [progress("js1", "succeeded", value=1.0), run_deleted("r1")]
    return events


async def test_batches_applied_in_the_writer_process_give_the_same_tables_and_outcomes(tmp_path):
    (tmp_path / "local").mkdir()
    (tmp_path / "forked").mkdir()
    batch = messages(history()) + [(99, "scpln.events.job.progress", b"not json")]
    local = ReadModelWriter(engine_for("db", tmp_path / "local"), max_runs=3)
    expected = [local.apply_batch(batch[:7]), local.apply_batch(batch[7:])]
    forked = ReadModelWriter(engine_for("db", tmp_path / "forked"), max_runs=3)
    assert can_fork(forked) and not can_fork(ReadModelWriter(engine_for("memory")))
    process = WriterProcess(forked)
    try:
        assert await process.submit(batch[:7]) is None
        outcomes = [await process.submit(batch[7:]), await process.wait()]
    finally:
        await process.close()
    assert outcomes == expected
    assert diff_digests(table_digests(local.engine), table_digests(forked.engine)) == []
    assert forked.last_seq() == 99


async def test_a_database_error_in_the_writer_process_fails_the_replay(tmp_path):
    def locked(event, seq):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    process = WriterProcess(ReadModelWriter(engine_for("db", tmp_path), apply=locked))
    try:
        await process.submit(messages(history()))
        with pytest.raises(OperationalError):
            await process.wait()
    finally:
        await process.close()


async def test_a_writer_process_that_dies_fails_the_replay(tmp_path):
    def dying(event, seq):
        raise SystemExit(3)

    process = WriterProcess(ReadModelWriter(engine_for("db", tmp_path), apply=dying))
    try:
        await process.submit(messages(history()))
        with pytest.raises(WriterProcessError):
            await process.wait()
    finally:
        await process.close()
