"""The registry's SQLite file: pragmas, durability across reopen, readers alongside the
writer, the same tables as the in-memory backend for the same events, swapping a rebuilt file
in, and backups taken while it writes."""

import contextlib
import os
import sqlite3
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "run_registry"))

import pytest
from registry_helpers import (
    T0,
    engine_for,
    messages,
    plan_created,
    progress,
    run_completed,
    run_deleted,
    run_ids,
    scenario_created,
)
from sqlalchemy import text

from contracts import queries as q
from contracts.commands import ErrorReply, ReadModelSwapped, SwapReadModel
from contracts.events import ReadModelReplaced
from runtime.publisher import InMemoryPublisher
from services.run_registry import db, handlers, queries
from services.run_registry.backup import is_registry_database, online_backup, overwrite, prune
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.live import LiveReadModel
from services.run_registry.rebuild import fresh_writer
from services.run_registry.settings import Settings
from services.run_registry.staging import staged_path
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
    assert diff_digests(live, table_digests(file_engine)) == ["checkpoint", "counters", "finished_runs", "runs"]


@pytest.fixture()
def live(tmp_path, monkeypatch) -> LiveReadModel:
    """The live read model on a file, its projection not started (no log to follow here)."""
    monkeypatch.setattr(LiveReadModel, "start", lambda self, js: None)
    return LiveReadModel(Settings(scpln_db=tmp_path / "live.db"))


def rebuilt(path: Path, count: int) -> Path:
    writer = fresh_writer(path, None)
    writer.apply_batch(messages([*events(count)[:3], *(run_completed(f"n{i:03d}") for i in range(count))]))
    db.make_durable(writer.engine)
    writer.engine.dispose()
    return path


async def test_a_swap_gives_exactly_the_new_file_while_another_connection_holds_the_old_one(live, tmp_path):
    live.writer.apply_batch(messages(events(3)))
    other = sqlite3.connect(tmp_path / "live.db")  # a backup being taken, say: the old file's WAL stays
    try:
        assert other.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        assert await live.swap_in(rebuilt(tmp_path / "new.db", 5)) == (6, 8)  # (replaced, now live)
        assert run_ids(live.engine) == ["n000", "n001", "n002", "n003", "n004"]
        live.writer.apply_batch(messages([run_completed("after")], start=9))
    finally:
        other.close()  # the last connection on the old file: it must not take the new one's WAL
    live.engine.dispose()
    reopened = db.open_engine("db", str(tmp_path / "live.db"))
    assert run_ids(reopened) == ["after", "n000", "n001", "n002", "n003", "n004"]
    assert ReadModelWriter(reopened).last_seq() == 9
    with reopened.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert not (tmp_path / "new.db").exists()


async def test_a_swap_that_fails_leaves_the_live_file_as_it_was_and_resumes(live, tmp_path, monkeypatch):
    live.writer.apply_batch(messages(events(3)))
    resumed = []
    monkeypatch.setattr(LiveReadModel, "start", lambda self, js: resumed.append(True))
    not_a_database = tmp_path / "new.db"
    not_a_database.write_bytes(b"not sqlite" * 1000)
    with pytest.raises(sqlite3.DatabaseError):
        await live.swap_in(not_a_database)
    assert resumed == [True]
    assert (run_ids(live.engine), live.position.last_seq) == (["r000", "r001", "r002"], 6)


def test_a_read_model_from_before_finished_runs_knows_the_runs_it_holds_and_deleted(tmp_path):
    engine = engine_for("db", tmp_path)
    ReadModelWriter(engine).apply_batch(messages([*events(2), run_deleted("r000")]))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE finished_runs")  # the layout before it
    db.create_schema(engine)
    outcome = ReadModelWriter(engine).apply_batch(messages([run_completed("r000"), run_completed("r001")], start=7))
    assert len(outcome.duplicates) == 2 and run_ids(engine) == ["r001"]


def test_a_backup_finishes_and_is_consistent_while_the_writer_keeps_committing(tmp_path):
    engine = engine_for("db", tmp_path)
    ReadModelWriter(engine).apply_batch(messages(events(3)))
    live = tmp_path / "registry.db"
    with contextlib.closing(sqlite3.connect(live)) as conn, conn:  # ~25 MB: thousands of pages to copy
        conn.execute("CREATE TABLE ballast(b BLOB)")
        conn.executemany("INSERT INTO ballast VALUES (?)", [(os.urandom(1024),) for _ in range(24_000)])
    stop, commits = threading.Event(), []

    def writer() -> None:  # another connection commits all the time, as the live projection does
        with contextlib.closing(sqlite3.connect(live, timeout=30)) as conn:
            while not stop.is_set():
                with conn:
                    conn.execute("INSERT INTO ballast VALUES (x'00')")
                commits.append(1)
                time.sleep(0.002)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not commits:
            time.sleep(0.01)
        finished = threading.Thread(target=online_backup, args=(live, tmp_path / "backup.db"), daemon=True)
        finished.start()
        finished.join(120)
        assert not finished.is_alive(), "a backup that restarts at every commit never ends"
    finally:
        stop.set()
        thread.join()
    with contextlib.closing(sqlite3.connect(tmp_path / "backup.db")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert 24_000 < copy.execute("SELECT count(*) FROM ballast").fetchone()[0] <= 24_000 + len(commits)
    assert is_registry_database(tmp_path / "backup.db")


def test_a_backup_is_one_self_contained_file_and_restoring_it_keeps_the_live_file_in_wal(tmp_path):
    engine = engine_for("db", tmp_path)
    ReadModelWriter(engine).apply_batch(messages(events(3)))
    backup = online_backup(tmp_path / "registry.db", tmp_path / "backups" / "scpln-1.db")
    assert is_registry_database(backup)
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert sorted(p.name for p in backup.parent.iterdir()) == ["scpln-1.db"]
    ReadModelWriter(engine).apply_batch(messages(events(5)))
    overwrite(tmp_path / "registry.db", backup)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert queries.list_runs(conn, q.ListRuns()).total == 3


def test_pruning_backups_takes_their_side_files_with_them(tmp_path):
    for n in range(4):
        (tmp_path / f"scpln-{n}.db").write_bytes(b"")
    (tmp_path / "scpln-0.db-wal").write_bytes(b"")
    (tmp_path / "scpln-1.db-shm").write_bytes(b"")
    assert [p.name for p in prune(tmp_path, keep=2)] == ["scpln-0.db", "scpln-1.db"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scpln-2.db", "scpln-3.db"]


class Unreachable:
    async def publish(self, event) -> int:  # type: ignore[no-untyped-def]
        raise TimeoutError("nats: timeout")


async def test_a_swap_records_who_asked_and_says_so_when_the_log_cannot_be_written(live, tmp_path):
    live.writer.apply_batch(messages(events(3)))
    staged = staged_path(live.settings.scpln_db, "rebuild")
    publisher = InMemoryPublisher()
    command = SwapReadModel(path=str(rebuilt(staged, 5)), reason="rebuild", by="olga")
    assert await handlers.swap_read_model(command, live, publisher) == ReadModelSwapped(last_seq=8, recorded_seq=1)
    [fact] = publisher.events
    assert isinstance(fact, ReadModelReplaced)
    assert (fact.by, fact.reason, fact.path, fact.last_seq, fact.replaced_seq) == ("olga", "rebuild", str(staged), 8, 6)
    assert not staged.exists()
    again = SwapReadModel(path=str(rebuilt(staged, 2)), reason="rebuild", by="olga")
    assert await handlers.swap_read_model(again, live, Unreachable()) == ReadModelSwapped(last_seq=5, recorded_seq=None)
    assert run_ids(live.engine) == ["n000", "n001"]
    refused = await handlers.swap_read_model(SwapReadModel(path=str(live.settings.scpln_db), by="x"), live, publisher)
    assert isinstance(refused, ErrorReply) and refused.error == "not_allowed"
    assert run_ids(live.engine) == ["n000", "n001"] and len(publisher.events) == 1
