"""Reading an original scpln RunRegistry database (../shared/seed/SCHEMA.md), read-only, after
checking it is one: an SQLite file with the original's tables at a schema revision we know."""

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KNOWN_REVISIONS = frozenset({"7f8e8f1dd0f5"})
"""alembic heads of the original whose tables this importer reads as SCHEMA.md describes them."""

REQUIRED: dict[str, frozenset[str]] = {
    "runs": frozenset({"run_id", "started_at", "duration_ms", "summary", "scenario_id", "config_version_id",
                       "plan_version_id", "plan_job_id", "input_set_label"}),
    "runs_meta": frozenset({"run_id", "approved_at", "approved_by", "baseline", "archived", "note"}),
    "plan_versions": frozenset({"version_id", "created_at", "base_scenario_id", "status", "config_version_id"}),
    "plan_artifacts": frozenset({"version_id", "name", "json_text"}),
    "scenarios": frozenset({"id", "name", "parent_id", "tag", "description", "locked", "created_at"}),
    "canonical_config_versions": frozenset({"id", "name", "status", "metadata_json", "created_at", "is_deleted"}),
    "alembic_version": frozenset({"version_num"}),
}
CONFIG_CHILDREN = ("canonical_items", "canonical_nodes", "canonical_node_items", "canonical_node_production",
                   "canonical_arcs", "canonical_boms", "canonical_demands", "canonical_capacities",
                   "canonical_calendars", "canonical_hierarchies")
SQLITE_MAGIC = b"SQLite format 3\x00"
ANCHORS = (("scenarios", "SELECT id, created_at FROM scenarios ORDER BY id LIMIT 1"),
           ("canonical_config_versions", "SELECT id, created_at FROM canonical_config_versions ORDER BY id LIMIT 1"),
           ("runs", "SELECT run_id, started_at FROM runs ORDER BY started_at, run_id LIMIT 1"))
"""Rows that name a database and never change as it grows: its first scenario (the original
creates ``default`` when it starts on an empty database), else its first config version, else its
first run; with its creation time, which two databases do not share."""
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class NotLegacyDatabase(Exception):
    """The file is not an original scpln database this importer can read; the message says why."""


@dataclass(frozen=True)
class LegacySource:
    path: Path
    sha256: str
    revision: str
    db: sqlite3.Connection
    source: str
    """The database's key: the namespace of the ids its rows get here (``source_key``)."""

    def rows(self, sql: str, *args: object) -> Iterator[dict[str, Any]]:
        cursor = self.db.execute(sql, args)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def count(self, table: str) -> int:
        return int(self.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def has_table(self, table: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def source_key(db: sqlite3.Connection, named: str | None = None) -> str:
    """``named`` when given (lower-case letters, digits and dashes), else ``db-`` and 8 hex digits of
    the database's first anchor row (``ANCHORS``), the same however much the database grew since."""
    if named is not None:
        if not SOURCE_NAME.match(named):
            raise NotLegacyDatabase(f"--source {named!r}: use 1 to 32 lower-case letters, digits and dashes")
        return named
    for table, sql in ANCHORS:
        if (row := db.execute(sql).fetchone()) is not None:
            return "db-" + hashlib.sha256(f"{table}/{row[0]}/{row[1]}".encode()).hexdigest()[:8]
    return "db-empty"


def open_legacy(path: Path, source: str | None = None) -> LegacySource:
    """The database, or ``NotLegacyDatabase``. Nothing is written to it (opened read-only).
    ``source`` names its key instead of deriving it (``source_key``)."""
    if not path.is_file():
        raise NotLegacyDatabase(f"{path}: no such file")
    with path.open("rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise NotLegacyDatabase(f"{path}: not an SQLite database (the original scpln's RunRegistry is one)")
    db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        revision = _check(db, path)
        key = source_key(db, source)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise NotLegacyDatabase(f"{path}: the database cannot be read whole ({exc}); is it truncated or damaged?") from None
    except NotLegacyDatabase:
        db.close()
        raise
    return LegacySource(path, digest(path), revision, db, key)


def _check(db: sqlite3.Connection, path: Path) -> str:
    if (result := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
        raise NotLegacyDatabase(f"{path}: the database is damaged ({result})")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if missing := sorted(set(REQUIRED) - tables):
        raise NotLegacyDatabase(f"{path}: not an original scpln RunRegistry database (no table {', '.join(missing)})")
    for table, needed in REQUIRED.items():
        columns = {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}
        if lacking := sorted(needed - columns):
            raise NotLegacyDatabase(f"{path}: table {table} has no column {', '.join(lacking)}; not a schema this "
                                    "importer knows")
    revisions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    if len(revisions) != 1 or revisions[0] not in KNOWN_REVISIONS:
        raise NotLegacyDatabase(f"{path}: schema revision {', '.join(map(str, revisions)) or '(none)'} is not one this "
                                f"importer knows ({', '.join(sorted(KNOWN_REVISIONS))}); a newer scpln's database "
                                "is refused rather than read wrongly")
    return revisions[0]


def loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default
