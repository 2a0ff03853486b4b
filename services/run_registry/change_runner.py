"""Executing projection changes on a connection with few statements.

Job changes are folded per job (``job_fold``); other row changes are collected into
executemany groups while they commute (no two groups touch the same row); new runs are
inserted together and retention is then applied once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, literal_column, select, update
from sqlalchemy.dialects.sqlite import insert

from services.run_registry import db, driver_sql, projections
from services.run_registry.job_fold import JobFold, JobSummary, summarize
from services.run_registry.projections import AdvanceJob, Delete, EnforceRetention, Update, Upsert
from services.run_registry.run_counts import DROPPED, RunCounts


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
_OLDEST = select(literal_column("rowid")).select_from(_runs).order_by(_runs.c.started_at, _runs.c.run_id).limit(bindparam("n"))
_DROP_OLDEST = delete(_runs).where(literal_column("rowid").in_(_OLDEST)).returning(
    _runs.c.status, _runs.c.scenario_name_lc)
_DELETE_RUN = delete(_runs).where(_runs.c.run_id == bindparam("k_run_id")).returning(
    _runs.c.status, _runs.c.scenario_name_lc)
_RUN_KEYS = select(_runs.c.run_id, _runs.c.status, _runs.c.scenario_name_lc).where(
    _runs.c.run_id.in_(bindparam("ids", expanding=True)))


class ChangeRunner:
    """Executes projection changes on a connection. Job changes go to a ``JobFold``; other
    changes are collected into executemany groups while they commute (no two groups touch the
    same row). New runs are inserted together and retention is then applied once: for inserts
    alone, that drops exactly the runs applying it after every insert would. A run already
    stored (while retention is on) is applied one by one; deleting a run or upserting one
    twice flushes first."""

    def __init__(self, conn: Connection, counts: RunCounts, max_runs: int | None) -> None:
        self.conn, self.counts, self.max_runs = conn, counts, max_runs
        self.new_runs = 0
        self._groups: dict[tuple[Any, ...], tuple[Any, list[dict[str, Any]]]] = {}
        self._touched: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._runs: dict[str, dict[str, Any]] = {}
        self._retain_due = False
        self._jobs = JobFold()

    def run(self, changes: list[projections.Change]) -> None:
        for change in changes:
            if type(change) is AdvanceJob:
                self._jobs.add(change.row["job_id"], summarize([change.row]))
            elif isinstance(change, EnforceRetention):
                self._retain_due = self.max_runs is not None
            elif isinstance(change, Upsert) and change.table == "runs":
                if change.row["run_id"] in self._runs:
                    self.flush()
                self._runs[change.row["run_id"]] = change.row
            elif isinstance(change, Delete) and change.table == "runs":
                self.flush()
                for old in self.conn.execute(_DELETE_RUN, {"k_run_id": change.key["run_id"]}):
                    self.counts.count_run(*old, -1)
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

    def _flush_runs(self) -> None:
        pending, self._runs = list(self._runs.values()), {}
        due, self._retain_due = self._retain_due, False
        stored = self._stored([row["run_id"] for row in pending])
        if stored and self.max_runs is not None:
            for row in pending:
                self._upsert_runs([row], self._stored([row["run_id"]]))
                self._retain(due)
        elif pending:
            self._upsert_runs(pending, stored)
            self._retain(due)

    def _stored(self, run_ids: list[str]) -> dict[str, tuple[str, str]]:
        stored = {}
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start: start + 500]
            stored |= {r.run_id: (r.status, r.scenario_name_lc) for r in self.conn.execute(_RUN_KEYS, {"ids": chunk})}
        return stored

    def _upsert_runs(self, rows: list[dict[str, Any]], stored: dict[str, tuple[str, str]]) -> None:
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
            old = stored.get(row["run_id"])
            self.counts.count_run(row["status"], row["scenario_name_lc"], 1)
            if old is None:
                self.new_runs += 1
            else:
                self.counts.count_run(*old, -1)
        for columns, group in by_columns.items():
            driver_sql.executemany(self.conn, _cached(_upsert, db.runs, columns), group)

    def _retain(self, due: bool) -> None:
        excess = self.counts.total - self.max_runs if due and self.max_runs is not None else 0
        if excess > 0:
            for old in self.conn.execute(_DROP_OLDEST, {"n": excess}).all():
                self.counts.count_run(*old, -1)
                self.counts.add(DROPPED, 1)


def _statement(change: Any) -> tuple[tuple[Any, ...], Any, dict[str, Any], tuple[Any, ...]]:
    """(group key, statement, parameters, (table, primary key)) of a row change."""
    table = _table(change.table)
    if isinstance(change, Upsert):
        cols = tuple(sorted(change.row))
        pk = tuple(change.row[c.name] for c in table.primary_key)
        return ("upsert", table.name, cols), _cached(_upsert, table, cols), change.row, (table.name, pk)
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
