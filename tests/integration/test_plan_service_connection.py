"""plan_service against a real nats-server of its own with monitoring on: everything it does on
the bus (declaring the log and buckets, restoring and following its state, answering commands,
taking plan requests from the queue, storing artifacts, its storage reports) goes through one
NATS connection, its broker's; a poison message on the queue is acknowledged and the queue goes
on; stopped, it leaves no connection behind."""

import asyncio

import nats

from contracts import subjects
from contracts.commands import CreatePlan, PlanAccepted
from contracts.events import JobProgress, PlanCreated
from runtime import bus
from services.plan_service.app import main
from services.plan_service.settings import Settings
from tests.integration.conftest import Running, names_connected, names_once, wait_events
from tests.integration.test_plan_service_bus import ask, has_samples, small_config


async def test_plan_service_does_everything_over_one_connection_and_leaves_none(monitored_nats) -> None:  # type: ignore[no-untyped-def]
    url, monitor_url = monitored_nats
    nc = await nats.connect(url, name="test")
    js = nc.jetstream()
    service = Running(main, Settings(nats_url=url))
    try:
        await bus.wait_for_stream(js)
        events = await wait_events(js, has_samples)
        await js.publish(subjects.aggregate_subject(subjects.PLAN_REQUESTED, "plan_poison"), b"\x00 no plan request")
        command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(events))
        accepted = await ask(js, subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), PlanAccepted)
        assert isinstance(accepted, PlanAccepted)

        def planned(evts: list) -> bool:
            return any(isinstance(e, PlanCreated) and e.plan_version_id == accepted.plan_version_id for e in evts) and \
                any(isinstance(e, JobProgress) and e.job_id == accepted.job_id and e.state == "succeeded" for e in evts)

        await wait_events(js, planned)
        assert sorted(names_connected(monitor_url)) == ["plan_service", "test"]
        queue = await js.consumer_info(subjects.STREAM_NAME, subjects.PLANNING_DURABLE)
        for _ in range(50):  # the ack of the plan request follows its job's last progress
            if queue.num_ack_pending == 0:
                break
            await asyncio.sleep(0.1)
            queue = await js.consumer_info(subjects.STREAM_NAME, subjects.PLANNING_DURABLE)
        assert (queue.num_pending, queue.num_ack_pending, queue.num_redelivered) == (0, 0, 0)  # poison acknowledged
    finally:
        await service.stop()
    assert await names_once(monitor_url, ["test"]) == ["test"]
    await nc.drain()


async def test_a_stop_asked_for_while_starting_ends_it_cleanly_once_started(monitored_nats) -> None:  # type: ignore[no-untyped-def]
    url, monitor_url = monitored_nats
    service = Running(main, Settings(nats_url=url))
    service.halt.set()
    await service.stop()  # raises what main raised, if anything
    assert await names_once(monitor_url, []) == []
