"""plan_service against a real nats-server: commands answered at once, work flowing as events;
a restart that skips poison messages and plans an interrupted job again."""

import asyncio
import hashlib

import pytest
from nats.errors import NoRespondersError

from contracts import subjects
from contracts.commands import (
    ConfigImported,
    CreatePlan,
    ErrorReply,
    PlanAccepted,
    ScenarioAccepted,
    parse_reply,
)
from contracts.events import JobProgress, PlanCreated, PlanRequested, ScenarioCreated
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from services.plan_service.app import main
from services.plan_service.domain.pipeline import STEPS
from services.plan_service.settings import Settings
from services.run_registry.app import main as registry_main
from services.run_registry.settings import Settings as RegistrySettings
from tests.integration.conftest import Running, log_events, wait_events


def has_samples(events: list) -> bool:
    return sum(e.event_type == "ScenarioCreated" for e in events) == 3 and \
        sum(e.event_type == "ConfigVersionCreated" for e in events) == 3


@pytest.fixture()
async def plan_service(fresh_nats, js):  # type: ignore[no-untyped-def]
    service = Running(main, Settings(nats_url=fresh_nats))
    events = await wait_events(js, has_samples)
    yield service, events
    await service.stop()


async def ask(js, subject: str, body: bytes, model):  # type: ignore[no-untyped-def]
    """Request, waiting for the service to subscribe (it may be starting)."""
    for _ in range(100):
        try:
            reply = await js._nc.request(subject, body, timeout=10)
            return parse_reply(reply.data, model)
        except NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nobody answers {subject}")


def small_config(events: list) -> str:
    return min((e for e in events if e.event_type == "ConfigVersionCreated"), key=lambda e: e.planning_days).config_version_id


async def test_create_plan_emits_progress_in_order_then_plan_created_with_readable_artifacts(plan_service, js):
    _, events = plan_service
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(events), seed=3)
    accepted = await ask(js, subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), PlanAccepted)
    assert isinstance(accepted, PlanAccepted)

    def plan_done(evts: list) -> bool:
        return any(isinstance(e, JobProgress) and e.job_id == accepted.job_id and e.state == "succeeded" for e in evts)

    log = await wait_events(js, plan_done)
    progress = [e for e in log if isinstance(e, JobProgress) and e.job_id == accepted.job_id]
    assert progress[0].state == "queued" and progress[-1].state == "succeeded"  # the final state comes last
    running = [p.step for p in progress[1:-1]]  # the first step's at once, later ones at most twice a second
    assert running[0] == "aggregate" and {p.state for p in progress[1:-1]} == {"running"}
    assert running == sorted(running, key=STEPS.index) and len(set(running)) == len(running)
    assert all(p.plan_version_id == accepted.plan_version_id for p in progress)
    assert [p.progress for p in progress] == sorted(p.progress for p in progress)
    created = next(e for e in log if isinstance(e, PlanCreated))
    assert created.plan_version_id == accepted.plan_version_id and created.seed == 3
    assert log.index(created) < log.index(progress[-1])
    store = NatsObjectStore(js)
    assert {a.name for a in created.artifacts} == {"aggregate", "allocate", "mrp", "reconcile", "plan_final"}
    for artifact in created.artifacts:
        data = await store.get(artifact.bucket, artifact.key)
        assert hashlib.sha256(data).hexdigest() == artifact.sha256 and len(data) == artifact.size


async def test_refusals_are_typed_and_store_nothing(plan_service, js):
    _, events = plan_service
    config_id = small_config(events)
    before = len(await log_events(js))
    cases = {
        "scenario_locked": CreatePlan(base_scenario_id="scn_budget_2025", config_version_id=config_id),
        "scenario_not_found": CreatePlan(base_scenario_id="scn_nope", config_version_id=config_id),
        "config_not_found": CreatePlan(base_scenario_id="scn_baseline", config_version_id="cfg_nope"),
    }
    for code, command in cases.items():
        reply = await ask(js, subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), PlanAccepted)
        assert isinstance(reply, ErrorReply) and reply.error == code, reply
    locked = await ask(js, subjects.CMD_PLAN_CREATE, cases["scenario_locked"].model_dump_json().encode(), PlanAccepted)
    assert "planning-lead" in locked.message and locked.details[0]["locked_at"]
    malformed = await ask(js, subjects.CMD_PLAN_CREATE, b'{"base_scenario_id": 1}', PlanAccepted)
    assert malformed.error == "validation_failed" and "config_version_id" in malformed.message
    invalid = await ask(js, subjects.CMD_CONFIG_IMPORT, b'{"document": {"meta": {}}}', ConfigImported)
    assert invalid.error == "config_invalid" and invalid.details
    assert len(await log_events(js)) == before


async def test_a_restarted_plan_service_restores_its_state_from_the_log(plan_service, fresh_nats, js):
    service, events = plan_service
    await service.stop()
    again = Running(main, Settings(nats_url=fresh_nats))
    try:
        command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(events))
        reply = await ask(js, subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), PlanAccepted)
        assert isinstance(reply, PlanAccepted)
        assert has_samples(await log_events(js)), "samples are loaded once, not again on restart"
    finally:
        await again.stop()


async def test_after_a_restart_poison_messages_are_skipped_and_an_interrupted_planning_job_is_planned_again(
        fresh_nats, js, tmp_path):
    first = Running(main, Settings(nats_url=fresh_nats))
    events = await wait_events(js, has_samples)
    await first.stop()
    config = small_config(events)
    await js.publish(subjects.PLAN_CREATED, b"{not json")
    stray = ScenarioCreated(correlation_id="scn_x", producer="elsewhere", scenario_id="scn_x", name="X")
    await js.publish(subjects.SCENARIO_CREATED, stray.model_dump_json().encode()[:-1] + b', "color": "red"}')
    request = PlanRequested(correlation_id="plan_orphan", producer="plan_service", plan_version_id="plan_orphan",
                            config_version_id=config, base_scenario_id="scn_baseline", scenario_name="Baseline",
                            job_id="job_orphan", seed=5)
    publisher = JetStreamPublisher(js)
    await publisher.publish(request)  # then plan_service stopped before planning it
    await publisher.publish(JobProgress(correlation_id="job_orphan", producer="plan_service", job_id="job_orphan",
                                        job_type="planning", state="running", progress=0.2, step="aggregate",
                                        plan_version_id="plan_orphan"))
    registry = Running(registry_main, RegistrySettings(nats_url=fresh_nats, scpln_db=tmp_path / "registry.db",
                                                       fetch_timeout_s=0.2))
    second = Running(main, Settings(nats_url=fresh_nats))
    try:
        def planned(evts: list) -> bool:  # the plan, and its job's last word (which may come after it)
            return any(isinstance(e, PlanCreated) and e.plan_version_id == "plan_orphan" for e in evts) and any(
                isinstance(e, JobProgress) and e.job_id == "job_orphan" and e.state == "succeeded" for e in evts)

        log = await wait_events(js, planned)
        progress = [e for e in log if isinstance(e, JobProgress) and e.job_id == "job_orphan"]
        assert progress[-1].state == "succeeded"  # taken from the planning queue once a replica runs
        created = next(e for e in log if isinstance(e, PlanCreated))
        assert (created.job_id, created.seed, created.config_version_id) == ("job_orphan", 5, config)
        accepted = await ask(js, subjects.CMD_SCENARIO_CREATE, b'{"name": "after the poison"}', ScenarioAccepted)
        assert isinstance(accepted, ScenarioAccepted), "plan_service started and answers"
    finally:
        await second.stop()
        await registry.stop()
