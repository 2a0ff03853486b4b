"""Maintenance mode in plan_service: switching it is a fact in the log, and while it is on no
plan is created and no plan simulated again (retries included); everything else goes on."""

import pytest
from test_plan_commands import SAMPLES, Tasks, a_job, fake_pipeline, registry_with, small_config

from contracts.commands import (
    CreatePlan,
    CreateScenario,
    ErrorReply,
    MaintenanceStatus,
    PlanAccepted,
    RerunPlan,
    RetryJob,
    SetMaintenance,
)
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import jobs, maintenance, plans, scenarios
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.plan_service.state import PlanServiceState

MESSAGE = "Restoring the run history; back by 14:00"


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


async def switch(ports: Ports, on: bool, message: str = MESSAGE, by: str = "olga") -> MaintenanceStatus:
    return await maintenance.set_maintenance(SetMaintenance(on=on, message=message if on else "", by=by), ports)


async def test_switching_on_and_off_is_recorded_once_with_who_did_it(ports):
    on = await switch(ports, True)
    started = ports.publisher.of_type("MaintenanceStarted")
    assert len(started) == 1 and (started[0].message, started[0].by) == (MESSAGE, "olga")
    assert (on.on, on.message, on.by, on.since) == (True, MESSAGE, "olga", started[0].occurred_at)
    assert on.recorded_seq == len(ports.publisher.events)

    again = await switch(ports, True)
    assert again.recorded_seq is None and len(ports.publisher.of_type("MaintenanceStarted")) == 1

    off = await switch(ports, False, by="pavel")
    ended = ports.publisher.of_type("MaintenanceEnded")
    assert len(ended) == 1 and ended[0].by == "pavel"
    assert (off.on, off.message, off.by, off.since) == (False, "", "pavel", ended[0].occurred_at)
    assert (await switch(ports, False)).recorded_seq is None and len(ports.publisher.of_type("MaintenanceEnded")) == 1


async def test_a_new_message_while_on_is_recorded_and_keeps_the_start(ports):
    first = await switch(ports, True)
    changed = await switch(ports, True, "Still restoring; back by 15:00", by="pavel")
    assert changed.recorded_seq is not None and changed.message == "Still restoring; back by 15:00"
    assert changed.since == first.since and changed.by == "pavel"


async def test_no_plan_is_created_while_on_and_plans_are_accepted_again_after(ports):
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports))
    await switch(ports, True)
    before = len(ports.publisher.events)
    refused = await plans.create_plan(command, ports, pipeline=fake_pipeline)
    assert isinstance(refused, ErrorReply) and refused.error == "maintenance"
    assert MESSAGE in refused.message and "new plans" in refused.message
    assert len(ports.publisher.events) == before  # nothing requested, no job queued

    await switch(ports, False)
    accepted = await plans.create_plan(command, ports, pipeline=fake_pipeline)
    assert isinstance(accepted, PlanAccepted)
    await ports.spawn.done()  # type: ignore[attr-defined]


async def test_no_plan_is_simulated_again_nor_a_failed_job_retried_while_on(ports):
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                       ports, pipeline=fake_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    await switch(ports, True)
    before = len(ports.publisher.events)
    rerun = await plans.rerun_plan(RerunPlan(plan_version_id=accepted.plan_version_id), ports)
    assert rerun.error == "maintenance" and MESSAGE in rerun.message and "new runs" in rerun.message
    for job_type in ("simulation", "planning"):
        ports.ask_registry = registry_with(a_job(accepted.job_id, job_type, "failed", accepted.plan_version_id))
        retried = await jobs.retry_job(RetryJob(job_id=accepted.job_id), ports)
        assert retried.error == "maintenance", job_type
    assert len(ports.publisher.events) == before


async def test_reads_and_other_work_go_on_and_a_request_already_answered_is_answered_again(ports):
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports), request_id="order-9")
    first = await plans.create_plan(command, ports, pipeline=fake_pipeline)
    await ports.spawn.done()  # type: ignore[attr-defined]
    await switch(ports, True)
    assert await plans.create_plan(command, ports, pipeline=fake_pipeline) == first  # no new plan: the same answer
    created = await scenarios.create_scenario(CreateScenario(name="What-if"), ports)
    assert not isinstance(created, ErrorReply)


async def test_a_restarted_plan_service_is_still_in_maintenance(ports):
    await switch(ports, True)
    restarted = PlanServiceState()
    for event in ports.publisher.events:
        restarted.apply(event)
    ports.state = restarted
    refused = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports)),
                                      ports, pipeline=fake_pipeline)
    assert refused.error == "maintenance" and MESSAGE in refused.message


@pytest.mark.parametrize("message", ["", "   "])
def test_switching_on_takes_a_message(message):
    with pytest.raises(ValueError, match="takes a message"):
        SetMaintenance(on=True, message=message, by="olga")
    assert SetMaintenance(on=False, by="olga").message == ""
