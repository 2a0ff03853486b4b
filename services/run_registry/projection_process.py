"""A replay's projection in forked processes of its own: while this process reads the log
and writes batch k, the children project the batches after it (``batch_projection.project``:
decode, apply, job summaries; no database).

A child runs the very same apply function (forked). Each child has one batch in flight: its
projection is received before its next batch is sent, so neither end ever waits on a full
pipe while the other does. A batch goes over as three pickled columns (sequences, subjects,
payloads).
"""

import asyncio
import gc
import multiprocessing
import pickle
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any, get_args

from services.run_registry import projections
from services.run_registry.batch_projection import Apply, ProjectedBatch, project
from services.run_registry.db import Json, encoded_json, metadata
from services.run_registry.job_fold import JobSummary, Partial
from services.run_registry.projections import RecordRun, Upsert

_CHANGES: dict[str, type] = {cls.__name__: cls for cls in get_args(projections.Change)}
_JSON_COLUMNS = {table.name: tuple(column.name for column in table.columns if isinstance(column.type, Json))
                 for table in metadata.tables.values()}


class ProjectionProcessError(RuntimeError):
    """The projection process failed or ended (the message says how)."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class ProjectionProcess:
    def __init__(self, apply: Apply, siblings: Sequence["ProjectionProcess"] = ()) -> None:
        """``siblings``: projection processes started before this one, whose pipe ends the
        fork would otherwise hold open (their process would never see its pipe close)."""
        self._conn, child = multiprocessing.Pipe()
        inherited = [self._conn] + [sibling._conn for sibling in siblings]
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(apply, child, inherited), daemon=True)
        self._process.start()
        child.close()
        self._in_flight = False

    async def exchange(self, messages: Sequence[Sequence[Any]]) -> ProjectedBatch | None:
        """Send a batch to project; return the projection of the batch sent before it (None
        for the first)."""
        columns = ([m[0] for m in messages], [m[1] for m in messages], [m[2] for m in messages])
        payload = pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL)
        previous = await self.wait()
        self._conn.send_bytes(payload)  # the child is waiting for it: sent at pipe speed
        self._in_flight = True
        return previous

    async def wait(self) -> ProjectedBatch | None:
        """The projection of the batch in flight, once made."""
        if not self._in_flight:
            return None
        self._in_flight = False
        loop, readable = asyncio.get_running_loop(), asyncio.Event()
        loop.add_reader(self._conn.fileno(), readable.set)
        try:
            await readable.wait()
        finally:
            loop.remove_reader(self._conn.fileno())
        try:
            status, result = pickle.loads(self._conn.recv_bytes())
        except EOFError:
            raise ProjectionProcessError("the projection process ended unexpectedly") from None
        if status != "ok":
            raise ProjectionProcessError(result)
        return _from_wire(result)

    async def close(self) -> None:
        self._conn.close()
        await asyncio.to_thread(self._process.join, 30)
        if self._process.is_alive():
            self._process.kill()


def _serve(apply: Apply, conn: Connection, inherited: list[Connection]) -> None:
    for parent_end in inherited:
        parent_end.close()
    gc.freeze()  # collections skip what was inherited: no copy of the parent's whole heap
    gc.disable()  # a batch's objects die together: one collection after each batch instead
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:
            break
        conn.send_bytes(_projected_reply(apply, payload))
        del payload
        gc.collect()  # the batch is gone by now: only what outlives it is walked


def _projected_reply(apply: Apply, payload: bytes) -> bytes:
    """The pickled projection of a pickled batch, or the error that stopped it."""
    try:
        seqs, subjects, datas = pickle.loads(payload)
        result: tuple[str, Any] = ("ok", _to_wire(project(list(zip(seqs, subjects, datas, strict=True)), apply)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        result = ("error", f"{type(exc).__name__}: {exc}")
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def _to_wire(batch: ProjectedBatch) -> tuple[Any, ...]:
    """The projection as plain tuples and dicts, JSON columns' values already encoded
    (``db.encoded_json``): pickled and read back in C, with no Python call per object, and
    written by the parent with no conversion."""
    changes = [_wire_change(change) for change in batch.changes]
    jobs = {job_id: (tuple(summary.fresh), summary.running is summary.fresh,
                     tuple(summary.running) if summary.running is not None else None)
            for job_id, summary in batch.jobs.items()}
    return batch.first_seq, batch.last_seq, batch.count, batch.unreadable, batch.failed, changes, jobs


def _wire_change(change: Any) -> tuple[Any, ...]:
    """(change type's name, its fields...)."""
    if type(change) is Upsert:
        return "Upsert", change.table, _json_encoded(change.table, change.row)
    if type(change) is RecordRun:
        return "RecordRun", _json_encoded("runs", change.row), change.seq
    return type(change).__name__, *(getattr(change, slot) for slot in change.__slots__)


def _json_encoded(table: str, row: dict[str, Any]) -> dict[str, Any]:
    columns = _JSON_COLUMNS.get(table)
    if not columns:
        return row
    row = dict(row)
    for column in columns:
        if column in row:
            row[column] = encoded_json(row[column])
    return row


def _from_wire(wire: tuple[Any, ...]) -> ProjectedBatch:
    first_seq, last_seq, count, unreadable, failed, changes, jobs = wire
    batch = ProjectedBatch(first_seq, last_seq, count, unreadable=unreadable, failed=failed)
    batch.changes = [_CHANGES[name](*values) for name, *values in changes]
    for job_id, (fresh, same, running) in jobs.items():
        partial = Partial(*fresh)
        batch.jobs[job_id] = JobSummary(partial, partial if same else Partial(*running) if running else None)
    return batch
