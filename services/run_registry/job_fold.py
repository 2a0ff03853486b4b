"""Job changes of a batch folded per job in Python, then written as one row per job.

A job's row after a run of ``AdvanceJob`` changes depends only on its stored row and the
changes in order, so the fold reads the stored rows of the batch's jobs once and writes each
changed job once (a planning job's dozen progress events become one row write).
Job states only move forward: nothing leaves a final state, and running never goes back to
queued; ``plan_version_id``/``run_id`` given as None keep the stored value.
"""

from typing import Any

from sqlalchemy import Connection, bindparam, select

from contracts.events import FINAL_JOB_STATES
from services.run_registry import db, driver_sql

Row = dict[str, Any]
_KEEP_WHEN_NONE = ("plan_version_id", "run_id")
_NEVER_UPDATED = ("job_id", "created_at")
_STORED = select(db.jobs).where(db.jobs.c.job_id.in_(bindparam("ids", expanding=True)))


def advanced(stored: Row | None, change: Row) -> Row | None:
    """The job row after one change (``stored`` itself when the change does not apply)."""
    if stored is None:
        return change
    state = stored["state"]
    if state in FINAL_JOB_STATES or (state == "running" and change["state"] == "queued"):
        return stored
    row = stored | change
    for column in _NEVER_UPDATED:
        if column in stored:
            row[column] = stored[column]
    for column in _KEEP_WHEN_NONE:
        if column in change and change[column] is None:
            row[column] = stored[column]
    return row


def folded(stored: Row | None, changes: list[Row]) -> Row | None:
    """``advanced`` applied change after change, building one row instead of one per change:
    the last change that applies, with ``job_id``/``created_at`` of the first row and each
    keep-when-None column's last value given. Changes carry every column (``projections._job``)."""
    if len(changes) == 1:
        return advanced(stored, changes[0])
    first = stored
    state = stored["state"] if stored is not None else None
    last, kept = None, {column: stored[column] for column in _KEEP_WHEN_NONE} if stored is not None else {}
    for change in changes:
        if state in FINAL_JOB_STATES:
            break
        new_state = change["state"]
        if state == "running" and new_state == "queued":
            continue
        state, last = new_state, change
        if first is None:
            first = change
        for column in _KEEP_WHEN_NONE:
            if change[column] is not None or column not in kept:
                kept[column] = change[column]
    if last is None:
        return stored
    row = dict(last) if stored is None else stored | last
    for column in _NEVER_UPDATED:
        row[column] = first[column]  # type: ignore[index]
    row.update(kept)
    return row


class JobFold:
    """Collects ``AdvanceJob`` rows; ``flush`` folds them per job and writes the changed rows."""

    def __init__(self) -> None:
        self.pending: dict[str, list[Row]] = {}

    def add(self, change: Row) -> None:
        changes = self.pending.get(change["job_id"])
        if changes is None:
            self.pending[change["job_id"]] = [change]
        else:
            changes.append(change)

    def flush(self, conn: Connection, upsert: Any) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        stored = _stored(conn, list(pending))
        by_columns: dict[tuple[str, ...], list[Row]] = {}
        for job_id, changes in pending.items():
            before = stored.get(job_id)
            row = folded(before, changes)
            if row is not before and row is not None:
                by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for columns, rows in by_columns.items():
            driver_sql.executemany(conn, upsert(columns), rows)


def _stored(conn: Connection, job_ids: list[str]) -> dict[str, Row]:
    stored: dict[str, Row] = {}
    for start in range(0, len(job_ids), 500):
        chunk = job_ids[start: start + 500]
        for row in conn.execute(_STORED, {"ids": chunk}):
            stored[row.job_id] = row._asdict()
    return stored
