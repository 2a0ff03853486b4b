"""Executing projection changes on a connection with few statements.

Job changes are folded per job (``job_fold``); other row changes are collected into
executemany groups while they commute (no two groups touch the same row); new runs are
inserted together and retention is then applied once. A run's final fact is recorded once:
a later one for the same run changes nothing and is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, false, func, literal_column, select, true, update
from sqlalchemy.dialects.sqlite import insert

from services.run_registry import db, driver_sql, projections
from services.run_registry.job_fold import JobFold, JobSummary, summarize
from services.run_registry.projections import (
    AdvanceJob,
    DeleteRun,
    EnforceRetention,
    RecordRun,
    Update,
    Upsert,
)
from services.run_registry.releases import RemovedRun, keep_plans, release
from services.run_registry.run_counts import DROPPED, DUPLICATE_FINAL_FACTS, RunCounts


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _upsert(table: Table, columns: tuple[str, ...]) -> Any:
    stmt = insert(table)
    keys = {c.name for c in table.primary_key}
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns if c not in keys})


def _job_upsert(columns: tuple[str, ...]) -> Any:
    return _cached(_upsert, db.jobs, columns)


def _update(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
    return update(table).where(*where).values({c: bindparam(f"v_{c}") for c in columns})


def _delete(table: Table, keys: tuple[str, ...]) -> Any:
    return delete(table).where(*[table.c[k] == bindparam(f"k_{k}") for k in keys])


_runs = db.runs
_UNAPPROVED = _runs.c.approved == false()
_OLDEST = select(literal_column("rowid")).select_from(_runs).where(_UNAPPROVED).order_by(
    _runs.c.approved, _runs.c.started_at, _runs.c.run_id).limit(bindparam("n"))
_APPROVED_RUNS = select(func.count()).select_from(_runs).where(_runs.c.approved == true())
_REMOVED = (_runs.c.status, _runs.c.scenario_name_lc, _runs.c.run_id, _runs.c.plan_version_id, _runs.c.results)
_DROP_OLDEST = delete(_runs).where(literal_column("rowid").in_(_OLDEST)).returning(*_REMOVED)
_DELETE_RUN = delete(_runs).where(_runs.c.run_id == bindparam("k_run_id")).returning(*_REMOVED)
_finished = db.finished_runs
_FINISHED = select(_finished.c.run_id).where(_finished.c.run_id.in_(bindparam("ids", expanding=True)))
_FINISH = insert(_finished)
_INSERT_RUN = insert(_runs)


class ChangeRunner:
    """Executes projection changes on a connection. Job changes go to a ``JobFold``; other
    changes are collected into executemany groups while they commute (no two groups touch the
    same row). New runs are inserted together and retention is then applied once: runs are
    only ever inserted, so that drops exactly the runs applying it after every insert would.
    A final fact for a run that already has one (in ``finished_runs``, or earlier in the
    batch) is left out and counted in ``duplicates``: (seq, run_id, status) of each. Deleting
    a run flushes first."""

    def __init__(self, conn: Connection, counts: RunCounts, max_runs: int | None) -> None:
        self.conn, self.counts, self.max_runs = conn, counts, max_runs
        self.new_runs = 0
        self._groups: dict[tuple[Any, ...], tuple[Any, list[dict[str, Any]]]] = {}
        self._touched: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._runs: dict[str, RecordRun] = {}
        self.duplicates: list[tuple[int, str, str]] = []
        self._retain_due = False
        self._jobs = JobFold()

    def run(self, changes: list[projections.Change]) -> None:
        for change in changes:
            if type(change) is Upsert:  # the most common change by far (a plan's PSI cells)
                key, stmt, pk = _upsert_of(change.table, change.row)
                self._queue(key, stmt, change.row, (change.table, pk(change.row)))
            elif type(change) is AdvanceJob:
                self._jobs.add(change.row["job_id"], summarize([change.row]))
            elif isinstance(change, EnforceRetention):
                self._retain_due = self.max_runs is not None
            elif type(change) is RecordRun:
                if change.row["run_id"] in self._runs:
                    self._duplicate(change)
                else:
                    self._runs[change.row["run_id"]] = change
            elif type(change) is DeleteRun:
                self.flush()
                removed = self._removed(self.conn.execute(_DELETE_RUN, {"k_run_id": change.run_id}).all())
                release(self.conn, removed, "run_deleted", change.at)
            else:
                self._queue(*_statement(change))

    def add_jobs(self, jobs: dict[str, JobSummary]) -> None:
        """Job changes already summarized per job (they touch nothing but the jobs table)."""
        for job_id, summary in jobs.items():
            self._jobs.add(job_id, summary)

    def flush(self) -> None:
        for stmt, params in self._groups.values():
            driver_sql.executemany(self.conn, stmt, params)
        self._groups.clear()
        self._touched.clear()
        self._jobs.flush(self.conn, _job_upsert)
        self._flush_runs()

    def _queue(self, key: tuple[Any, ...], stmt: Any, params: dict[str, Any], row: tuple[Any, ...]) -> None:
        if row[0] == "runs" or self._touched.get(row, key) != key:
            self.flush()
        self._groups.setdefault(key, (stmt, []))[1].append(params)
        self._touched[row] = key

    def _duplicate(self, change: RecordRun) -> None:
        self.duplicates.append((change.seq, change.row["run_id"], change.row["status"]))
        self.counts.add(DUPLICATE_FINAL_FACTS, 1)

    def _flush_runs(self) -> None:
        pending, self._runs = list(self._runs.values()), {}
        due, self._retain_due = self._retain_due, False
        finished = self._finished([change.row["run_id"] for change in pending])
        rows = []
        for change in pending:
            if change.row["run_id"] in finished:
                self._duplicate(change)
            else:
                rows.append(change.row)
        if rows:
            self._insert_runs(rows)
            self._retain(due, max(row["finished_at"] for row in rows))

    def _finished(self, run_ids: list[str]) -> set[str]:
        finished: set[str] = set()
        for start in range(0, len(run_ids), 500):
            finished.update(self.conn.execute(_FINISHED, {"ids": run_ids[start: start + 500]}).scalars())
        return finished

    def _insert_runs(self, rows: list[dict[str, Any]]) -> None:
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(row)
            self.counts.count_run(row["status"], row["scenario_name_lc"], 1)
        self.new_runs += len(rows)
        for group in by_columns.values():
            driver_sql.executemany(self.conn, _INSERT_RUN, group)
        driver_sql.executemany(self.conn, _FINISH, [{"run_id": row["run_id"]} for row in rows])
        keep_plans(self.conn, (row["plan_version_id"] for row in rows))

    def _removed(self, rows: list[Any]) -> list[RemovedRun]:
        """Runs just deleted from the table, uncounted."""
        for status, name_lc, *_ in rows:
            self.counts.count_run(status, name_lc, -1)
        return [RemovedRun(run_id, plan, results) for *_, run_id, plan, results in rows]

    def _retain(self, due: bool, at: datetime) -> None:
        """Keep the newest ``max_runs`` runs besides the approved ones, which are never dropped.
        Approvals flush the runs before them, so this drops what applying it run by run would."""
        excess = self.counts.total - self.max_runs if due and self.max_runs is not None else 0
        if excess > 0:
            excess -= self.conn.execute(_APPROVED_RUNS).scalar() or 0
        if excess > 0:
            removed = self._removed(self.conn.execute(_DROP_OLDEST, {"n": excess}).all())
            self.counts.add(DROPPED, len(removed))
            release(self.conn, removed, "run_dropped", at)


_UPSERTS: dict[tuple[str, tuple[str, ...]], tuple[tuple[Any, ...], Any, Callable[[dict[str, Any]], tuple[Any, ...]]]] = {}


def _upsert_of(table_name: str, row: dict[str, Any]) -> tuple[tuple[Any, ...], Any, Callable[[dict[str, Any]], tuple[Any, ...]]]:
    """(group key, statement, the row's primary key getter) of an upsert of ``row``'s columns,
    made once per table and columns as they come (rows of one kind list them in one order)."""
    entry = _UPSERTS.get((table_name, tuple(row)))
    if entry is None:
        table, cols = _table(table_name), tuple(sorted(row))
        names = [c.name for c in table.primary_key]
        pk = itemgetter(*names) if len(names) > 1 else lambda values, name=names[0]: (values[name],)
        entry = _UPSERTS[(table_name, tuple(row))] = (("upsert", table.name, cols), _cached(_upsert, table, cols), pk)
    return entry


def _statement(change: Any) -> tuple[tuple[Any, ...], Any, dict[str, Any], tuple[Any, ...]]:
    """(group key, statement, parameters, (table, primary key)) of a row change other than an upsert."""
    table = _table(change.table)
    keys = tuple(sorted(change.key))
    params = {f"k_{k}": v for k, v in change.key.items()}
    row = (table.name, tuple(change.key[k] for k in keys))
    if isinstance(change, Update):
        cols = tuple(sorted(change.values))
        params |= {f"v_{c}": v for c, v in change.values.items()}
        return ("update", table.name, keys, cols), _cached(_update, table, keys, cols), params, row
    return ("delete", table.name, keys), _cached(_delete, table, keys), params, row


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _cached(build: Callable[..., Any], *args: Any) -> Any:
    key = (build.__name__, *args)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build(*args)
    return _STATEMENTS[key]
