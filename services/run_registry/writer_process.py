"""A replay's writer in a forked process of its own, so that reading the next batch of the
log (this process) overlaps applying the previous one (the child).

The child runs the very same ``ReadModelWriter`` object (forked: same projection, settings and
apply function) on its own connection to the same database file; one batch is in flight at a
time, and its outcome, or its error, comes back before the next one is sent. A batch goes
over the pipe as three pickled columns (sequences, subjects, payloads).
"""

import asyncio
import gc
import multiprocessing
import pickle
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.exc import OperationalError

from services.run_registry.writer import BatchOutcome, ReadModelWriter


class WriterProcessError(RuntimeError):
    """The writer process failed a batch (the message names the original error)."""


def can_fork(writer: ReadModelWriter) -> bool:
    """A file database (the child opens it too) on a system that forks."""
    database = writer.engine.url.database
    return bool(database) and database != ":memory:" and "fork" in multiprocessing.get_all_start_methods()


class WriterProcess:
    def __init__(self, writer: ReadModelWriter) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(writer, child, self._conn), daemon=True)
        self._process.start()
        child.close()
        self._in_flight: asyncio.Future[BatchOutcome] | None = None

    async def submit(self, messages: Sequence[Sequence[Any]]) -> BatchOutcome | None:
        """Send a batch; return the outcome of the batch sent before it (None for the first)."""
        columns = ([m[0] for m in messages], [m[1] for m in messages], [m[2] for m in messages])
        payload = pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL)
        previous = await self.wait()
        # Sent from this thread while the writer process, now idle, reads it: a sending thread
        # would wait for the interpreter lock between every pipe-sized chunk.
        self._conn.send_bytes(payload)
        self._in_flight = asyncio.ensure_future(self._outcome())
        return previous

    async def wait(self) -> BatchOutcome | None:
        """The outcome of the batch in flight, once applied."""
        in_flight, self._in_flight = self._in_flight, None
        return await in_flight if in_flight is not None else None

    async def _outcome(self) -> BatchOutcome:
        loop, readable = asyncio.get_running_loop(), asyncio.Event()
        loop.add_reader(self._conn.fileno(), readable.set)
        try:
            await readable.wait()
        finally:
            loop.remove_reader(self._conn.fileno())
        try:
            status, result = self._conn.recv()
        except EOFError:
            raise WriterProcessError("the writer process ended unexpectedly") from None
        if status == "ok":
            return result
        if status == "operational":
            raise OperationalError(result, None, Exception(result))
        raise WriterProcessError(result)

    async def close(self) -> None:
        if self._in_flight is not None:
            self._in_flight.cancel()
        self._conn.close()
        await asyncio.to_thread(self._process.join, 30)
        if self._process.is_alive():
            self._process.kill()


def _serve(writer: ReadModelWriter, conn: Connection, parent_end: Connection) -> None:
    parent_end.close()
    gc.freeze()  # collections skip what was inherited: no copy of the parent's whole heap
    gc.disable()  # a batch's objects die together: one collection after each batch instead
    writer.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:
            break
        try:
            conn.send(("ok", writer.apply_batch(list(zip(*pickle.loads(payload), strict=True)))))
        except OperationalError as exc:
            conn.send(("operational", f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        gc.collect()
    writer.engine.dispose()
