"""Backups of the registry's read model: SQLite's online backup, consistent while the service
writes. A restored backup loses nothing: it resumes from its own checkpoint and the projection
replays what the log holds after it."""

import asyncio
import contextlib
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from services.run_registry.settings import Settings

log = logging.getLogger("run_registry.backup")


def online_backup(source: Path, target: Path) -> Path:
    """Copy the live database into ``target``: a consistent snapshot, taken while the
    projection goes on writing. All pages are copied in one step, inside one read transaction,
    which in WAL mode never holds the writer up. A backup taken in several steps starts over
    whenever another connection commits between two of them: under a steady flow of events it
    would never finish."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    overwrite(partial, source)
    with contextlib.closing(sqlite3.connect(partial)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal or -shm beside it, ever
    partial.replace(target)
    return target


def overwrite(target: Path, source: Path) -> None:
    """Make the database at ``target`` a copy of the one at ``source``, in one transaction
    through SQLite's backup API. Every connection to ``target``, in this process or another
    (a backup being taken, an operator's ``sqlite3`` shell), sees the whole old database or the whole
    new one, and the WAL stays the target's own. Renaming a file over an open database would
    not: a connection still open on the old file keeps its ``-wal``, whose frames the new
    file's next reader would apply over its pages."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            contextlib.closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)  # all pages in one step: the copy commits once, atomically


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.scpln_db.parent / "backups"


def backup_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"scpln-{stamp}.db"


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return what was deleted."""
    backups = sorted(directory.glob("scpln-*.db"))
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        for side in ("-wal", "-shm", "-journal"):
            Path(f"{path}{side}").unlink(missing_ok=True)
        path.unlink()
    return doomed


def is_registry_database(path: Path) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        return False
    return {"runs", "checkpoint"} <= tables


async def periodic_backups(live, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Every ``backup_every_s`` seconds, back up the live file and keep the newest ``backup_keep``."""
    if settings.backup_every_s <= 0 or settings.registry_backend != "db":
        return
    directory = backup_dir(settings)
    while True:
        await asyncio.sleep(settings.backup_every_s)
        try:
            path = await asyncio.to_thread(online_backup, settings.scpln_db, directory / backup_name())
            removed = prune(directory, settings.backup_keep)
            log.info("backup %s written at checkpoint %d; %d old backups removed", path, live.position.last_seq, len(removed))
        except (OSError, sqlite3.Error) as exc:
            log.error("backup failed: %s", exc)
