"""plan_service's command handlers with in-memory fakes: refusals, the planning job, reruns."""

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from contracts import subjects
from contracts.commands import (
    CreatePlan,
    CreateScenario,
    ErrorReply,
    ImportConfig,
    PlanAccepted,
    RequestAggregate,
    RerunPlan,
    ScenarioAction,
    UpdateScenario,
)
from contracts.events import JobProgress, RunRequested
from contracts.queries import JobDetail, JobRow, RunDetail, RunRow
from contracts.replications import replication_seed
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import aggregates, configs, plans, scenarios
from services.plan_service.domain.pipeline import STEPS
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.plan_service.state import PlanServiceState

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


class Tasks:
    """A spawn port that keeps tasks so a test can wait for the background work."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def __call__(self, coro) -> None:  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.ensure_future(coro))

    async def done(self) -> None:
        await asyncio.gather(*self.tasks)


@pytest.fixture()
async def ports() -> Ports:
    spawn = Tasks()
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=spawn)
    await load_samples(ports, SAMPLES)
    return ports


def small_config(ports: Ports) -> str:
    return min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id


def fake_pipeline(config, *, options, on_step):  # type: ignore[no-untyped-def]
    for index, step in enumerate(["aggregate", "allocate", "mrp", "reconcile", "plan_final"]):
        on_step(step, index, 5)
    return SimpleNamespace(artifacts={"plan_final": {"weeks": [1, 2]}}, kpis={"demand_total": 10.0})


def failing_pipeline(config, *, options, on_step):  # type: ignore[no-untyped-def]
    on_step("aggregate", 0, 5)
    raise ValueError("capacity table is empty")


async def test_samples_are_three_configs_and_three_scenarios_one_locked(ports):
    assert len(ports.state.configs) == 3 and len(ports.state.scenarios) == 3
    assert [s.locked_by for s in ports.state.scenarios.values()].count(None) == 2
    before = len(ports.publisher.events)
    await load_samples(ports, SAMPLES)
    assert len(ports.publisher.events) == before


async def test_create_plan_answers_at_once_then_runs_the_steps_and_publishes_plan_created(ports):
    ports.progress_interval_s = 3600.0  # the whole job within one interval: one step's progress
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                    ports, pipeline=fake_pipeline)
    assert isinstance(reply, PlanAccepted)
    await ports.spawn.done()  # type: ignore[attr-defined]
    progress = [e for e in ports.publisher.events if isinstance(e, JobProgress)]
    assert [(p.state, p.step) for p in progress] == [("queued", "queued"), ("running", "aggregate"),
                                                     ("succeeded", "plan_final")]
    created = ports.publisher.of_type("PlanCreated")
    assert len(created) == 1 and created[0].plan_version_id == reply.plan_version_id
    artifact = created[0].artifacts[0]
    assert json.loads(await ports.objects.get(artifact.bucket, artifact.key)) == {"weeks": [1, 2]}
    assert reply.plan_version_id in ports.state.plans


def pipeline_waiting_for_its_progress(publisher: InMemoryPublisher):  # type: ignore[no-untyped-def]
    """A pipeline whose every step waits until the log holds that step's progress."""
    def pipeline(config, *, options, on_step):  # type: ignore[no-untyped-def]
        for index, step in enumerate(STEPS):
            on_step(step, index, len(STEPS))
            deadline = time.monotonic() + 10
            while not any(isinstance(e, JobProgress) and e.step == step for e in publisher.events):
                assert time.monotonic() < deadline, f"the progress of step {step} was never published"
                time.sleep(0.001)
        return SimpleNamespace(artifacts={"plan_final": {"weeks": [1, 2]}}, kpis={"demand_total": 10.0})
    return pipeline


async def test_step_progress_is_not_waited_for_and_goes_out_in_step_order_before_the_final_state(ports):
    ports.progress_interval_s = 0.0
    await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                            ports, pipeline=pipeline_waiting_for_its_progress(ports.publisher))
    await ports.spawn.done()  # type: ignore[attr-defined]
    progress = [e for e in ports.publisher.events if isinstance(e, JobProgress)]
    assert [p.step for p in progress] == ["queued", *STEPS, "plan_final"]
    assert [p.state for p in progress] == ["queued"] + ["running"] * len(STEPS) + ["succeeded"]
    assert [p.progress for p in progress] == sorted(p.progress for p in progress)


def failing_last_step(config, *, options, on_step):  # type: ignore[no-untyped-def]
    for index, step in enumerate(STEPS):
        on_step(step, index, len(STEPS))
    raise ValueError("no week to put the plan in")


async def test_steps_offered_faster_than_the_interval_are_coalesced_the_first_kept_the_failure_last(ports):
    ports.progress_interval_s = 3600.0
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                    ports, pipeline=failing_last_step)
    await ports.spawn.done()  # type: ignore[attr-defined]
    progress = [e for e in ports.publisher.events if isinstance(e, JobProgress) and e.job_id == reply.job_id]
    assert [(p.state, p.step) for p in progress] == [("queued", "queued"), ("running", "aggregate"),
                                                     ("failed", "plan_final")]
    assert "no week to put the plan in" in progress[-1].message


async def test_a_failed_step_fails_the_job_and_publishes_no_plan(ports):
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                    ports, pipeline=failing_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    last = ports.publisher.events[-1]
    assert isinstance(last, JobProgress) and last.state == "failed" and "capacity table is empty" in last.message
    assert last.job_id == reply.job_id
    assert not ports.publisher.of_type("PlanCreated")


@pytest.mark.parametrize("scenario, config, code", [
    ("scn_budget_2025", None, "scenario_locked"),
    ("scn_missing", None, "scenario_not_found"),
    ("scn_baseline", "cfg_missing", "config_not_found"),
])
async def test_plan_refusals_are_typed_and_publish_nothing(ports, scenario, config, code):
    before = len(ports.publisher.events)
    reply = await plans.create_plan(CreatePlan(base_scenario_id=scenario, config_version_id=config or small_config(ports)),
                                    ports, pipeline=fake_pipeline)
    assert isinstance(reply, ErrorReply) and reply.error == code
    assert len(ports.publisher.events) == before


async def test_archived_scenarios_and_empty_horizons_are_refused(ports):
    await scenarios.archive_scenario(ScenarioAction(scenario_id="scn_peak_season"), ports)
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_peak_season", config_version_id=small_config(ports)), ports)
    assert reply.error == "scenario_archived"
    document = json.loads((SAMPLES / "small.json").read_text())
    document["meta"]["attributes"]["planning_horizon"] = 0
    document["meta"]["name"] = "no horizon"
    imported = await configs.import_config(ImportConfig(document=document), ports)
    if isinstance(imported, ErrorReply):
        assert imported.error == "config_invalid"
        return
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=imported.config_version_id), ports)
    assert reply.error == "empty_horizon"


@pytest.mark.parametrize("horizon", ["abc", [1], -5, "30", True, 2.5, None])
async def test_a_horizon_that_is_no_positive_whole_number_imports_as_empty(ports, horizon):
    document = json.loads((SAMPLES / "small.json").read_text())
    document["meta"]["attributes"]["planning_horizon"] = horizon
    imported = await configs.import_config(ImportConfig(document=document), ports)
    assert [w["code"] for w in imported.warnings] == ["empty_horizon"]
    assert ports.publisher.events[-1].planning_days == 0
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=imported.config_version_id), ports)
    assert reply.error == "empty_horizon"


async def test_lock_says_who_and_when_and_unlock_reopens_the_scenario(ports):
    await scenarios.lock_scenario(ScenarioAction(scenario_id="scn_baseline", by="ana"), ports)
    refused = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)), ports)
    assert refused.error == "scenario_locked" and "ana" in refused.message
    await scenarios.unlock_scenario(ScenarioAction(scenario_id="scn_baseline", by="ana"), ports)
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                       ports, pipeline=fake_pipeline)
    assert isinstance(accepted, PlanAccepted)
    await ports.spawn.done()  # type: ignore[attr-defined]


async def test_scenarios_are_created_and_updated_as_events(ports):
    created = await scenarios.create_scenario(CreateScenario(name="Promo", tag="what-if"), ports)
    await scenarios.update_scenario(UpdateScenario(scenario_id=created.scenario_id, description="June promo"), ports)
    scenario = ports.state.scenarios[created.scenario_id]
    assert (scenario.name, scenario.description, scenario.tag) == ("Promo", "June promo", "what-if")
    missing = await scenarios.update_scenario(UpdateScenario(scenario_id="scn_nope", name="x"), ports)
    assert missing.error == "scenario_not_found"


def test_a_scenario_name_is_trimmed_and_never_blank():
    assert CreateScenario(name="  Promo ").name == "Promo"
    for blank in ("", "   ", "\t"):
        with pytest.raises(ValueError):
            CreateScenario(name=blank)
        with pytest.raises(ValueError):
            UpdateScenario(scenario_id="scn_1", name=blank)
    with pytest.raises(ValueError):
        CreateScenario(name="x", description="d" * 10_001)


async def test_a_parent_is_set_removed_and_never_makes_a_loop(ports):
    a = (await scenarios.create_scenario(CreateScenario(name="A", parent_id=""), ports)).scenario_id
    assert ports.state.scenarios[a].parent_id is None
    b = (await scenarios.create_scenario(CreateScenario(name="B", parent_id=a), ports)).scenario_id
    c = (await scenarios.create_scenario(CreateScenario(name="C", parent_id=b), ports)).scenario_id
    for loop in (a, b, c):  # A <- B <- C: A may derive from none of them
        before = len(ports.publisher.events)
        refused = await scenarios.update_scenario(UpdateScenario(scenario_id=a, parent_id=loop), ports)
        assert refused.error == "validation_failed" and "cannot derive from itself" in refused.message
        assert len(ports.publisher.events) == before
    missing = await scenarios.update_scenario(UpdateScenario(scenario_id=a, parent_id="scn_nope"), ports)
    assert missing.error == "validation_failed" and "not an existing scenario" in missing.message
    await scenarios.update_scenario(UpdateScenario(scenario_id=c, parent_id=a), ports)
    assert ports.state.scenarios[c].parent_id == a
    await scenarios.update_scenario(UpdateScenario(scenario_id=c, tag="kept parent"), ports)
    assert ports.state.scenarios[c].parent_id == a
    await scenarios.update_scenario(UpdateScenario(scenario_id=c, parent_id=""), ports)
    assert ports.state.scenarios[c].parent_id is None


async def test_a_locked_or_archived_scenario_is_not_edited(ports):
    await scenarios.lock_scenario(ScenarioAction(scenario_id="scn_baseline", by="ana"), ports)
    before = len(ports.publisher.events)
    refused = await scenarios.update_scenario(UpdateScenario(scenario_id="scn_baseline", name="x"), ports)
    assert refused.error == "scenario_locked" and "unlock it to edit it" in refused.message
    await scenarios.archive_scenario(ScenarioAction(scenario_id="scn_peak_season"), ports)
    archived = await scenarios.update_scenario(UpdateScenario(scenario_id="scn_peak_season", name="x"), ports)
    assert archived.error == "scenario_archived"
    assert len(ports.publisher.events) == before + 1  # the archive itself
    assert ports.state.scenarios["scn_baseline"].name == "Baseline"


async def test_identical_config_content_is_one_version(ports):
    document = json.loads((SAMPLES / "small.json").read_text())
    reply = await configs.import_config(ImportConfig(document=document), ports)
    assert reply.created is False and reply.config_version_id == small_config(ports)
    invalid = await configs.import_config(ImportConfig(document={"meta": {"name": "x"}, "nodes": [{"code": "A"}]}), ports)
    assert invalid.error == "config_invalid" and all({"code", "path", "message"} <= d.keys() for d in invalid.details)


async def test_a_staged_document_is_read_from_the_object_store_and_checked(ports):
    document = json.loads((SAMPLES / "small.json").read_text())
    document["meta"]["name"] = "staged"
    data = json.dumps(document).encode()
    ref = await ports.objects.put("upload", subjects.UPLOADS_BUCKET, "up.json", data)
    imported = await configs.import_config(ImportConfig(staged=ref), ports)
    assert imported.created is True and ports.state.configs[imported.config_version_id].name == "staged"
    assert (await configs.import_config(ImportConfig(staged=ref), ports)).created is False
    tampered = ref.model_copy(update={"sha256": "0" * 64})
    assert "not the one uploaded" in (await configs.import_config(ImportConfig(staged=tampered), ports)).message
    gone = ref.model_copy(update={"key": "gone.json"})
    assert "no staged document" in (await configs.import_config(ImportConfig(staged=gone), ports)).message
    elsewhere = ref.model_copy(update={"bucket": subjects.CONFIGS_BUCKET})
    assert (await configs.import_config(ImportConfig(staged=elsewhere), ports)).error == "validation_failed"
    for bad in (b"[1, 2]", b"not json", b"[" * 100):
        ref = await ports.objects.put("upload", subjects.UPLOADS_BUCKET, "bad.json", bad)
        assert (await configs.import_config(ImportConfig(staged=ref), ports)).error == "config_invalid"


async def test_a_restart_plans_again_only_the_jobs_left_queued_or_running(ports):
    dropped = []
    ports.spawn = dropped.append  # plan_service "stops" before any planning job runs
    jobs = {}
    for label in ("running", "failed", "unseen", "silent"):
        accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)), ports)
        jobs[label] = accepted.job_id
    for coro in dropped:
        coro.close()
    now = datetime.now(UTC)

    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        label = next(k for k, v in jobs.items() if v == request.job_id)
        if label == "unseen":
            return ErrorReply(error="job_not_found", message="no such job")
        if label == "silent":
            return ErrorReply(error="unavailable", message="the run registry does not answer; try again")
        return JobDetail(job=JobRow(job_id=request.job_id, job_type="planning", state=label, progress=0.2, step="",
                                    message="", created_at=now, updated_at=now))

    ports.ask_registry = registry
    ports.spawn = Tasks()
    resumed = await plans.resume_interrupted(ports, 0, pipeline=fake_pipeline, wait_s=0)
    assert resumed == [jobs["running"], jobs["unseen"]]
    await ports.spawn.done()  # type: ignore[attr-defined]
    planned = {e.job_id for e in ports.publisher.of_type("PlanCreated")}
    assert planned == {jobs["running"], jobs["unseen"]}
    assert await plans.resume_interrupted(ports, 0, pipeline=fake_pipeline, wait_s=0) == []  # planned now: not again


async def test_a_request_sent_again_with_its_request_id_gets_the_same_plan_even_after_a_restart(ports):
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports), seed=3,
                         request_id="order-17")
    first = await plans.create_plan(command, ports, pipeline=fake_pipeline)
    again = await plans.create_plan(command, ports, pipeline=fake_pipeline)
    assert again == first and len(ports.publisher.of_type("PlanRequested")) == 1
    other = await plans.create_plan(command.model_copy(update={"seed": 4}), ports, pipeline=fake_pipeline)
    assert other.error == "validation_failed" and "already used for another plan request" in other.message
    restarted = PlanServiceState()
    for event in ports.publisher.events:
        restarted.apply(event)
    ports.state = restarted  # plan_service started again: its state folded from the log
    assert await plans.create_plan(command, ports, pipeline=fake_pipeline) == first
    unkeyed = await plans.create_plan(command.model_copy(update={"request_id": None}), ports, pipeline=fake_pipeline)
    assert unkeyed.plan_version_id != first.plan_version_id
    await ports.spawn.done()  # type: ignore[attr-defined]


async def test_simulate_again_publishes_a_run_request_for_the_same_plan(ports):
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports), seed=5),
                                       ports, pipeline=fake_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    reply = await plans.rerun_plan(RerunPlan(plan_version_id=accepted.plan_version_id), ports)
    request = ports.publisher.of_type("RunRequested")[-1]
    assert isinstance(request, RunRequested) and request.job_id == reply.job_id
    assert (request.plan_version_id, request.seed, request.replication) == (
        accepted.plan_version_id, replication_seed(5, 1), 1)  # a new seed: the plan's next replication
    again = await plans.rerun_plan(RerunPlan(plan_version_id=accepted.plan_version_id, reproduce=True), ports)
    reproduced = ports.publisher.of_type("RunRequested")[-1]
    assert (reproduced.job_id, reproduced.seed, reproduced.replication) == (again.job_id, 5, 0)
    assert (await plans.rerun_plan(RerunPlan(plan_version_id="plan_nope"), ports)).error == "plan_not_found"


async def test_aggregate_refuses_a_plan_that_is_not_the_runs_plan(ports):
    run = RunRow(run_id="run_1", plan_version_id="plan_a", config_version_id="cfg", scenario_id="s", scenario_name="S",
                 job_id="j", started_at="2025-01-01T00:00:00Z", finished_at="2025-01-01T00:00:01Z", duration_ms=1,
                 status="succeeded")

    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return RunDetail(run=run)

    ports.ask_registry = registry
    reply = await aggregates.request_aggregate(RequestAggregate(run_id="run_1", plan_version_id="plan_b"), ports)
    assert reply.error == "validation_failed" and "plan_a" in reply.message
    no_results = await aggregates.request_aggregate(RequestAggregate(run_id="run_1"), ports)
    assert no_results.error == "validation_failed"


def registry_with(job):  # type: ignore[no-untyped-def]
    from contracts.queries import JobDetail

    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return JobDetail(job=job)

    return registry


def a_job(job_id: str, job_type: str, state: str, plan_version_id: str | None = None):  # type: ignore[no-untyped-def]
    from contracts.queries import JobRow

    return JobRow(job_id=job_id, job_type=job_type, state=state, progress=0, step="", message="",
                  plan_version_id=plan_version_id, created_at="2025-01-01T00:00:00Z", updated_at="2025-01-01T00:00:00Z")


async def test_only_a_queued_job_is_cancelled(ports):
    from contracts.commands import CancelJob
    from services.plan_service import jobs

    ports.ask_registry = registry_with(a_job("job_q", "simulation", "queued", "plan_1"))
    accepted = await jobs.cancel_job(CancelJob(job_id="job_q", by="ana"), ports)
    cancelled = ports.publisher.events[-1]
    assert accepted.job_id == "job_q" and cancelled.state == "cancelled" and "ana" in cancelled.message
    ports.ask_registry = registry_with(a_job("job_r", "simulation", "running"))
    refused = await jobs.cancel_job(CancelJob(job_id="job_r"), ports)
    assert refused.error == "not_allowed" and "running" in refused.message


async def test_a_failed_planning_job_is_retried_as_a_new_plan_with_the_same_inputs(ports):
    from contracts.commands import RetryJob
    from services.plan_service import jobs

    first = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports),
                                               seed=9, options={"tolerance": 0.02}), ports, pipeline=failing_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    ports.ask_registry = registry_with(a_job(first.job_id, "planning", "failed", first.plan_version_id))
    retried = await jobs.retry_job(RetryJob(job_id=first.job_id), ports)
    await ports.spawn.done()  # type: ignore[attr-defined]
    assert retried.job_id != first.job_id
    again = ports.state.plan_requests[retried.job_id]
    original = ports.state.plan_requests[first.job_id]
    assert (again.seed, again.options, again.config_version_id) == (original.seed, original.options, original.config_version_id)
    ports.ask_registry = registry_with(a_job("job_ok", "planning", "succeeded"))
    assert (await jobs.retry_job(RetryJob(job_id="job_ok"), ports)).error == "not_allowed"


async def test_a_failed_simulation_job_is_retried_by_simulating_its_plan_again(ports):
    from contracts.commands import RetryJob
    from services.plan_service import jobs

    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                       ports, pipeline=fake_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    ports.ask_registry = registry_with(a_job("job_sim", "simulation", "failed", accepted.plan_version_id))
    retried = await jobs.retry_job(RetryJob(job_id="job_sim"), ports)
    request = ports.publisher.of_type("RunRequested")[-1]
    assert request.job_id == retried.job_id and request.plan_version_id == accepted.plan_version_id
