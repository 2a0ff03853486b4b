"""Rebuilding the read model by replaying the event log through the live path's own writer.

The rebuild writes a fresh database file; the live service keeps answering from its own file
until the finished one is swapped in. ``until_seq`` / ``until_time`` stop early and give a
point-in-time copy for audits.
"""

import contextlib
import ctypes
import ctypes.util
import gc
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext

from runtime.bus import last_stream_seq
from runtime.log_reader import log_reader
from services.run_registry.db import create_indexes, create_schema, make_durable, open_engine
from services.run_registry.projection_process import ProjectionProcess, can_fork
from services.run_registry.writer import ReadModelWriter

Progress = Callable[[int, int, float], Awaitable[None]]
PROJECTION_WORKERS = 2
"""Forked projection processes of a replay. With one, this process waits while it projects;
with two, one projects while the other's projection is written."""


@dataclass(frozen=True)
class RebuildResult:
    path: Path
    last_seq: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def fresh_writer(path: Path, max_runs: int | None) -> ReadModelWriter:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine("db", str(path), throwaway=True)
    create_schema(engine, indexes=False)
    return ReadModelWriter(engine, max_runs=max_runs)


async def replay_into(js: JetStreamContext, writer: ReadModelWriter, *, until_seq: int | None = None,
                      until_time: datetime | None = None, batch: int = 20000,
                      on_progress: Progress | None = None, workers: int = PROJECTION_WORKERS) -> int:
    """Apply the log after the writer's checkpoint up to ``until_seq``/``until_time``; return
    events read. Batches go in turn to ``workers`` forked ``ProjectionProcess``es, which
    project them while this process reads the next and writes the ones before, in log order,
    through the writer's own ``apply_batch``. Secondary indexes a fresh file was created
    without are built at the end."""
    target = until_seq if until_seq is not None else await last_stream_seq(js)
    began = time.perf_counter()
    keep_freed_memory()
    pipeline: list[ProjectionProcess] = []
    for _ in range(workers if can_fork() else 0):
        pipeline.append(ProjectionProcess(writer.apply, siblings=pipeline))

    async def report() -> None:
        if on_progress:
            await on_progress(writer.last_seq(), target, time.perf_counter() - began)

    try:
        with _collector_paused():
            read = await _apply_log(js, writer, pipeline, target, until_time, batch, report)
    finally:
        for process in pipeline:
            await process.close()
    create_indexes(writer.engine)
    make_durable(writer.engine)
    return read


async def _apply_log(js: JetStreamContext, writer: ReadModelWriter, pipeline: list[ProjectionProcess],
                     target: int, until_time: datetime | None, batch: int,
                     report: Callable[[], Awaitable[None]]) -> int:
    read = 0
    in_flight: deque[tuple[list[Any], ProjectionProcess]] = deque()  # batches sent, oldest first
    reader = log_reader(js)
    async for msgs in reader.read(start_seq=writer.last_seq() + 1, until_seq=target, batch=batch):
        if until_time is not None:
            msgs = [m for m in msgs if m.timestamp <= until_time]
        if msgs:
            if not pipeline:
                writer.apply_batch(msgs)
            else:  # each process in turn: the oldest batch's process takes the next one
                full = len(in_flight) == len(pipeline)
                done, process = in_flight.popleft() if full else (None, pipeline[len(in_flight)])
                projected = await process.exchange(msgs)
                in_flight.append((msgs, process))
                if done is not None:
                    writer.apply_batch(done, projected)
            read += len(msgs)
        await report()
        if until_time is not None and len(msgs) == 0:
            break
    while in_flight:
        done, process = in_flight.popleft()
        writer.apply_batch(done, await process.wait())
        await report()
    return read


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters


def keep_freed_memory() -> bool:
    """Have this process (and the projection processes forked from it) keep the memory it
    frees. A replay allocates and frees the same large buffers batch after batch (pickled
    batches, payloads); by default glibc hands freed memory back to the kernel and faults it
    in again page by page, about one page fault for every two events. The memory stays
    reserved until the process ends: a rebuild runs in the ``scpln`` command's own process.
    Returns whether it was done: not where the C library is not glibc."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(parameter, value) == 1 for parameter, value in (
        (_M_MMAP_THRESHOLD, 32 * 1024**2),  # glibc's maximum: larger blocks are mapped anew each time
        (_M_TOP_PAD, 64 * 1024**2),
        (_M_TRIM_THRESHOLD, 1024**3)))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """A replay holds a few batches of short-lived messages, freed by reference counting; the
    cyclic collector would walk them again and again. It runs once at the end instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


async def rebuild(js: JetStreamContext, path: Path, *, max_runs: int | None, until_seq: int | None = None,
                  until_time: datetime | None = None, on_progress: Progress | None = None) -> RebuildResult:
    """Build a fresh read model at ``path`` from sequence 1."""
    began = time.perf_counter()
    writer = fresh_writer(path, max_runs)
    try:
        events = await replay_into(js, writer, until_seq=until_seq, until_time=until_time, on_progress=on_progress)
        return RebuildResult(path, writer.last_seq(), events, time.perf_counter() - began)
    finally:
        writer.engine.dispose()
