"""Job changes of a batch folded per job in Python, then written as one row per job.

Job states only move forward: nothing leaves a final state, and running never goes back to
queued; ``plan_version_id``/``run_id`` given as None keep the stored value (``advanced``,
one change at a time). A job's changes in a batch are first folded without its stored row
(``summarize``: pure, so a replay runs it in the process that projects), then ``merged``
with the stored row when written: a planning job's dozen progress events become one row.
The stored row matters only by its state: from no row and from a queued one the same
changes apply; from a running one every queued change is skipped; from a final one none.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

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


class Partial(NamedTuple):
    """Changes folded from one starting state: the never-updated columns of the first change
    applied, the last change applied, and each keep-when-None column's last non-None value."""

    first: dict[str, Any]
    last: Row
    kept: dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One job's changes in a batch, folded from no row or a queued one (``fresh``) and from
    a running one (``running``: None when no change applies there)."""

    fresh: Partial
    running: Partial | None


def _partial(changes: list[Row], state: Any) -> Partial | None:
    first = last = None
    kept: dict[str, Any] = {}
    for change in changes:
        if state in FINAL_JOB_STATES:
            break
        if state == "running" and change["state"] == "queued":
            continue
        state, last = change["state"], change
        if first is None:
            first = change
        for column in _KEEP_WHEN_NONE:
            if change[column] is not None:
                kept[column] = change[column]
    if first is None or last is None:
        return None
    return Partial({column: first[column] for column in _NEVER_UPDATED}, last, kept)


def summarize(changes: list[Row]) -> JobSummary:
    """Fold a job's changes (in order, at least one; each carries every column)."""
    fresh = _partial(changes, None)
    assert fresh is not None  # the first change always applies to no row
    queued = any(change["state"] == "queued" for change in changes)
    return JobSummary(fresh, _partial(changes, "running") if queued else fresh)


def merged(stored: Row | None, summary: JobSummary) -> Row | None:
    """The row after the summarized changes: ``advanced`` applied change after change."""
    if stored is None:
        partial, base = summary.fresh, summary.fresh.first
        row = dict(partial.last)
    else:
        state = stored["state"]
        partial = None if state in FINAL_JOB_STATES else summary.running if state == "running" else summary.fresh
        if partial is None:
            return stored
        base, row = stored, stored | partial.last
    for column in _NEVER_UPDATED:
        row[column] = base[column]
    for column in _KEEP_WHEN_NONE:
        row[column] = partial.kept.get(column, base[column] if stored is not None else None)
    return row


class JobFold:
    """Collects job summaries; ``flush`` merges them with the stored rows and writes the
    changed rows."""

    def __init__(self) -> None:
        self.pending: dict[str, list[JobSummary]] = {}

    def add(self, job_id: str, summary: JobSummary) -> None:
        summaries = self.pending.get(job_id)
        if summaries is None:
            self.pending[job_id] = [summary]
        else:
            summaries.append(summary)

    def flush(self, conn: Connection, upsert: Any) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        stored = _stored(conn, list(pending))
        by_columns: dict[tuple[str, ...], list[Row]] = {}
        for job_id, summaries in pending.items():
            before = row = stored.get(job_id)
            for summary in summaries:
                row = merged(row, summary)
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
