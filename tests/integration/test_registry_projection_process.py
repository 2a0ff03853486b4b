"""The rebuild's forked projection gives exactly what the writer gets by projecting in-process."""

import platform
import uuid

import pytest

from contracts.subjects import JOB_PROGRESS
from runtime.log_reader import read_log
from runtime.publisher import JetStreamPublisher
from services.run_registry import projections
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.projection_process import ProjectionProcess, ProjectionProcessError
from services.run_registry.rebuild import keep_freed_memory, replay_into
from services.run_registry.writer import ReadModelWriter
from tests.unit.run_registry.registry_helpers import (
    config_created,
    engine_for,
    messages,
    plan_created,
    progress,
    rows,
    run_completed,
    run_deleted,
    scenario_created,
)


def history() -> list:
    events = [scenario_created(), config_created(), plan_created(job="jp1", sim_job="js1")]
    events += [progress("js1", "running", value=i / 10) for i in range(10)]
    events += [run_completed(f"r{i}") for i in range(4)] + [progress("js1", "succeeded", value=1.0), run_deleted("r1")]
    return events


def not_here(event, seq):  # type: ignore[no-untyped-def]
    raise AssertionError("the writer projected a batch the projection process had projected")


async def test_batches_projected_in_the_forked_process_give_the_same_tables_and_outcomes(tmp_path):
    (tmp_path / "local").mkdir()
    (tmp_path / "forked").mkdir()
    batch = messages(history()) + [(99, JOB_PROGRESS, b"not json")]
    local = ReadModelWriter(engine_for("db", tmp_path / "local"), max_runs=3)
    expected = [local.apply_batch(batch[:7]), local.apply_batch(batch[7:])]
    writer = ReadModelWriter(engine_for("db", tmp_path / "forked"), max_runs=3, apply=not_here)
    process = ProjectionProcess(projections.apply)
    try:
        assert await process.exchange(batch[:7]) is None
        first = await process.exchange(batch[7:])
        outcomes = [writer.apply_batch(batch[:7], first), writer.apply_batch(batch[7:], await process.wait())]
    finally:
        await process.close()
    assert outcomes == expected
    assert diff_digests(table_digests(local.engine), table_digests(writer.engine)) == []
    assert writer.last_seq() == 99


async def test_an_event_that_fails_in_the_projection_process_is_dead_lettered_by_the_writer(tmp_path):
    def poisoned(event, seq):  # type: ignore[no-untyped-def]
        if seq == 5:
            raise RuntimeError("cannot apply")
        return projections.apply(event, seq)

    batch = messages(history())
    writer = ReadModelWriter(engine_for("db", tmp_path), apply=poisoned)
    process = ProjectionProcess(poisoned)
    try:
        await process.exchange(batch)
        projected = await process.wait()
    finally:
        await process.close()
    assert projected is not None and projected.failed
    outcome = writer.apply_batch(batch, projected)
    assert (outcome.dead_lettered, outcome.applied, outcome.last_seq) == (1, len(batch) - 1, len(batch))
    assert [letter["seq"] for letter in rows(writer.engine, "dead_letters", "seq")] == [5]


async def test_a_projection_process_that_dies_fails_the_replay():
    def dying(event, seq):  # type: ignore[no-untyped-def]
        raise SystemExit(3)

    process = ProjectionProcess(dying)
    try:
        await process.exchange(messages(history()))
        with pytest.raises(ProjectionProcessError, match="ended unexpectedly"):
            await process.wait()
    finally:
        await process.close()


@pytest.mark.parametrize("workers", [1, 2, 3])
async def test_a_replay_in_many_small_batches_through_projection_processes_equals_one_in_process(js, tmp_path, workers):
    publisher = JetStreamPublisher(js)
    events = history() * 3 + [progress(f"job{i}", "running", value=0.5) for i in range(150)]
    for event in events:
        await publisher.publish(event.model_copy(update={"event_id": uuid.uuid4()}))
    (tmp_path / "replayed").mkdir()
    replayed = ReadModelWriter(engine_for("db", tmp_path / "replayed"), max_runs=3)
    assert await replay_into(js, replayed, batch=7, workers=workers) == len(events)
    alone = ReadModelWriter(engine_for("memory"), max_runs=3)
    alone.apply_batch([m async for batch in read_log(js) for m in batch])
    assert replayed.last_seq() == alone.last_seq() == len(events)
    assert diff_digests(table_digests(alone.engine), table_digests(replayed.engine)) == []


async def test_projection_processes_started_one_after_another_all_end_when_closed():
    pool: list[ProjectionProcess] = []
    for _ in range(3):
        pool.append(ProjectionProcess(projections.apply, siblings=pool))
    for process in pool:
        await process.close()
    assert [process._process.exitcode for process in pool] == [0, 0, 0]  # none had to be killed


def test_a_replay_keeps_the_memory_it_frees_where_the_c_library_is_glibc():
    assert keep_freed_memory() is (platform.libc_ver()[0] == "glibc")
