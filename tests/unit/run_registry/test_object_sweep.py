"""Storage that ends, carried out: the sweeper removes what is due from the object store, records
it as one fact per batch (the same fact from two replicas), and measures the buckets."""

from datetime import timedelta
from types import SimpleNamespace

from registry_helpers import T0, engine_for, messages
from test_object_releases import deleted_at, plan, run, simulated

from contracts import subjects
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.run_registry.metrics import OBJECT_STORE_BYTES
from services.run_registry.object_sweep import ObjectSweeper
from services.run_registry.position import Position
from services.run_registry.writer import ReadModelWriter


class ProjectedLog(InMemoryPublisher):
    """The log and the registry's projection of it: what is published is applied at once."""

    def __init__(self, writer: ReadModelWriter) -> None:
        super().__init__()
        self.writer, self.position = writer, Position()

    async def publish(self, event) -> int:  # type: ignore[no-untyped-def]
        seq = await super().publish(event)
        self.writer.apply_batch(messages([event], start=1000 + seq))
        self.position.last_seq = self.writer.last_seq()
        return self.position.last_seq


async def stored(store: InMemoryObjectStore, *names: tuple[str, str]) -> None:
    for bucket, key in names:
        await store.put("doc", bucket, key, b"x" * 100)


def registry_after(events):  # type: ignore[no-untyped-def]
    engine = engine_for("memory")
    writer = ReadModelWriter(engine)
    writer.apply_batch(messages(events))
    log = ProjectedLog(writer)
    return SimpleNamespace(engine=engine, position=log.position), log


async def test_due_objects_are_removed_and_recorded_once_and_nothing_else_is_touched():
    live, log = registry_after([plan("p1"), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5)])
    store = InMemoryObjectStore()
    await stored(store, ("scpln-results", "r1.json.gz"), ("scpln-artifacts", "p1/plan_final.json"),
                 ("scpln-results", "r_other.json.gz"))
    sweeper = ObjectSweeper(live, store, log, grace_hours=24, clock=lambda: T0 + timedelta(days=2))
    assert await sweeper.sweep() == 3
    assert list(store.objects) == [("scpln-results", "r_other.json.gz")]
    [fact] = log.of_type("StoredObjectsDeleted")
    assert sorted((o.key, o.reason) for o in fact.objects) == [
        ("p1/aggregate.json", "plan_without_runs"), ("p1/plan_final.json", "plan_without_runs"),
        ("r1.json.gz", "run_deleted")], "p1/aggregate.json was gone already: named too"
    assert fact.grace_hours == 24
    assert await sweeper.sweep() == 0, "the fact ended the rows"


async def test_nothing_is_removed_before_the_grace_period_ends():
    live, log = registry_after([plan("p1"), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5)])
    store = InMemoryObjectStore()
    await stored(store, ("scpln-results", "r1.json.gz"))
    sweeper = ObjectSweeper(live, store, log, grace_hours=24, clock=lambda: T0 + timedelta(hours=24))
    assert await sweeper.sweep() == 0 and store.objects and log.events == []


async def test_two_replicas_sweeping_the_same_objects_record_the_same_fact():
    ids = []
    for _replica in range(2):
        live, log = registry_after([plan("p1"), run("r1", "p1"), run("r2", "p1", 1), deleted_at("r1", 5)])
        await ObjectSweeper(live, InMemoryObjectStore(), log, grace_hours=1, clock=lambda: T0 + timedelta(days=1)).sweep()
        ids.append(log.events[0].event_id)
    assert ids[0] == ids[1], "the stream drops the second publish (Nats-Msg-Id)"


async def test_measure_reports_each_bucket_in_the_status_and_the_gauge():
    live, log = registry_after([])
    store = InMemoryObjectStore()
    await stored(store, ("scpln-results", "a"), ("scpln-results", "b"), ("scpln-artifacts", "c"))
    sizes = await ObjectSweeper(live, store, log, grace_hours=1).measure()
    by_bucket = {s.bucket: (s.bytes, s.messages) for s in sizes}
    assert by_bucket[subjects.RESULTS_BUCKET] == (200, 2) and by_bucket[subjects.ARTIFACTS_BUCKET] == (100, 1)
    assert by_bucket[subjects.UPLOADS_BUCKET] == (0, 0)
    assert OBJECT_STORE_BYTES.labels(subjects.RESULTS_BUCKET)._value.get() == 200
