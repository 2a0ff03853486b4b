"""An aggregate job started from a plan version alone aggregates the plan's latest succeeded run, and the
reply and the job's first message say which."""

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import AggregateAccepted, CreatePlan, JobAccepted, RequestAggregate, RetryJob
from contracts.events import ArtifactRef, JobProgress
from contracts.queries import JobDetail, JobRow, ListRuns, RunRow, RunsPage
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import aggregates, jobs, plans
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
RESULTS = ArtifactRef(name="daily_results", bucket=subjects.RESULTS_BUCKET, key="r.json.gz", sha256="a" * 64, size=1)


class Tasks(list):
    def __call__(self, coro) -> None:  # type: ignore[no-untyped-def]
        self.append(asyncio.ensure_future(coro))


def pipeline(config, *, options, on_step):  # type: ignore[no-untyped-def]
    return SimpleNamespace(artifacts={"plan_final": {}}, kpis={})


def run(run_id: str, plan_version_id: str) -> RunRow:
    return RunRow(run_id=run_id, plan_version_id=plan_version_id, config_version_id="cfg", scenario_id="s",
                  scenario_name="S", job_id="j", started_at="2026-03-01T09:30:00Z", finished_at="2026-03-01T09:30:01Z",
                  duration_ms=1, status="succeeded", results=RESULTS)


@pytest.fixture()
async def planned() -> tuple[Ports, str]:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    config = min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=config), ports,
                                       pipeline=pipeline)
    await asyncio.gather(*ports.spawn)  # type: ignore[arg-type]
    return ports, accepted.plan_version_id


def registry(runs: list[RunRow], asked: list) -> object:  # type: ignore[type-arg]
    async def answer(subject, request, reply):  # type: ignore[no-untyped-def]
        asked.append((subject, request))
        return RunsPage(runs=runs, total=len(runs), limit=1, offset=0)
    return answer


async def test_a_plan_version_alone_aggregates_its_latest_succeeded_run_and_says_so(planned):
    ports, plan_id = planned
    asked: list = []
    ports.ask_registry = registry([run("run_newest", plan_id)], asked)  # type: ignore[assignment]
    reply = await aggregates.request_aggregate(RequestAggregate(plan_version_id=plan_id, bucket="month"), ports)
    assert isinstance(reply, AggregateAccepted)
    assert (reply.run_id, reply.plan_version_id, reply.latest) == ("run_newest", plan_id, True)
    assert f"run run_newest, the latest succeeded run of plan {plan_id}" in reply.message
    [(subject, query)] = asked
    assert subject == subjects.QRY_RUNS_LIST and isinstance(query, ListRuns)
    assert (query.plan_version_id, query.status, query.limit, query.sort, query.order) == (
        plan_id, "succeeded", 1, "started_at", "desc")
    requested = ports.publisher.of_type("AggregateRequested")[-1]
    assert (requested.job_id, requested.run_id) == (reply.job_id, "run_newest")
    queued = next(e for e in ports.publisher.events if isinstance(e, JobProgress) and e.job_id == reply.job_id)
    assert queued.state == "queued" and "the latest succeeded run" in queued.message
    await asyncio.gather(*ports.spawn)  # type: ignore[arg-type]


async def test_a_named_run_is_not_called_the_latest(planned):
    ports, plan_id = planned

    async def answer(subject, request, reply):  # type: ignore[no-untyped-def]
        from contracts.queries import RunDetail
        return RunDetail(run=run("run_old", plan_id))

    ports.ask_registry = answer  # type: ignore[assignment]
    reply = await aggregates.request_aggregate(RequestAggregate(run_id="run_old"), ports)
    assert isinstance(reply, AggregateAccepted) and (reply.run_id, reply.latest) == ("run_old", False)
    await asyncio.gather(*ports.spawn)  # type: ignore[arg-type]


async def test_a_plan_without_a_succeeded_run_or_unknown_is_refused_with_why(planned):
    ports, plan_id = planned
    ports.ask_registry = registry([], [])  # type: ignore[assignment]
    empty = await aggregates.request_aggregate(RequestAggregate(plan_version_id=plan_id), ports)
    assert empty.error == "validation_failed" and "no succeeded run" in empty.message
    unknown = await aggregates.request_aggregate(RequestAggregate(plan_version_id="plan_nope"), ports)
    assert unknown.error == "plan_not_found"
    assert not ports.publisher.of_type("AggregateRequested")


def test_a_request_names_a_run_or_a_plan():
    with pytest.raises(ValidationError, match="give a run_id, or a plan_version_id"):
        RequestAggregate(bucket="week")
    assert RequestAggregate(plan_version_id="plan_1").run_id is None


async def test_a_retried_aggregate_job_answers_as_any_retry(planned):
    ports, plan_id = planned
    ports.ask_registry = registry([run("run_newest", plan_id)], [])  # type: ignore[assignment]
    first = await aggregates.request_aggregate(RequestAggregate(plan_version_id=plan_id), ports)
    failed = JobRow(job_id=first.job_id, job_type="aggregate", state="failed", progress=1, step="failed", message="",
                    plan_version_id=plan_id, run_id="run_newest", created_at="2026-03-01T09:30:00Z",
                    updated_at="2026-03-01T09:30:00Z")

    async def answer(subject, request, reply):  # type: ignore[no-untyped-def]
        from contracts.queries import RunDetail
        return JobDetail(job=failed) if subject == subjects.QRY_JOB_GET else RunDetail(run=run("run_newest", plan_id))

    ports.ask_registry = answer  # type: ignore[assignment]
    again = await jobs.retry_job(RetryJob(job_id=first.job_id, by="ana"), ports)
    assert type(again) is JobAccepted and again.job_id != first.job_id
    await asyncio.gather(*ports.spawn)  # type: ignore[arg-type]
