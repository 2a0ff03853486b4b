"""Storage that ends, the decision: what a deleted or dropped run and a plan left without runs
release for removal (``pending_object_deletions``), the same live and rebuilt, and when it is due."""

from datetime import timedelta

from registry_helpers import (
    ART,
    T0,
    engine_for,
    messages,
    plan_created,
    progress,
    rows,
    run_completed,
    run_deleted,
)

from contracts import events as ev
from contracts.stored_objects import StoredObject, StoredObjectsDeleted
from services.run_registry.digest import table_digests
from services.run_registry.object_sweep import due
from services.run_registry.writer import ReadModelWriter

ENV = {"correlation_id": "corr", "producer": "test"}
GRACE = timedelta(hours=24)


def ref(bucket: str, key: str) -> dict:
    return {**ART, "bucket": bucket, "key": key}


def plan(pv: str, at=T0) -> ev.PlanCreated:  # type: ignore[no-untyped-def]
    return plan_created(pv, job=f"jp_{pv}", sim_job=f"js_{pv}", at=at).model_copy(update={"artifacts": [
        ev.ArtifactRef(**ref("scpln-artifacts", f"{pv}/aggregate.json")),
        ev.ArtifactRef(**ref("scpln-artifacts", f"{pv}/plan_final.json"))]})


def run(run_id: str, pv: str, minutes: int = 0) -> ev.RunCompleted:
    return run_completed(run_id, started=T0 + timedelta(minutes=minutes), pv=pv, job=f"js_{pv}").model_copy(
        update={"results": ev.ArtifactRef(**ref("scpln-results", f"{run_id}.json.gz"))})


def simulated(pv: str) -> ev.JobProgress:
    return progress(f"js_{pv}", "succeeded", value=1.0, pv=pv)


def aggregate(run_id: str, pv: str) -> ev.AggregateCompleted:
    return ev.AggregateCompleted(job_id=f"ja_{run_id}", run_id=run_id, plan_version_id=pv, bucket="week",
                                 group_by="item", rows=3, artifact=ref("scpln-artifacts", f"{pv}/aggregates/{run_id}"),
                                 **ENV)


def deleted_at(run_id: str, minutes: int) -> ev.RunDeleted:
    return run_deleted(run_id).model_copy(update={"occurred_at": T0 + timedelta(minutes=minutes)})


def pending(engine) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(r["key"], r["reason"], r["run_id"]) for r in rows(engine, "pending_object_deletions", "key")]


def project(events: list, max_runs: int | None = None, batch: int | None = None):  # type: ignore[no-untyped-def]
    engine = engine_for("memory")
    writer = ReadModelWriter(engine, max_runs=max_runs)
    all_messages = messages(events)
    step = batch or len(all_messages)
    for start in range(0, len(all_messages), step):
        writer.apply_batch(all_messages[start:start + step])
    return engine


def test_a_deleted_run_releases_its_results_and_aggregates_and_its_plan_keeps_its_artifacts_while_it_has_runs():
    engine = project([plan("p1"), run("r1", "p1"), run("r2", "p1", 1), aggregate("r1", "p1"), deleted_at("r1", 5)])
    assert pending(engine) == [("p1/aggregates/r1", "run_deleted", "r1"), ("r1.json.gz", "run_deleted", "r1")]
    since = {r["key"]: r["since"] for r in rows(engine, "pending_object_deletions", "key")}
    assert since["r1.json.gz"] == T0 + timedelta(minutes=5), "since the run was deleted"


def test_a_plan_whose_last_run_is_deleted_releases_its_artifacts():
    engine = project([plan("p1"), run("r1", "p1"), aggregate("r1", "p1"), deleted_at("r1", 5)])
    assert pending(engine) == [("p1/aggregate.json", "plan_without_runs", None),
                               ("p1/aggregates/r1", "run_deleted", "r1"),
                               ("p1/plan_final.json", "plan_without_runs", None),
                               ("r1.json.gz", "run_deleted", "r1")]


def test_a_plan_simulated_again_keeps_its_artifacts():
    engine = project([plan("p1"), run("r1", "p1"), deleted_at("r1", 5), run("r2", "p1", 10)])
    assert pending(engine) == [("r1.json.gz", "run_deleted", "r1")]


def test_runs_dropped_by_retention_release_what_they_stored_run_by_run_or_in_one_batch_alike():
    events = [plan("p1"), plan("p2"), run("r1", "p1"), run("r2", "p2", 1), run("r3", "p2", 2), run("r4", "p2", 3)]
    by_one, at_once = project(events, max_runs=2, batch=1), project(events, max_runs=2)
    assert pending(by_one) == pending(at_once) == [
        ("p1/aggregate.json", "plan_without_runs", None), ("p1/plan_final.json", "plan_without_runs", None),
        ("r1.json.gz", "run_dropped", "r1"), ("r2.json.gz", "run_dropped", "r2")]
    assert table_digests(by_one) == table_digests(at_once)
    assert all(r["since"] >= T0 for r in rows(at_once, "pending_object_deletions", "key"))


def test_the_removal_fact_ends_the_rows_it_names():
    removed = StoredObjectsDeleted(objects=[StoredObject(bucket="scpln-results", key="r1.json.gz", reason="run_deleted")],
                                   grace_hours=24, **ENV)
    engine = project([plan("p1"), run("r1", "p1"), run("r2", "p1", 1), deleted_at("r1", 5), removed])
    assert pending(engine) == []


def test_due_waits_for_the_grace_period_and_for_a_plan_to_stay_idle_and_old():
    engine = project([plan("p1"), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5)])
    with engine.connect() as conn:
        assert due(conn, T0 + timedelta(minutes=5) + GRACE - timedelta(seconds=1), GRACE) == []
        keys = [o.key for o in due(conn, T0 + timedelta(minutes=5) + GRACE, GRACE)]
    assert keys == ["p1/aggregate.json", "p1/plan_final.json", "r1.json.gz"]


def test_a_plan_with_a_simulation_queued_or_too_young_keeps_its_artifacts_past_the_grace_period():
    later = T0 + timedelta(days=3)
    rerun = ev.RunRequested(plan_version_id="p1", config_version_id="c1", base_scenario_id="s1",
                            scenario_name="Base", job_id="j_again", seed=3, config=ART, **ENV)
    queued = project([plan("p1"), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5), rerun])
    young = project([plan("p1", at=later), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5)])
    finished = project([plan("p1"), run("r1", "p1"), simulated("p1"), deleted_at("r1", 5), rerun,
                        progress("j_again", "failed", pv="p1")])
    now = T0 + timedelta(days=2)
    for engine, plan_artifacts in ((queued, False), (young, False), (finished, True)):
        with engine.connect() as conn:
            keys = [o.key for o in due(conn, now, GRACE)]
        assert ("p1/plan_final.json" in keys) is plan_artifacts and "r1.json.gz" in keys
