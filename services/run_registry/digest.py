"""Digests of the read model, table by table: ``scpln registry rebuild --verify`` compares a
rebuilt database with the live one and names the tables that differ.

Rows are hashed as stored (raw SQLite values), ordered by primary key, so two databases built
from the same events digest the same whatever the batching, insert order or rowids. Columns
that record wall-clock time of the writer itself (``dead_letters.recorded_at``) are left out, and
so is when a run dropped by retention released its objects (``pending_object_deletions.since``:
the newest run of the batch that dropped it, see ``releases``).
"""

import hashlib

from sqlalchemy import Engine, Table

from services.run_registry import db

EXCLUDED_COLUMNS = {("dead_letters", "recorded_at"), ("pending_object_deletions", "since")}


def _select_sql(table: Table) -> str:
    columns = [c.name for c in table.columns if (table.name, c.name) not in EXCLUDED_COLUMNS]
    order = [c.name for c in table.primary_key] or columns
    return f"SELECT {', '.join(columns)} FROM {table.name} ORDER BY {', '.join(order)}"


def table_digests(engine: Engine) -> dict[str, str]:
    """sha256 of every read-model table, by table name (sorted)."""
    digests = {}
    with engine.connect() as conn:
        for name in sorted(db.metadata.tables):
            table = db.metadata.tables[name]
            sha = hashlib.sha256(", ".join(c.name for c in table.columns).encode())
            for row in conn.exec_driver_sql(_select_sql(table)):
                sha.update(repr(tuple(row)).encode())
                sha.update(b"\n")
            digests[name] = sha.hexdigest()
    return digests


def diff_digests(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Names of the tables whose digests differ (or that only one side has), sorted."""
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
