"""The read-model writer: applies projection changes and the checkpoint in ONE transaction.

A batch first runs on a fast path (commuting changes grouped into executemany).
If anything in it fails, that attempt is rolled back to a savepoint and the batch is replayed
message by message, each in its own savepoint, retrying a failing message ``max_attempts``
times before recording it in ``dead_letters``; the checkpoint then moves past it.
A database that cannot be written (locked, full, I/O: ``OperationalError``) is no fault of a
message: the whole batch raises, nothing is committed, and redelivery brings it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import OperationalError

from contracts.events import FINAL_JOB_STATES, decode
from services.run_registry import db, projections
from services.run_registry.projections import AdvanceJob, Delete, EnforceRetention, Update, Upsert

Message = tuple[int, str, bytes]
Apply = Callable[[Any, int], list[projections.Change]]


@dataclass
class BatchOutcome:
    """What a batch did. ``skipped``: at or below the checkpoint, or undecodable (also counted
    in ``undecodable``); ``last_seq``: the checkpoint after the batch."""

    applied: int = 0
    skipped: int = 0
    undecodable: int = 0
    dead_lettered: int = 0
    last_seq: int = 0
    runs_completed: int = 0
    """Runs new to the read model in this batch (for ``runs_total``; a rebuild ignores it)."""


@dataclass
class _Item:
    seq: int
    subject: str
    data: bytes
    event: Any


class ReadModelWriter:
    """The single writer of the registry's read models (live path and rebuild alike)."""

    def __init__(self, engine: Engine, *, projection: str = "registry", max_runs: int | None = None,
                 max_attempts: int = 3, apply: Apply = projections.apply) -> None:
        self.engine, self.projection, self.max_runs = engine, projection, max_runs
        self.max_attempts, self._apply = max_attempts, apply
        self._analyzed_runs = 0

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return _checkpoint(conn, self.projection)

    def apply_batch(self, messages: list[Message]) -> BatchOutcome:
        with self.engine.begin() as conn:
            outcome = BatchOutcome(last_seq=_checkpoint(conn, self.projection))
            items = self._decode_new(messages, outcome)
            counts = RunCounts.load(conn)
            if items and not self._fast(conn, items, counts, outcome):
                self._careful(conn, items, counts, outcome)
            counts.save(conn)
            self._write_checkpoint(conn, outcome.last_seq)
            self._maybe_analyze(conn, counts.total)
        return outcome

    def _decode_new(self, messages: list[Message], outcome: BatchOutcome) -> list[_Item]:
        items = []
        for seq, subject, data in sorted(messages, key=lambda m: m[0]):
            if seq <= outcome.last_seq:
                outcome.skipped += 1
                continue
            outcome.last_seq = seq
            try:
                items.append(_Item(seq, subject, data, decode(data)))
            except Exception:  # noqa: BLE001 - not an event we know: skip it, move on
                outcome.skipped += 1
                outcome.undecodable += 1
        return items

    def _fast(self, conn: Connection, items: list[_Item], counts: RunCounts, outcome: BatchOutcome) -> bool:
        trial = counts.copy()
        try:
            with conn.begin_nested():
                runner = ChangeRunner(conn, trial, self.max_runs)
                for item in items:
                    runner.run(self._apply(item.event, item.seq))
                runner.flush()
        except OperationalError:
            raise
        except Exception:  # noqa: BLE001 - replayed message by message below
            return False
        counts.restore(trial)
        outcome.applied += len(items)
        outcome.runs_completed += runner.new_runs
        return True

    def _careful(self, conn: Connection, items: list[_Item], counts: RunCounts, outcome: BatchOutcome) -> None:
        for item in items:
            error = self._try_item(conn, item, counts, outcome)
            if error is None:
                outcome.applied += 1
            else:
                _dead_letter(conn, item, error, self.max_attempts)
                outcome.dead_lettered += 1

    def _try_item(self, conn: Connection, item: _Item, counts: RunCounts, outcome: BatchOutcome) -> str | None:
        error = ""
        for _attempt in range(self.max_attempts):
            trial = counts.copy()
            try:
                with conn.begin_nested():
                    runner = ChangeRunner(conn, trial, self.max_runs)
                    runner.run(self._apply(item.event, item.seq))
                    runner.flush()
            except OperationalError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                error = f"{type(exc).__name__}: {exc}"
                continue
            counts.restore(trial)
            outcome.runs_completed += runner.new_runs
            return None
        return error

    def _write_checkpoint(self, conn: Connection, last_seq: int) -> None:
        stmt = insert(db.checkpoint).values(
            projection=self.projection, last_seq=last_seq, schema_version=db.READ_MODEL_VERSION)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["projection"],
            set_={"last_seq": stmt.excluded.last_seq, "schema_version": stmt.excluded.schema_version}))

    def _maybe_analyze(self, conn: Connection, runs: int) -> None:
        if runs >= 1000 and runs >= 2 * self._analyzed_runs:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            self._analyzed_runs = runs


def _checkpoint(conn: Connection, projection: str) -> int:
    row = conn.execute(select(db.checkpoint.c.last_seq).where(db.checkpoint.c.projection == projection))
    return row.scalar() or 0


def _dead_letter(conn: Connection, item: _Item, error: str, attempts: int) -> None:
    row = {"seq": item.seq, "subject": item.subject, "error": error[:2000], "data": item.data,
           "attempts": attempts, "recorded_at": datetime.now(UTC)}
    conn.execute(insert(db.dead_letters).values(row).on_conflict_do_nothing())


_DROPPED = "runs_dropped_by_retention"
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


_FINAL = ", ".join(f"'{state.value}'" for state in sorted(FINAL_JOB_STATES))
_FORWARD_ONLY = text(f"jobs.state NOT IN ({_FINAL}) AND NOT (jobs.state = 'running' AND excluded.state = 'queued')")
_KEEP_LINK = ("plan_version_id", "run_id")


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _upsert(table: Table, columns: tuple[str, ...]) -> Any:
    stmt = insert(table)
    keys = {c.name for c in table.primary_key}
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns if c not in keys})


def _advance(columns: tuple[str, ...]) -> Any:
    stmt = insert(db.jobs)
    set_ = {c: stmt.excluded[c] for c in columns if c not in ("job_id", "created_at")}
    set_ |= {c: func.coalesce(stmt.excluded[c], db.jobs.c[c]) for c in _KEEP_LINK if c in set_}
    return stmt.on_conflict_do_update(index_elements=["job_id"], set_=set_, where=_FORWARD_ONLY)


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
    """Executes projection changes on a connection, collecting them into executemany groups
    while they commute (no two groups touch the same row). New runs are inserted together and
    retention is then applied once: for inserts alone, that drops exactly the runs applying it
    after every insert would. A run already stored (while retention is on) is applied one by
    one; deleting a run or upserting one twice flushes first."""

    def __init__(self, conn: Connection, counts: RunCounts, max_runs: int | None) -> None:
        self.conn, self.counts, self.max_runs = conn, counts, max_runs
        self.new_runs = 0
        self._groups: dict[tuple[Any, ...], tuple[Any, list[dict[str, Any]]]] = {}
        self._touched: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._runs: dict[str, dict[str, Any]] = {}
        self._retain_due = False

    def run(self, changes: list[projections.Change]) -> None:
        for change in changes:
            if isinstance(change, EnforceRetention):
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

    def flush(self) -> None:
        for stmt, params in self._groups.values():
            self.conn.execute(stmt, params if len(params) > 1 else params[0])
        self._groups.clear()
        self._touched.clear()
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
            self.conn.execute(_cached(_upsert, db.runs, columns), group)

    def _retain(self, due: bool) -> None:
        excess = self.counts.total - self.max_runs if due and self.max_runs is not None else 0
        if excess > 0:
            for old in self.conn.execute(_DROP_OLDEST, {"n": excess}).all():
                self.counts.count_run(*old, -1)
                self.counts.add(_DROPPED, 1)


def _statement(change: Any) -> tuple[tuple[Any, ...], Any, dict[str, Any], tuple[Any, ...]]:
    """(group key, statement, parameters, (table, primary key)) of a row change."""
    if isinstance(change, AdvanceJob):
        cols = tuple(sorted(change.row))
        return ("advance", cols), _cached(_advance, cols), change.row, ("jobs", change.row["job_id"])
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
