"""run_registry against a real nats-server and a real SQLite file: the live projection and queries."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nats.errors import NoRespondersError
from sqlalchemy import select

from contracts import subjects
from contracts.commands import DeleteRun, parse_reply
from contracts.events import ArtifactRef, JobProgress, PlanCreated, RunCompleted, RunFailed, RunSummary
from contracts.queries import (
    Consistency,
    GetJob,
    GetRun,
    JobDetail,
    ListRuns,
    RegistryStatus,
    RunDetail,
    RunsPage,
)
from runtime.publisher import JetStreamPublisher
from services.run_registry import db
from services.run_registry.app import main
from services.run_registry.settings import Settings
from tests.integration.conftest import Running

REF = ArtifactRef(name="config", bucket="b", key="k", sha256="0" * 64, size=1)
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def summary(fill: float) -> RunSummary:
    return RunSummary(planning_days=30, fill_rate=fill, store_demand_total=100, store_sales_total=100 * fill,
                      customer_shortage_total=100 * (1 - fill), network_shortage_total=0, avg_on_hand_by_type={},
                      backorder_peak=0, backorder_peak_day=0, revenue_total=1000, cost_total=600, penalty_total=0,
                      profit_total=400, profit_per_day_avg=13.3)


def plan(n: int) -> PlanCreated:
    return PlanCreated(correlation_id=f"plan_{n}", producer="test", plan_version_id=f"plan_{n}",
                       config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="Peak Season", job_id=f"job_{n}",
                       seed=1, config=REF, simulation_job_id=f"sim_{n}")


def run(n: int, plan_n: int = 0) -> RunCompleted:
    started = T0 + timedelta(minutes=n)
    return RunCompleted(correlation_id=f"sim_{n}", producer="test", run_id=f"run_{n:03d}",
                        plan_version_id=f"plan_{plan_n}", config_version_id="cfg_1", scenario_id="scn_1",
                        scenario_name="Peak Season", job_id=f"sim_{n}", seed=1, started_at=started,
                        finished_at=started + timedelta(seconds=1), duration_ms=1000, summary=summary(0.5 + n / 100),
                        simulator_version="t", stub=True)


async def ask(js, subject, request, model):  # type: ignore[no-untyped-def]
    for _ in range(100):
        try:
            reply = await js._nc.request(subject, request.model_dump_json().encode(), timeout=5)
            return parse_reply(reply.data, model)
        except NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nobody answers {subject}")


@pytest.fixture()
def settings(fresh_nats, tmp_path) -> Settings:
    return Settings(nats_url=fresh_nats, registry_backend="db", scpln_db=tmp_path / "registry.db", fetch_timeout_s=0.2)


async def test_runs_are_projected_and_queries_wait_for_the_callers_write(settings, js):
    registry = Running(main, settings)
    try:
        publisher = JetStreamPublisher(js)
        await publisher.publish(plan(0))
        seq = 0
        for n in range(5):
            seq = await publisher.publish(run(n))
        page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(plan_version_id="plan_0", min_seq=seq), RunsPage)
        assert page.total == 5 and page.last_seq >= seq and page.lag == 0
        assert [r.run_id for r in page.runs] == [f"run_{n:03d}" for n in reversed(range(5))]
        by_name = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(scenario_name="peak", sort="fill_rate", order="asc",
                                                                  limit=2), RunsPage)
        assert by_name.total == 5 and [r.run_id for r in by_name.runs] == ["run_000", "run_001"]
        detail = await ask(js, subjects.QRY_RUN_GET, GetRun(run_id="run_003"), RunDetail)
        assert detail.run.plan_version_id == "plan_0" and detail.plan["plan_version_id"] == "plan_0"
        missing = await ask(js, subjects.QRY_RUN_GET, GetRun(run_id="run_404"), RunDetail)
        assert missing.error == "run_not_found"
    finally:
        await registry.stop()


async def test_redelivered_events_are_no_ops_and_a_restart_resumes_from_the_checkpoint(settings, js):
    publisher = JetStreamPublisher(js)
    registry = Running(main, settings)
    try:
        for n in range(3):
            seq = await publisher.publish(run(n))
        await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
    finally:
        await registry.stop()
    duplicate = run(1)
    await js.publish(subjects.RUN_COMPLETED, duplicate.model_dump_json().encode())  # same run, new message
    for n in range(3, 6):
        seq = await publisher.publish(run(n))
    registry = Running(main, settings)
    try:
        page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
        assert page.total == 6 and page.last_seq == seq
    finally:
        await registry.stop()
    engine = db.open_engine("db", str(settings.scpln_db))
    with engine.connect() as conn:
        assert conn.execute(select(db.checkpoint.c.last_seq)).scalar() == seq
    engine.dispose()


async def test_a_poison_message_is_set_aside_and_the_next_event_applies(settings, js):
    registry = Running(main, settings)
    try:
        await js.publish(subjects.RUN_COMPLETED, b'{"event_type": "RunCompleted", "run_id": 5}')
        await js.publish(subjects.JOB_PROGRESS, b"\xff\xfe garbage")
        seq = await JetStreamPublisher(js).publish(run(7))
        page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
        assert [r.run_id for r in page.runs] == ["run_007"] and page.last_seq == seq
    finally:
        await registry.stop()


async def test_a_forged_second_final_fact_changes_nothing_and_unreadable_messages_show_as_dead_letters(settings, js):
    registry = Running(main, settings)
    try:
        await JetStreamPublisher(js).publish(run(1))
        forged = run(1).model_copy(update={"event_id": uuid.uuid4(), "summary": summary(0.99)})
        await js.publish(subjects.RUN_COMPLETED, forged.model_dump_json().encode())
        failed = RunFailed(correlation_id="sim_1", producer="test", run_id="run_001", plan_version_id="plan_0",
                           config_version_id="cfg_1", scenario_id="scn_1", job_id="sim_1", reason="forged",
                           started_at=T0, finished_at=T0)
        await JetStreamPublisher(js).publish(failed)
        future = json.loads(run(2).model_dump_json()) | {"schema_version": 99}
        future_seq = (await js.publish(subjects.RUN_COMPLETED, json.dumps(future).encode())).seq
        garbage_seq = (await js.publish(subjects.JOB_PROGRESS, b"\xff garbage")).seq
        seq = await JetStreamPublisher(js).publish(run(3))
        page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
        assert [r.run_id for r in page.runs] == ["run_003", "run_001"], "version 99 is not read as version 1"
        first = await ask(js, subjects.QRY_RUN_GET, GetRun(run_id="run_001"), RunDetail)
        assert (first.run.status, first.run.summary["fill_rate"]) == ("succeeded", 0.51), "the first fact stands"
        status = await ask(js, subjects.QRY_STATUS, Consistency(min_seq=seq), RegistryStatus)
        assert (status.runs, status.duplicate_final_facts, status.dead_letters, status.events_undecodable) == (2, 2, 2, 2)
        assert [(d.seq, d.subject, d.attempts) for d in status.latest_dead_letters] == [
            (garbage_seq, subjects.JOB_PROGRESS, 0), (future_seq, subjects.RUN_COMPLETED, 0)]
        assert "RunCompleted schema_version 99 is unknown" in status.latest_dead_letters[1].reason
    finally:
        await registry.stop()


async def test_deleting_a_run_publishes_run_deleted_and_the_projection_removes_it(settings, js):
    registry = Running(main, settings)
    try:
        seq = await JetStreamPublisher(js).publish(run(1))
        await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
        reply = await js._nc.request(subjects.CMD_RUN_DELETE, DeleteRun(run_id="run_001").model_dump_json().encode())
        assert b"run_001" in reply.data
        info = await js.stream_info(subjects.STREAM_NAME)
        page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=info.state.last_seq), RunsPage)
        assert page.total == 0
        again = await js._nc.request(subjects.CMD_RUN_DELETE, DeleteRun(run_id="run_001").model_dump_json().encode())
        assert b"run_not_found" in again.data
    finally:
        await registry.stop()


async def test_job_states_only_move_forward_through_the_live_path(settings, js):
    registry = Running(main, settings)
    publisher = JetStreamPublisher(js)

    def progress(state: str, value: float) -> JobProgress:
        return JobProgress(correlation_id="job_1", producer="test", job_id="job_1", job_type="simulation",
                           state=state, progress=value)

    try:
        for state, value in (("queued", 0), ("running", 0.5), ("succeeded", 1), ("running", 0.7)):
            seq = await publisher.publish(progress(state, value))
        job = await ask(js, subjects.QRY_JOB_GET, GetJob(job_id="job_1", min_seq=seq), JobDetail)
        assert job.job.state == "succeeded" and job.job.progress == 1
    finally:
        await registry.stop()
