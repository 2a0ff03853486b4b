"""The run counters the writer keeps next to the runs (see ``RunCounts``)."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert

from services.run_registry import db

DROPPED = "runs_dropped_by_retention"
UNDECODABLE = "events_undecodable"
"""Messages of the log that are no event the registry reads (dead letters; the checkpoint moves)."""
DUPLICATE_FINAL_FACTS = "duplicate_final_facts"
"""RunCompleted / RunFailed events for a run that already had its final fact (changed nothing)."""
_STATUSES = ("succeeded", "failed")


class RunCounts:
    """Runs per status, per lower-case scenario name, and dropped by retention, cached in
    ``counters`` so that the run list's common totals need no COUNT over the runs."""

    def __init__(self, values: dict[str, int]) -> None:
        self.values = values

    @classmethod
    def load(cls, conn: Connection) -> RunCounts:
        return cls(dict(conn.execute(select(db.counters.c.name, db.counters.c.value)).all()))

    def copy(self) -> RunCounts:
        return RunCounts(dict(self.values))

    def restore(self, other: RunCounts) -> None:
        self.values = dict(other.values)

    def add(self, name: str, delta: int) -> None:
        self.values[name] = self.values.get(name, 0) + delta

    def count_run(self, status: str, name_lc: str, delta: int) -> None:
        self.add(f"runs:{status}", delta)
        self.add(f"runs_named:{name_lc}", delta)

    @property
    def total(self) -> int:
        return sum(self.values.get(f"runs:{status}", 0) for status in _STATUSES)

    def save(self, conn: Connection) -> None:
        stmt = insert(db.counters)
        stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": stmt.excluded.value})
        if self.values:
            conn.execute(stmt, [{"name": k, "value": v} for k, v in sorted(self.values.items())])


