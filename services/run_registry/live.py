"""The registry's live read model: its database, its single writer and the projection task.

Swapping in a rebuilt or restored file is one atomic step between two queries: stop the
projection, copy the file into the live database in one SQLite transaction
(``backup.overwrite``), and resume from the new content's own checkpoint.
"""

import asyncio
import logging
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Engine

from runtime.bus import last_stream_seq
from runtime.outage import OutageLog
from runtime.storage import for_service
from runtime.storage_report import StorageBoard
from services.run_registry.backup import overwrite
from services.run_registry.db import READ_MODEL_VERSION, create_schema, open_engine, outdated, reset
from services.run_registry.follow import follow
from services.run_registry.position import Position
from services.run_registry.settings import Settings
from services.run_registry.writer import ReadModelWriter

log = logging.getLogger("run_registry.live")


class Swap(NamedTuple):
    replaced_seq: int
    """Checkpoint of the database replaced."""
    last_seq: int
    """Checkpoint of the database now live."""


class LiveReadModel:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine = self._open()
        self.writer = ReadModelWriter(self.engine, max_runs=settings.runs_db_max_rows)
        self.position = Position(self.writer.last_seq())
        self.position.counted_through = max(self.position.counted_through, self._reprojected_from)
        self._halt = asyncio.Event()
        self.follower: asyncio.Task | None = None
        self.sweeper = None
        """The object store's sweeper (``object_sweep.ObjectSweeper``) once started: its measured bucket sizes."""
        self._js = None
        self.storage = for_service("run_registry", settings)
        """How the registry's writes fare: its database, and the events of its commands."""
        self.storage_board = StorageBoard(self.storage)
        """Its own storage report and the last one of each other service (``/registry/status``)."""
        self.outage: OutageLog | None = None

    async def caught_up_with_log(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the read model holds every event stored so far;
        False when it already did (nothing newer to wait for), when it cannot tell, or in time."""
        if self._js is None:
            return False
        try:
            tail = await last_stream_seq(self._js)
        except Exception:  # noqa: BLE001 - the bus is away: the answer stands as it is
            return False
        return tail > self.position.last_seq and await self.position.reached(tail, timeout)

    def _open(self) -> Engine:
        if self.settings.registry_backend == "db":
            self.settings.scpln_db.parent.mkdir(parents=True, exist_ok=True)
        engine = open_engine(self.settings.registry_backend, str(self.settings.scpln_db))
        create_schema(engine)
        self._reprojected_from = 0
        if (version := outdated(engine)) is not None:
            self._reprojected_from = ReadModelWriter(engine).last_seq()  # counted already: not counted again
            log.warning("the read model was projected by version %d of the registry, this is version %d: it is "
                        "projected again from the whole log (it was at %d)", version, READ_MODEL_VERSION,
                        self._reprojected_from)
            reset(engine)
        return engine

    def start(self, js) -> asyncio.Task:  # type: ignore[no-untyped-def]
        self._js = js
        self._halt = asyncio.Event()
        self.follower = asyncio.create_task(follow(
            js, self.writer, self.position, batch_size=self.settings.batch_size,
            fetch_timeout=self.settings.fetch_timeout_s, linger_s=self.settings.apply_linger_s, stop=self._halt, storage=self.storage, outage=self.outage))
        return self.follower

    async def stop(self) -> None:
        self._halt.set()
        if self.follower is not None:
            await asyncio.wait_for(self.follower, timeout=self.settings.fetch_timeout_s + 5)

    async def swap_in(self, path: Path) -> Swap:
        """Make the database at ``path`` the live one (``path`` is consumed; the caller has
        checked it, ``staging.staged_file``). Queries keep answering from the old content until
        the copy commits; the projection pauses for the copy and resumes from the new
        checkpoint. When the copy fails the live database is untouched and the projection
        resumes from its own."""
        if self.settings.registry_backend != "db":
            raise ValueError("only the db backend has a file to swap")
        await self.stop()
        replaced_seq = self.writer.last_seq()
        try:
            await asyncio.to_thread(overwrite, self.settings.scpln_db, path)
        finally:
            self.writer = ReadModelWriter(self.engine, max_runs=self.settings.runs_db_max_rows)
            self.position.last_seq = self.writer.last_seq()
            self.start(self._js)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        log.info("read model swapped in from %s at checkpoint %d (it was at %d)", path, self.position.last_seq,
                 replaced_seq)
        return Swap(replaced_seq, self.position.last_seq)
