"""Storage that ends, against a real nats-server: a deleted run's results and its plan's
artifacts leave the object store after the grace period, the removal is a fact in the log, and
the registry's status shows the buckets' sizes."""

import asyncio

import pytest

from contracts import subjects
from contracts.commands import DeleteRun
from contracts.events import JobProgress, PlanCreated, RunCompleted
from contracts.queries import Consistency, RegistryStatus
from contracts.stored_objects import StoredObjectsDeleted
from runtime.objects import NatsObjectStore, ObjectMissing
from runtime.publisher import JetStreamPublisher
from services.run_registry.app import main
from services.run_registry.settings import Settings
from tests.integration.conftest import Running, wait_events
from tests.integration.test_registry_bus import REF, T0, ask, summary

DOCUMENT = bytes(range(256)) * 800  # 200 KiB, about a large plan's results


async def status_when(js, ready) -> RegistryStatus:  # type: ignore[no-untyped-def]
    """The registry's status once ``ready(status)`` holds (the sweeper measures every 0.2 s)."""
    for _ in range(300):
        status = await ask(js, subjects.QRY_STATUS, Consistency(), RegistryStatus)
        if ready(status):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"the registry's status never got there: {status}")


def size(status: RegistryStatus, bucket: str) -> int:
    return next((b.bytes for b in status.object_store if b.bucket == bucket), -1)


@pytest.fixture()
def settings(fresh_nats, tmp_path) -> Settings:
    return Settings(nats_url=fresh_nats, registry_backend="db", scpln_db=tmp_path / "registry.db",
                    fetch_timeout_s=0.2, object_grace_hours=0, object_sweep_s=0.2)


async def test_a_deleted_runs_results_and_its_plans_artifacts_are_removed_and_recorded(settings, js):
    objects, publisher = NatsObjectStore(js), JetStreamPublisher(js)
    results = await objects.put("daily_results", subjects.RESULTS_BUCKET, "run_001.json.gz", DOCUMENT)
    plan_final = await objects.put("plan_final", subjects.ARTIFACTS_BUCKET, "plan_1/plan_final.json", DOCUMENT)
    other = await objects.put("daily_results", subjects.RESULTS_BUCKET, "run_other.json.gz", DOCUMENT)
    registry = Running(main, settings)
    try:
        await publisher.publish(PlanCreated(correlation_id="plan_1", producer="test", plan_version_id="plan_1",
                                            config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="S",
                                            job_id="job_1", seed=1, config=REF, simulation_job_id="sim_1",
                                            artifacts=[plan_final]))
        await publisher.publish(RunCompleted(
            correlation_id="sim_1", producer="test", run_id="run_001", plan_version_id="plan_1",
            config_version_id="cfg_1", scenario_id="scn_1", scenario_name="S", job_id="sim_1", seed=1,
            started_at=T0, finished_at=T0, duration_ms=1, summary=summary(0.9),
            simulator_version="t", results=results))
        await publisher.publish(JobProgress(correlation_id="sim_1", producer="test", job_id="sim_1",
                                            job_type="simulation", state="succeeded", progress=1))
        before = await status_when(js, lambda s: s.runs == 1 and size(s, subjects.RESULTS_BUCKET) > 2 * len(DOCUMENT))
        await js._nc.request(subjects.CMD_RUN_DELETE, DeleteRun(run_id="run_001", by="ann").model_dump_json().encode())
        events = await wait_events(js, lambda evts: any(isinstance(e, StoredObjectsDeleted) for e in evts))
        [fact] = [e for e in events if isinstance(e, StoredObjectsDeleted)]
        assert sorted((o.bucket, o.key, o.reason) for o in fact.objects) == [
            (subjects.ARTIFACTS_BUCKET, "plan_1/plan_final.json", "plan_without_runs"),
            (subjects.RESULTS_BUCKET, "run_001.json.gz", "run_deleted")]
        for ref in (results, plan_final):
            with pytest.raises(ObjectMissing):
                await objects.get(ref.bucket, ref.key)
        assert await objects.get(other.bucket, other.key) == DOCUMENT, "nothing else is touched"
        after = await status_when(js, lambda s: s.pending_object_deletions == 0
                                  and size(s, subjects.RESULTS_BUCKET) < size(before, subjects.RESULTS_BUCKET))
        assert size(after, subjects.RESULTS_BUCKET) < size(before, subjects.RESULTS_BUCKET) - len(DOCUMENT) + 4096
        assert size(after, subjects.ARTIFACTS_BUCKET) < 4096, "a deleted object leaves a small marker"
    finally:
        await registry.stop()
