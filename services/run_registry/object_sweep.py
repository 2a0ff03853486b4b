"""Storage that ends: stored objects nothing needs any more are removed after a grace period.

``due`` is the decision, a read of the read model: the rows of ``pending_object_deletions``
older than the grace period; a plan's artifacts only while the plan still has no run, no
simulation queued or running, and is older than the grace period itself. ``ObjectSweeper``
carries it out every ``OBJECT_SWEEP_S``: removes the objects, records each batch as one
``StoredObjectsDeleted`` (its event id derived from the objects, so replicas that sweep at once
store one fact) and waits until the projection has applied it. It also measures the buckets.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, and_, bindparam, exists, func, not_, or_, select

from contracts import subjects
from contracts.envelope import utcnow
from contracts.queries import BucketSize
from contracts.stored_objects import OBJECTS_PER_FACT_MAX, StoredObject, StoredObjectsDeleted
from runtime.logs import first_line
from runtime.objects import BucketUsage, ObjectMissing
from runtime.publisher import EventPublisher
from services.run_registry import db
from services.run_registry.metrics import OBJECT_STORE_BYTES, OBJECTS_DELETED, PENDING_OBJECT_DELETIONS

log = logging.getLogger("run_registry.object_sweep")
BUCKETS = subjects.OBJECT_BUCKETS
_SWEEP_IDS = uuid.UUID("5d1c2b0e-7f3a-4c8e-9a61-0b7e4f2d9c15")

_p = db.pending_object_deletions
_OPEN = ("queued", "running")
_PLAN_IDLE = and_(
    not_(exists().where(db.runs.c.plan_version_id == _p.c.plan_version_id)),
    not_(exists().where(db.jobs.c.state.in_(_OPEN), db.jobs.c.plan_version_id == _p.c.plan_version_id)),
    exists().where(db.plans.c.plan_version_id == _p.c.plan_version_id, db.plans.c.created_at <= bindparam("cutoff")))
_DUE = (select(_p.c.bucket, _p.c.key, _p.c.reason, _p.c.run_id, _p.c.plan_version_id)
        .where(_p.c.since <= bindparam("cutoff"), or_(_p.c.reason != "plan_without_runs", _PLAN_IDLE))
        .order_by(_p.c.since, _p.c.bucket, _p.c.key).limit(bindparam("n")))
_PENDING = select(func.count()).select_from(_p)


def due(conn: Connection, now: datetime, grace: timedelta, limit: int = 1000) -> list[StoredObject]:
    """The stored objects to remove now."""
    rows = conn.execute(_DUE, {"cutoff": now - grace, "n": limit}).mappings()
    return [StoredObject(**row) for row in rows]


def pending(conn: Connection) -> int:
    return conn.execute(_PENDING).scalar() or 0


class ObjectRemover(Protocol):
    async def delete(self, bucket: str, key: str) -> None: ...

    async def usage(self, bucket: str) -> BucketUsage: ...


class ObjectSweeper:
    def __init__(self, live, objects: ObjectRemover, publisher: EventPublisher, *,  # type: ignore[no-untyped-def]
                 grace_hours: float, clock: Callable[[], datetime] = utcnow, wait_s: float = 10.0) -> None:
        self.live, self.objects, self.publisher = live, objects, publisher
        self.grace_hours, self.clock, self.wait_s = grace_hours, clock, wait_s
        self.sizes: list[BucketSize] = []

    async def sweep(self) -> int:
        """Remove what is due; the number of objects removed (or found gone)."""
        with self.live.engine.connect() as conn:
            objects = due(conn, self.clock(), timedelta(hours=self.grace_hours))
        removed = 0
        for start in range(0, len(objects), OBJECTS_PER_FACT_MAX):
            batch = objects[start:start + OBJECTS_PER_FACT_MAX]
            for obj in batch:
                try:
                    await self.objects.delete(obj.bucket, obj.key)
                    OBJECTS_DELETED.labels(obj.bucket, obj.reason).inc()
                except ObjectMissing:
                    pass
            seq = await self.publisher.publish(self._fact(batch))
            await self.live.position.reached(seq, self.wait_s)
            removed += len(batch)
            log.info("removed %d stored objects nothing needed for %g h (%s)", len(batch), self.grace_hours,
                     ", ".join(sorted({f"{o.reason}: {o.bucket}" for o in batch})))
        return removed

    def _fact(self, batch: list[StoredObject]) -> StoredObjectsDeleted:
        name = "\n".join(f"{o.bucket}/{o.key}" for o in batch)
        return StoredObjectsDeleted(event_id=uuid.uuid5(_SWEEP_IDS, name), correlation_id="object_store",
                                    producer="run_registry", objects=batch, grace_hours=self.grace_hours)

    async def measure(self) -> list[BucketSize]:
        """Each bucket's size (the gauges and the registry's status), and the pending count."""
        sizes = []
        for bucket in BUCKETS:
            usage = await self.objects.usage(bucket)
            OBJECT_STORE_BYTES.labels(bucket).set(usage.bytes)
            sizes.append(BucketSize(bucket=bucket, bytes=usage.bytes, messages=usage.messages))
        with self.live.engine.connect() as conn:
            PENDING_OBJECT_DELETIONS.set(pending(conn))
        self.sizes = sizes
        return sizes


async def periodic_sweeps(sweeper: ObjectSweeper, every_s: float) -> None:
    """Measure and sweep every ``every_s`` seconds (0: never); a fault of the bus is logged and
    tried again the next time."""
    if every_s <= 0:
        return
    while True:
        try:
            await sweeper.measure()
            await sweeper.sweep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the bus or the store is away: next time
            log.warning("sweeping the object store failed, tried again in %gs: %s", every_s, first_line(exc))
        await asyncio.sleep(every_s)
