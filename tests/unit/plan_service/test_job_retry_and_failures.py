"""Retrying any job that did not succeed, and how a planning job's failure is told: the step
and reason in its JobProgress, one warning line for inputs that cannot be planned."""

import logging
from types import SimpleNamespace

import pytest
from test_plan_commands import SAMPLES, Tasks

from contracts.commands import CreatePlan, RetryJob
from contracts.events import AggregateRequested, JobProgress
from contracts.queries import JobDetail, JobRow, RunDetail, RunRow
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import jobs, plans
from services.plan_service.domain.pipeline import PipelineError
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


def a_job(job_id: str, job_type: str, state: str, plan_version_id: str | None = None, step: str = "") -> JobRow:
    return JobRow(job_id=job_id, job_type=job_type, state=state, progress=0.4, step=step, message="",
                  plan_version_id=plan_version_id, created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")


def registry_with(job: JobRow):  # type: ignore[no-untyped-def]
    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return JobDetail(job=job)

    return registry


def quick(config, *, options, on_step):  # type: ignore[no-untyped-def]
    on_step("aggregate", 0, 5)
    return SimpleNamespace(artifacts={}, kpis={})


def unplannable(config, *, options, on_step):  # type: ignore[no-untyped-def]
    on_step("aggregate", 0, 5)
    on_step("allocate", 1, 5)
    raise PipelineError("allocate", "families with demand but no items to allocate to: NOBODY")


def broken(config, *, options, on_step):  # type: ignore[no-untyped-def]
    on_step("aggregate", 0, 5)
    on_step("allocate", 1, 5)
    on_step("mrp", 2, 5)
    raise ZeroDivisionError("division by zero")


async def a_plan(ports: Ports, pipeline=quick):  # type: ignore[no-untyped-def]
    config = min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=config, seed=5,
                                                  requested_by="ana"), ports, pipeline=pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    return accepted


def last_progress(ports: Ports, job_id: str) -> JobProgress:
    return [e for e in ports.publisher.events if isinstance(e, JobProgress) and e.job_id == job_id][-1]


@pytest.mark.parametrize("state", ["queued", "running"])
async def test_a_planning_job_still_queued_or_running_is_superseded_by_its_retry(ports, state):
    first = await a_plan(ports)
    ports.ask_registry = registry_with(a_job(first.job_id, "planning", state, first.plan_version_id, step="mrp"))
    retried = await jobs.retry_job(RetryJob(job_id=first.job_id, by="bo"), ports)
    assert retried.job_id != first.job_id and ports.state.plan_requests[retried.job_id].requested_by == "bo"
    old = last_progress(ports, first.job_id)
    assert (old.state, old.step, old.message) == ("failed", "mrp", f"superseded by retry {retried.job_id} (by bo)")
    assert old.plan_version_id == first.plan_version_id


async def test_a_cancelled_simulation_job_is_retried_and_the_new_job_says_whose_retry_it_is(ports):
    plan = await a_plan(ports, pipeline=quick)
    ports.ask_registry = registry_with(a_job("job_sim", "simulation", "cancelled", plan.plan_version_id))
    before = len(ports.publisher.events)
    retried = await jobs.retry_job(RetryJob(job_id="job_sim", by="bo"), ports)
    request = ports.publisher.of_type("RunRequested")[-1]
    assert request.job_id == retried.job_id and request.plan_version_id == plan.plan_version_id
    queued = last_progress(ports, retried.job_id)
    assert (queued.state, queued.message) == ("queued", "retry of job_sim (by bo)")
    assert not any(isinstance(e, JobProgress) and e.job_id == "job_sim" for e in ports.publisher.events[before:])


async def test_a_running_aggregate_job_is_superseded_by_its_retry(ports):
    plan = await a_plan(ports, pipeline=quick)
    ports.state.apply(AggregateRequested(correlation_id="p", producer="t", job_id="job_agg", run_id="run_1",
                                         plan_version_id=plan.plan_version_id, bucket="week", group_by="item"))
    run = RunRow(run_id="run_1", plan_version_id=plan.plan_version_id, config_version_id="c", scenario_id="s",
                 scenario_name="S", job_id="j", started_at="2026-01-01T00:00:00Z", finished_at="2026-01-01T00:00:00Z",
                 duration_ms=1, status="succeeded", summary={}, results={"name": "daily_results", "bucket": "b", "key": "k",
                                                                         "sha256": "0" * 64, "size": 1})

    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return RunDetail(run=run) if reply is RunDetail else JobDetail(job=a_job("job_agg", "aggregate", "running"))

    ports.ask_registry = registry
    ports.spawn = lambda coro: coro.close()  # the new aggregate job is not run here
    retried = await jobs.retry_job(RetryJob(job_id="job_agg", by="bo"), ports)
    assert ports.publisher.of_type("AggregateRequested")[-1].job_id == retried.job_id
    assert last_progress(ports, "job_agg").message == f"superseded by retry {retried.job_id} (by bo)"


async def test_a_succeeded_job_is_not_retried_and_a_refused_retry_supersedes_nothing(ports):
    ports.ask_registry = registry_with(a_job("job_ok", "planning", "succeeded"))
    refused = await jobs.retry_job(RetryJob(job_id="job_ok"), ports)
    assert refused.error == "not_allowed" and "succeeded" in refused.message
    ports.ask_registry = registry_with(a_job("job_unknown_plan", "simulation", "running", "plan_gone"))
    before = len(ports.publisher.events)
    assert (await jobs.retry_job(RetryJob(job_id="job_unknown_plan"), ports)).error == "plan_not_found"
    assert len(ports.publisher.events) == before


async def test_inputs_that_cannot_be_planned_fail_the_job_at_their_step_in_one_warning_line(ports, caplog):
    caplog.set_level(logging.INFO, logger="plan_service.plans")
    accepted = await a_plan(ports, pipeline=unplannable)
    failed = last_progress(ports, accepted.job_id)
    assert (failed.state, failed.step, failed.message) == (
        "failed", "allocate", "families with demand but no items to allocate to: NOBODY")
    [record] = [r for r in caplog.records if accepted.job_id in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "at allocate: families with demand" in record.getMessage()


async def test_an_unexpected_error_fails_the_job_at_the_step_reached_and_keeps_its_traceback(ports, caplog):
    accepted = await a_plan(ports, pipeline=broken)
    failed = last_progress(ports, accepted.job_id)
    assert (failed.state, failed.step, failed.message) == ("failed", "mrp", "ZeroDivisionError: division by zero")
    [record] = [r for r in caplog.records if accepted.job_id in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info is not None
