"""Failed plans in the plans read model, and jobs that stay failed: a plan has a row from its
request on, its status follows its planning job; a failed job never comes back, whatever
arrives after (a second failure, the slow worker's own end, its run)."""

from datetime import timedelta

import pytest
from registry_helpers import T0, engine_for, messages, plan_created, rows, run_completed

from contracts import events as ev
from contracts import queries as q
from services.run_registry import queries
from services.run_registry.writer import ReadModelWriter

ENV = {"correlation_id": "c", "producer": "t"}


def requested(pv: str, job: str, at=T0, **options):  # type: ignore[no-untyped-def]
    return ev.PlanRequested(plan_version_id=pv, config_version_id="c1", base_scenario_id="s1", scenario_name="Base",
                            job_id=job, seed=3, options=options, occurred_at=at, **ENV)


def planning(job: str, pv: str, state: str, step: str = "", message: str = "", at=T0):  # type: ignore[no-untyped-def]
    return ev.JobProgress(job_id=job, job_type="planning", state=state, progress=1.0 if state != "running" else 0.4,
                          step=step, message=message, plan_version_id=pv, occurred_at=at, **ENV)


def simulation(job: str, state: str, message: str = "", at=T0):  # type: ignore[no-untyped-def]
    return ev.JobProgress(job_id=job, job_type="simulation", state=state, progress=0.5, step="day 3/30",
                          message=message, plan_version_id="p1", occurred_at=at, **ENV)


LATER = T0 + timedelta(minutes=20)
HISTORY = [
    requested("p_bad", "jp_bad", tolerance=5),
    planning("jp_bad", "p_bad", "failed", "options", "tolerance must be a number in [0, 1), not 5",
             at=T0 + timedelta(seconds=1)),
    requested("p_slow", "jp_slow", at=T0 + timedelta(seconds=2)),
    planning("jp_slow", "p_slow", "running", "mrp", at=T0 + timedelta(seconds=3)),
    requested("p_gone", "jp_gone", at=T0 + timedelta(seconds=4)),
    planning("jp_gone", "p_gone", "cancelled", "cancelled", "cancelled by ana", at=T0 + timedelta(seconds=5)),
    requested("p_ok", "jp_ok", at=T0 + timedelta(seconds=6)),
    plan_created("p_ok", job="jp_ok", sim_job="js_ok", at=T0 + timedelta(seconds=7)),
    requested("p_late", "jp_late", at=T0 + timedelta(seconds=8)),
    planning("jp_late", "p_late", "failed", "reconcile", "no progress for 600 s: plan_service did not finish it",
             at=LATER),
    plan_created("p_late", job="jp_late", sim_job="js_late", at=LATER + timedelta(seconds=1)),
    planning("jp_bad", "p_bad", "failed", "options", "a second failure changes nothing", at=LATER),
]


@pytest.fixture(params=["one batch", "one event per batch"])
def engine(request):  # type: ignore[no-untyped-def]
    engine = engine_for("memory")
    writer = ReadModelWriter(engine)
    if request.param == "one batch":
        writer.apply_batch(messages(HISTORY))
    else:
        for message in messages(HISTORY):
            writer.apply_batch([message])
    return engine


def plan(engine, pv: str) -> q.PlanRow:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return queries.get_plan(conn, q.GetPlan(plan_version_id=pv)).plan


def test_a_plan_whose_pipeline_failed_says_which_step_and_why(engine):
    bad = plan(engine, "p_bad")
    assert (bad.status, bad.failed_step, bad.reason) == (
        "failed", "options", "tolerance must be a number in [0, 1), not 5")
    assert bad.options == {"tolerance": 5} and bad.artifacts == [] and bad.job_id == "jp_bad"


def test_a_plan_still_planning_a_cancelled_one_and_a_ready_one(engine):
    assert (plan(engine, "p_slow").status, plan(engine, "p_slow").reason) == ("planning", "")
    assert (plan(engine, "p_gone").status, plan(engine, "p_gone").reason) == ("cancelled", "cancelled by ana")
    ready = plan(engine, "p_ok")
    assert (ready.status, ready.failed_step, ready.reason, ready.kpis) == ("ready", "", "", {"demand": 10.0})


def test_a_plan_created_after_its_job_failed_is_ready_and_the_job_stays_failed(engine):
    assert plan(engine, "p_late").status == "ready"
    with engine.connect() as conn:
        job = queries.get_job(conn, q.GetJob(job_id="jp_late")).job
    assert (job.state, job.step) == ("failed", "reconcile") and "no progress" in job.message


def test_plans_filter_by_status_and_count_what_they_show(engine):
    with engine.connect() as conn:
        failed = queries.list_plans(conn, q.ListPlans(status="failed"))
        every = queries.list_plans(conn, q.ListPlans())
    assert [p.plan_version_id for p in failed.plans] == ["p_bad"] and failed.total == 1
    assert every.total == 5 and {p.status for p in every.plans} == {"failed", "planning", "cancelled", "ready"}


def test_a_second_failure_of_a_failed_job_changes_nothing(engine):
    with engine.connect() as conn:
        job = queries.get_job(conn, q.GetJob(job_id="jp_bad")).job
    assert job.message == "tolerance must be a number in [0, 1), not 5"
    assert job.updated_at == T0 + timedelta(seconds=1)


def test_the_run_of_a_job_that_failed_first_is_recorded_and_the_job_stays_failed():
    engine = engine_for("memory")
    overdue = "no progress for 900 s: the simulator did not finish it"
    ReadModelWriter(engine).apply_batch(messages([
        plan_created("p1", job="jp1", sim_job="js1"), simulation("js1", "failed", overdue, at=LATER),
        simulation("js1", "running", at=LATER + timedelta(seconds=1)),
        run_completed("r1", started=LATER, job="js1"),
        simulation("js1", "succeeded", "run completed", at=LATER + timedelta(seconds=2)),
    ]))
    assert [r["run_id"] for r in rows(engine, "runs", "run_id")] == ["r1"]
    [job] = [j for j in rows(engine, "jobs", "job_id") if j["job_id"] == "js1"]
    assert (job["state"], job["message"]) == ("failed", overdue)


def test_jobs_without_progress_since_a_moment_are_listed_by_type():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([
        simulation("js_stale", "running", at=T0), simulation("js_fresh", "running", at=LATER),
        ev.JobProgress(job_id="js_queued", job_type="simulation", state="queued", progress=0, occurred_at=T0, **ENV),
        simulation("js_done", "failed", at=T0), requested("p1", "jp_stale", at=T0),
    ]))
    since = T0 + timedelta(minutes=15)
    with engine.connect() as conn:
        found = queries.list_jobs(conn, q.ListJobs(job_type="simulation", unfinished=True, updated_before=since))
        planning_jobs = queries.list_jobs(conn, q.ListJobs(job_type="planning", unfinished=True, updated_before=since))
    assert sorted(j.job_id for j in found.jobs) == ["js_queued", "js_stale"] and found.total == 2
    assert [j.job_id for j in planning_jobs.jobs] == ["jp_stale"]


def test_a_read_model_of_an_older_version_is_projected_again_from_the_whole_log(tmp_path):
    from sqlalchemy import update

    from services.run_registry import db
    from services.run_registry.live import LiveReadModel
    from services.run_registry.settings import Settings

    settings = Settings(registry_backend="db", scpln_db=tmp_path / "registry.db")  # engine_for's file
    old = engine_for("db", tmp_path)
    ReadModelWriter(old, projection="registry").apply_batch(messages([plan_created("p1")]))
    with old.begin() as conn:
        conn.execute(update(db.checkpoint).values(schema_version=db.READ_MODEL_VERSION - 1))
    old.dispose()
    live = LiveReadModel(settings)
    assert live.writer.last_seq() == 0 and rows(live.engine, "plans", "plan_version_id") == []
    assert live.position.counted_through == 1  # its runs were counted when first applied
    live.writer.apply_batch(messages([plan_created("p1")]))
    live.engine.dispose()
    again = LiveReadModel(settings)
    assert again.writer.last_seq() == 1 and len(rows(again.engine, "plans", "plan_version_id")) == 1
    again.engine.dispose()
