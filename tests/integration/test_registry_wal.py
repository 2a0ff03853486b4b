"""The registry's write-ahead log stays bounded while the service writes, and a clean stop
leaves no ``-wal`` content: a plain copy of the main file is then a complete database."""

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import text

from services.run_registry import wal
from services.run_registry.db import create_schema, metadata, open_engine

BLOB = os.urandom(48 * 1024)
PAGES_BYTES = wal.WAL_AUTOCHECKPOINT_PAGES * 4096


def fill(engine, transactions: int) -> int:
    """Writes in many small transactions; the largest size the -wal file had meanwhile."""
    largest = 0
    db = engine.url.database
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (k INTEGER PRIMARY KEY, v BLOB)"))
    for k in range(transactions):
        with engine.begin() as conn:
            conn.execute(text("INSERT OR REPLACE INTO filler VALUES (:k, :v)"), {"k": k % 50, "v": BLOB})
        largest = max(largest, wal.wal_size(Path(db)))
    return largest


def test_the_log_stays_within_its_bound_while_writing_and_a_clean_stop_leaves_none(tmp_path):
    path = tmp_path / "scpln.db"
    engine = open_engine("db", str(path))
    create_schema(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == wal.WAL_SIZE_LIMIT
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == wal.WAL_AUTOCHECKPOINT_PAGES
    written = 800 * len(BLOB)
    largest = fill(engine, 800)
    assert written > 4 * max(wal.WAL_SIZE_LIMIT, PAGES_BYTES)
    assert largest <= max(wal.WAL_SIZE_LIMIT, PAGES_BYTES) + 2 * len(BLOB) + 64 * 1024, largest
    assert wal.checkpoint(engine) == (0, 0, 0) and wal.wal_size(path) == 0

    fill(engine, 20)
    assert wal.wal_size(path) > 0
    wal.close(engine)
    assert wal.wal_size(path) == 0

    copy = tmp_path / "copy" / "scpln.db.bak"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert set(metadata.tables) <= tables
        assert db.execute("SELECT count(*) FROM filler").fetchone()[0] == 50
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_the_service_checkpoints_its_log_periodically(tmp_path):
    path = tmp_path / "scpln.db"
    engine = open_engine("db", str(path))
    create_schema(engine)
    fill(engine, 30)
    assert wal.wal_size(path) > 0
    live = SimpleNamespace(settings=SimpleNamespace(registry_backend="db"), engine=engine)
    task = asyncio.create_task(wal.periodic_checkpoints(live, 0.05))
    try:
        for _ in range(400):
            if wal.wal_size(path) == 0:
                break
            await asyncio.sleep(0.025)
        assert wal.wal_size(path) == 0
    finally:
        task.cancel()
        engine.dispose()


async def test_no_periodic_checkpoint_without_a_file():
    live = SimpleNamespace(settings=SimpleNamespace(registry_backend="memory"), engine=None)
    assert await wal.periodic_checkpoints(live, 0.01) is None
    engine = open_engine("memory")
    assert wal.close(engine) is None
