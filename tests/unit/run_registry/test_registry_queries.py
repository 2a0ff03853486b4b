"""Compare, plans, run detail, jobs, scenarios, configs and status queries."""

from datetime import timedelta

import pytest
from registry_helpers import (
    T0,
    config_created,
    engine_for,
    messages,
    plan_created,
    progress,
    run_completed,
    run_failed,
    scenario_created,
)

from contracts import events as ev
from contracts import queries as q
from services.run_registry import projections, queries
from services.run_registry.writer import ReadModelWriter

ENV = {"correlation_id": "c", "producer": "t"}


@pytest.fixture()
def conn():
    engine = engine_for("memory")
    events = [
        scenario_created("s1", "Base"), scenario_created("s2", "Old"), config_created("c1"),
        ev.ScenarioLocked(scenario_id="s1", locked_by="ann", occurred_at=T0, **ENV),
        ev.ScenarioArchived(scenario_id="s2", archived_by="ann", **ENV),
        plan_created("p1", job="jp1", sim_job="js1", at=T0),
        plan_created("p2", sid="s2", job="jp2", sim_job="js2", at=T0 + timedelta(hours=1)),
        run_completed("r1", started=T0, fill_rate=0.8, profit=100.0),
        run_completed("r2", started=T0 + timedelta(hours=2), fill_rate=0.9, profit=0.0),
        run_completed("r3", started=T0 + timedelta(hours=1), fill_rate=0.82, profit=-50.0),
        run_failed("r4", started=T0 + timedelta(hours=3)),
        progress("js1", "running", pv="p1"),
    ]
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as connection:
        yield connection


def kpi(comparison, key):
    return next(k for k in comparison.kpis if k.key == key)


def test_compare_puts_numeric_kpis_side_by_side_against_the_first_run(conn):
    result = queries.compare_runs(conn, q.CompareRuns(run_ids=["r1", "r2", "r3"], threshold=0.05))
    assert result.base_id == "r1" and [r.run_id for r in result.runs] == ["r1", "r2", "r3"]
    fill = kpi(result, "fill_rate")
    assert fill.values == {"r1": 0.8, "r2": 0.9, "r3": 0.82}
    assert fill.diff_abs["r1"] == 0 and fill.diff_abs["r2"] == pytest.approx(0.1)
    assert fill.diff_pct["r2"] == pytest.approx(0.125) and fill.diff_pct["r3"] == pytest.approx(0.025)
    assert fill.flagged == {"r1": False, "r2": True, "r3": False}
    keys = [k.key for k in result.kpis]
    assert keys[:2] == ["planning_days", "fill_rate"]
    assert "avg_on_hand_by_type" not in keys and "top_shortage_items" not in keys


def test_compare_against_a_chosen_base_with_a_subset_of_keys(conn):
    result = queries.compare_runs(conn, q.CompareRuns(run_ids=["r1", "r3"], base_id="r2", keys=["profit_total"]))
    [profit] = result.kpis
    assert [r.run_id for r in result.runs] == ["r2", "r1", "r3"]
    assert profit.values == {"r2": 0.0, "r1": 100.0, "r3": -50.0}
    assert profit.diff_abs == {"r2": 0.0, "r1": 100.0, "r3": -50.0}
    assert profit.diff_pct == {"r2": 0.0, "r1": None, "r3": None}
    assert profit.flagged == {"r2": False, "r1": True, "r3": True}


def test_compare_with_a_failed_run_has_no_values_for_it(conn):
    result = queries.compare_runs(conn, q.CompareRuns(run_ids=["r1", "r4"]))
    fill = kpi(result, "fill_rate")
    assert (fill.values["r4"], fill.diff_abs["r4"], fill.diff_pct["r4"], fill.flagged["r4"]) == (None, None, None, False)
    negative_base = queries.compare_runs(conn, q.CompareRuns(run_ids=["r3", "r1"], keys=["profit_total"]))
    assert negative_base.kpis[0].diff_pct["r1"] == pytest.approx(3.0)


def test_compare_refuses_unknown_runs(conn):
    with pytest.raises(queries.NotFound) as error:
        queries.compare_runs(conn, q.CompareRuns(run_ids=["r1", "nope"]))
    assert (error.value.kind, error.value.id, error.value.error_code) == ("run", "nope", "run_not_found")


def test_a_deleted_run_is_not_found_and_says_who_deleted_it_when():
    engine = engine_for("memory")
    deleted = ev.RunDeleted(run_id="r1", deleted_by="ann", occurred_at=T0 + timedelta(hours=2), **ENV)
    ReadModelWriter(engine).apply_batch(messages([run_completed("r1", started=T0), deleted]))
    with engine.connect() as conn, pytest.raises(queries.NotFound) as error:
        queries.get_run(conn, q.GetRun(run_id="r1"))
    assert error.value.error_code == "run_not_found"
    assert error.value.message == "run r1 was deleted by ann at 2026-03-01 02:00:00 UTC (the event log keeps its history)"
    with engine.connect() as conn, pytest.raises(queries.NotFound) as never:
        queries.get_run(conn, q.GetRun(run_id="r9"))
    assert never.value.message == "run r9 does not exist"


def test_plans_list_with_run_counts_and_latest_run(conn):
    page = queries.list_plans(conn, q.ListPlans())
    assert page.total == 2 and [p.plan_version_id for p in page.plans] == ["p2", "p1"]
    p1 = page.plans[1]
    assert (p1.run_count, p1.latest_run_id, p1.latest_fill_rate) == (4, "r4", None)
    assert (page.plans[0].run_count, page.plans[0].latest_run_id) == (0, None)
    only = queries.list_plans(conn, q.ListPlans(base_scenario_id="s2"))
    assert [p.plan_version_id for p in only.plans] == ["p2"] and only.total == 1
    assert queries.list_plans(conn, q.ListPlans(limit=1, offset=1)).plans[0].plan_version_id == "p1"


def test_a_plan_with_its_runs_newest_first(conn):
    detail = queries.get_plan(conn, q.GetPlan(plan_version_id="p1"))
    assert detail.plan.status == "ready" and detail.plan.artifacts[0].key == "k"
    assert [r.run_id for r in detail.runs] == ["r4", "r2", "r3", "r1"]
    with pytest.raises(queries.NotFound):
        queries.get_plan(conn, q.GetPlan(plan_version_id="p9"))


def test_a_run_with_its_plan_scenario_and_config(conn):
    detail = queries.get_run(conn, q.GetRun(run_id="r1"))
    assert detail.run.plan_version_id == "p1" and detail.last_seq == 12 and detail.lag == 0
    assert detail.plan["config_version_id"] == "c1" and detail.plan["run_count"] == 4
    assert detail.scenario["locked"] is True and detail.config["counts"] == {"items": 3}
    with pytest.raises(queries.NotFound):
        queries.get_run(conn, q.GetRun(run_id="nope"))


def test_jobs_filter_by_state_and_type(conn):
    assert queries.list_jobs(conn, q.ListJobs()).total == 4
    running = queries.list_jobs(conn, q.ListJobs(state="running"))
    assert [j.job_id for j in running.jobs] == ["js1"] and running.total == 1
    planning = queries.list_jobs(conn, q.ListJobs(job_type="planning", state="succeeded"))
    assert sorted(j.job_id for j in planning.jobs) == ["jp1", "jp2"]
    assert queries.get_job(conn, q.GetJob(job_id="js1")).job.plan_version_id == "p1"
    with pytest.raises(queries.NotFound):
        queries.get_job(conn, q.GetJob(job_id="nope"))


def test_scenarios_and_configs(conn):
    every = queries.list_scenarios(conn, q.ListScenarios())
    assert [(s.scenario_id, s.locked, s.archived) for s in every.scenarios] == [("s1", True, False), ("s2", False, True)]
    assert [s.scenario_id for s in queries.list_scenarios(conn, q.ListScenarios(include_archived=False)).scenarios] == ["s1"]
    assert queries.get_scenario(conn, q.GetScenario(scenario_id="s1")).scenario.locked_by == "ann"
    configs = queries.list_configs(conn, q.ListConfigs())
    assert configs.total == 1 and configs.configs[0].document.key == "k"
    assert queries.get_config(conn, q.GetConfig(config_version_id="c1")).config.planning_days == 30
    for fn, query in [(queries.get_scenario, q.GetScenario(scenario_id="x")), (queries.get_config, q.GetConfig(config_version_id="x"))]:
        with pytest.raises(queries.NotFound):
            fn(conn, query)


def test_status_reports_runs_retention_and_dead_letters():
    engine = engine_for("memory")

    def fifth_fails(event, seq):
        if seq == 5:
            raise ValueError("poison")
        return projections.apply(event, seq)

    writer = ReadModelWriter(engine, max_runs=2, apply=fifth_fails)
    writer.apply_batch(messages([run_completed(f"r{i}", started=T0 + timedelta(hours=i)) for i in range(5)]))
    with engine.connect() as conn:
        status = queries.status(conn)
    assert (status.runs, status.runs_dropped_by_retention, status.dead_letters, status.last_seq) == (2, 2, 1, 5)


def test_status_shows_the_newest_dead_letters_with_why_and_the_duplicate_final_facts():
    engine = engine_for("memory")
    unreadable = [(seq, f"scpln.events.x{seq}", b"not json") for seq in range(1, 8)]
    repeated = messages([run_completed("r1"), run_failed("r1")], start=8)
    ReadModelWriter(engine).apply_batch(unreadable + repeated)
    with engine.connect() as conn:
        status = queries.status(conn)
    assert (status.dead_letters, status.events_undecodable, status.duplicate_final_facts, status.runs) == (7, 7, 1, 1)
    assert [(d.seq, d.subject, d.attempts) for d in status.latest_dead_letters] == [
        (seq, f"scpln.events.x{seq}", 0) for seq in (7, 6, 5, 4, 3)]
    assert status.latest_dead_letters[0].reason.startswith("not JSON: ")
