"""The read model's write-ahead log kept small, and left empty by a clean stop, so that a copy
of the database file is a backup once the service has stopped and never far behind while it runs.

SQLite checkpoints the log into the file every ``WAL_AUTOCHECKPOINT_PAGES`` pages on its own; a
checkpoint cannot pass a reader's snapshot, though, and a log once grown keeps its size. So the
file caps the log's size after each checkpoint (``journal_size_limit``), the service checkpoints
with ``TRUNCATE`` every ``wal_checkpoint_every_s`` (the log back to 0 bytes when no reader holds
it), and on a clean stop it checkpoints with ``TRUNCATE`` and closes every connection: the
``-wal`` file is then gone or empty and the main file holds everything.
"""

import asyncio
import logging
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Engine

log = logging.getLogger("run_registry.wal")

WAL_AUTOCHECKPOINT_PAGES = 1000
WAL_SIZE_LIMIT = 8 * 1024 * 1024
"""Bytes the ``-wal`` file is cut back to after each checkpoint (``journal_size_limit``)."""

PRAGMAS = (f"wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}", f"journal_size_limit={WAL_SIZE_LIMIT}")


class Checkpoint(NamedTuple):
    """``PRAGMA wal_checkpoint``'s answer: busy (1 when a reader or writer kept it from
    completing), frames in the log, frames moved into the file."""

    busy: int
    log_frames: int
    checkpointed: int


def checkpoint(engine: Engine, mode: str = "TRUNCATE") -> Checkpoint:
    raw = engine.raw_connection()
    try:
        row = raw.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        raw.close()
    return Checkpoint(*row)


def wal_path(db: Path) -> Path:
    return db.with_name(db.name + "-wal")


def wal_size(db: Path) -> int:
    """Bytes of the ``-wal`` file beside ``db``; 0 when there is none."""
    try:
        return wal_path(db).stat().st_size
    except FileNotFoundError:
        return 0


def close(engine: Engine) -> Checkpoint | None:
    """A clean stop: everything checkpointed into the file, the log truncated, every pooled
    connection closed (the last one to close removes the ``-wal`` file)."""
    try:
        return checkpoint(engine) if engine.url.database not in (None, "", ":memory:") else None
    finally:
        engine.dispose()


async def periodic_checkpoints(live, every_s: float) -> None:  # type: ignore[no-untyped-def]
    """``checkpoint(TRUNCATE)`` of the live file every ``every_s`` seconds (0: never)."""
    if every_s <= 0 or live.settings.registry_backend != "db":
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            done = await asyncio.to_thread(checkpoint, live.engine)
        except Exception as exc:  # noqa: BLE001 - the next one tries again; the service keeps running
            log.warning("WAL checkpoint failed: %s", exc)
            continue
        if done.busy:
            log.info("WAL checkpoint incomplete (a reader holds %d of %d frames); next in %.0f s",
                     done.log_frames - done.checkpointed, done.log_frames, every_s)
