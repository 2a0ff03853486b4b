"""The projection is a pure fold step: one event in, the row changes it implies out."""

from datetime import timedelta

from registry_helpers import (
    ART,
    T0,
    config_created,
    plan_created,
    progress,
    run_completed,
    run_failed,
    scenario_created,
    summary,
)

from contracts import events as ev
from services.run_registry import db
from services.run_registry.projections import (
    AdvanceJob,
    DeleteRun,
    EnforceRetention,
    RecordRun,
    Update,
    Upsert,
    apply,
)

ENV = {"correlation_id": "c", "producer": "t", "occurred_at": T0}


def test_scenario_created_upserts_descriptive_fields_only():
    [change] = apply(scenario_created("s1", "Base EU"), 1)
    assert change == Upsert("scenarios", {
        "scenario_id": "s1", "name": "Base EU", "description": "", "tag": "", "parent_id": None, "overrides": [],
        "created_at": T0, "updated_at": T0})


def test_scenario_updated_changes_fields_of_the_existing_row():
    event = ev.ScenarioUpdated(scenario_id="s1", name="New", tag="x", **ENV)
    assert apply(event, 2) == [Update("scenarios", {"scenario_id": "s1"}, {
        "name": "New", "description": "", "tag": "x", "parent_id": None, "overrides": [], "updated_at": T0})]


def test_lock_unlock_archive_and_unarchive_set_their_flags_and_who():
    locked = apply(ev.ScenarioLocked(scenario_id="s1", locked_by="ann", **ENV), 1)
    unlocked = apply(ev.ScenarioUnlocked(scenario_id="s1", unlocked_by="bob", **ENV), 2)
    archived = apply(ev.ScenarioArchived(scenario_id="s1", archived_by="bob", **ENV), 3)
    unarchived = apply(ev.ScenarioUnarchived(scenario_id="s1", unarchived_by="cy", **ENV), 4)
    assert locked == [Update("scenarios", {"scenario_id": "s1"},
                             {"locked": True, "locked_by": "ann", "locked_at": T0, "updated_at": T0})]
    assert unlocked[0].values == {"locked": False, "locked_by": None, "locked_at": None, "updated_at": T0}
    assert archived[0].values == {"archived": True, "archived_by": "bob", "archived_at": T0, "updated_at": T0}
    assert unarchived[0].values == {"archived": False, "archived_by": None, "archived_at": None, "updated_at": T0}


def test_config_version_created_keeps_document_reference_and_counts():
    [change] = apply(config_created("c9"), 1)
    assert isinstance(change, Upsert) and change.table == "configs"
    assert change.row["config_version_id"] == "c9"
    assert change.row["document"]["key"] == ART["key"] and change.row["counts"] == {"items": 3}


def test_plan_created_makes_a_ready_plan_a_succeeded_planning_job_and_a_queued_simulation():
    plan, planning, simulation, request, *kept = apply(plan_created("p1", job="jp", sim_job="js"), 1)
    assert request == Upsert("simulation_requests", {"job_id": "js", "plan_version_id": "p1", "supply_plan_sha256": None})
    assert [(k.table, k.row["job_id"], k.row["seq"], k.row["state"]) for k in kept] == [
        ("job_events", "jp", 1, "succeeded"), ("job_events", "js", 1, "queued")]
    assert plan.table == "plans" and plan.row["status"] == "ready" and plan.row["artifacts"] == [ART | {
        "content_type": "application/json"}]
    assert isinstance(planning, AdvanceJob) and planning.row == {
        "job_id": "jp", "job_type": "planning", "state": "succeeded", "progress": 1.0,
        "step": "plan_final", "message": "plan ready", "plan_version_id": "p1", "run_id": None, "created_at": T0, "updated_at": T0}
    assert (simulation.row["job_id"], simulation.row["state"]) == ("js", "queued")


def test_plan_requested_makes_a_planning_plan_and_queues_its_planning_job():
    event = ev.PlanRequested(plan_version_id="p1", config_version_id="c1", base_scenario_id="s1",
                             scenario_name="Base", job_id="jp", seed=3, options={"tolerance": 5}, **ENV)
    plan, job, _kept = apply(event, 1)
    assert plan == Upsert("plans", {
        "plan_version_id": "p1", "config_version_id": "c1", "base_scenario_id": "s1", "scenario_name": "Base",
        "job_id": "jp", "seed": 3, "options": {"tolerance": 5}, "overrides": [], "replications": 1, "status": "planning",
            "artifacts": [],
        "kpis": {}, "created_at": T0})
    assert (job.row["job_id"], job.row["job_type"], job.row["state"], job.row["plan_version_id"]) == (
        "jp", "planning", "queued", "p1")


def test_run_requested_queues_a_simulation_job():
    event = ev.RunRequested(plan_version_id="p1", config_version_id="c1", base_scenario_id="s1",
                            scenario_name="Base", job_id="j9", seed=3, config=ART, **ENV)
    job, request, _kept = apply(event, 1)
    assert (job.row["job_id"], job.row["job_type"], job.row["state"]) == ("j9", "simulation", "queued")
    assert request.table == "simulation_requests" and request.row["job_id"] == "j9", "which supply plan the job executes"


def test_job_progress_advances_the_job_with_its_links():
    job, kept = apply(progress("j1", "running", value=0.25, pv="p1", run_id="r1"), 7)
    assert isinstance(job, AdvanceJob)
    assert kept == Upsert("job_events", {"job_id": "j1", "seq": 7, "state": "running", "progress": 0.25,
                                         "step": "day 1", "message": "", "at": T0}), "kept as it came, for the job page"
    assert job.row == {"job_id": "j1", "job_type": "simulation", "state": "running", "progress": 0.25,
                            "step": "day 1", "message": "", "plan_version_id": "p1", "run_id": "r1",
                            "created_at": T0, "updated_at": T0}


def test_run_completed_records_the_run_with_its_summary_and_sortable_kpis_then_enforces_retention():
    record, retention = apply(run_completed("r1", name="Base EU", fill_rate=0.8, profit=-5.0), 4)
    assert retention == EnforceRetention()
    assert type(record) is RecordRun and record.seq == 4, "inserted unless the run has its final fact"
    row = record.row
    assert (row["status"], row["fill_rate"], row["profit_total"]) == ("succeeded", 0.8, -5.0)
    assert row["scenario_name_lc"] == "base eu" and summary(0.8, -5.0).items() <= row["summary"].items()
    assert row["finished_at"] - row["started_at"] == timedelta(seconds=1)


def test_run_failed_is_a_failed_run_without_kpis():
    record, retention = apply(run_failed("r2", duration_ms=2500), 1)
    assert retention == EnforceRetention() and type(record) is RecordRun
    assert (record.row["status"], record.row["reason"], record.row["fill_rate"]) == ("failed", "boom", None)
    assert record.row["duration_ms"] == 2500 and record.row["summary"] == {}


def test_run_deleted_removes_the_run_and_says_who_deleted_it_when():
    event = ev.RunDeleted(run_id="r1", deleted_by="ann", occurred_at=T0, correlation_id="c", producer="p")
    assert apply(event, 1) == [DeleteRun("r1", T0),
                               Upsert("deleted_runs", {"run_id": "r1", "deleted_by": "ann", "deleted_at": T0})]


def test_aggregate_requested_and_completed_fill_one_aggregate_row():
    asked = ev.AggregateRequested(job_id="ja", run_id="r1", plan_version_id="p1", bucket="week", group_by="item", **ENV)
    done = ev.AggregateCompleted(job_id="ja", run_id="r1", plan_version_id="p1", bucket="week",
                                 group_by="item", artifact=ART, rows=12, **ENV)
    upsert, job, _kept = apply(asked, 1)
    assert (upsert.row["status"], upsert.row["requested_at"], job.row["job_type"]) == ("requested", T0, "aggregate")
    [completed] = apply(done, 2)
    assert (completed.row["status"], completed.row["rows"], completed.row["completed_at"]) == ("completed", 12, T0)


def test_anything_else_changes_nothing():
    assert apply(object(), 5) == []


def test_naive_times_are_read_as_utc():
    naive = run_completed("r1", started=T0.replace(tzinfo=None))
    assert apply(naive, 1)[0].row["started_at"] == T0


def test_json_columns_are_written_with_sorted_keys_even_beyond_64_bit_integers():
    column = db.Json()
    assert column.process_bind_param({"b": 1, "a": [1.5, "é"]}, None) == '{"a":[1.5,"é"],"b":1}'
    huge = {"z": 2**70, "a": 1}
    assert column.process_bind_param(huge, None) == '{"a":1,"z":1180591620717411303424}'
    assert column.process_result_value(column.process_bind_param(huge, None), None) == huge
