"""The registry's SQLite file: pragmas, durability across reopen, readers alongside the
writer, and the same tables as the in-memory backend for the same events."""

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "run_registry"))

from registry_helpers import T0, engine_for, messages, plan_created, progress, run_completed, scenario_created
from sqlalchemy import text

from contracts import queries as q
from services.run_registry import db, queries
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.writer import ReadModelWriter


def events(count: int) -> list:
    runs = [run_completed(f"r{i:03d}", started=T0 + timedelta(minutes=i)) for i in range(count)]
    return [scenario_created(), plan_created(), progress("js1", "running"), *runs]


def test_the_file_runs_in_wal_with_normal_sync_and_no_foreign_keys(tmp_path):
    engine = engine_for("db", tmp_path)
    with engine.connect() as conn:
        pragmas = [conn.execute(text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous", "foreign_keys")]
    assert pragmas == ["wal", 1, 0]


def test_a_reopened_file_resumes_from_its_checkpoint(tmp_path):
    engine = engine_for("db", tmp_path)
    ReadModelWriter(engine).apply_batch(messages(events(5)))
    engine.dispose()
    reopened = db.open_engine("db", str(tmp_path / "registry.db"))
    writer = ReadModelWriter(reopened)
    assert writer.last_seq() == 8
    outcome = writer.apply_batch(messages(events(7)))
    assert (outcome.skipped, outcome.applied, outcome.runs_completed) == (8, 2, 2)
    with reopened.connect() as conn:
        assert queries.list_runs(conn, q.ListRuns()).total == 7


def test_readers_keep_answering_while_the_writer_commits(tmp_path):
    engine = engine_for("db", tmp_path)
    writer = ReadModelWriter(engine)
    writer.apply_batch(messages(events(3)))
    reader_engine = db.open_engine("db", str(tmp_path / "registry.db"))
    with reader_engine.connect() as reader:
        before = queries.list_runs(reader, q.ListRuns()).total
        writer.apply_batch(messages([run_completed("late", started=T0 + timedelta(days=1))], start=7))
        assert queries.list_runs(reader, q.ListRuns()).total == before == 3
    with reader_engine.connect() as reader:
        page = queries.list_runs(reader, q.ListRuns(limit=1))
        assert (page.total, page.runs[0].run_id, page.last_seq) == (4, "late", 7)


def test_the_memory_backend_shares_one_database_between_connections():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(events(2)))
    with engine.connect() as one:
        first = queries.status(one).runs
    with engine.connect() as two:
        assert queries.status(two).runs == first == 2


def test_file_and_memory_backends_build_identical_tables(tmp_path):
    file_engine, memory_engine = engine_for("db", tmp_path), engine_for("memory")
    batch = messages(events(40))
    ReadModelWriter(memory_engine, max_runs=25).apply_batch(batch)
    writer = ReadModelWriter(file_engine, max_runs=25)
    for start in range(0, len(batch), 7):
        writer.apply_batch(batch[start: start + 7])
    live, rebuilt = table_digests(memory_engine), table_digests(file_engine)
    assert diff_digests(live, rebuilt) == []
    ReadModelWriter(file_engine).apply_batch(messages([run_completed("extra")], start=100))
    assert diff_digests(live, table_digests(file_engine)) == ["checkpoint", "counters", "runs"]
