"""Several plan_service replicas on one log (a real nats-server): each follows what the others
record, and a fact about one aggregate is stored once however many replicas decide it at once."""

import asyncio
import json
from pathlib import Path
from typing import Self

from contracts import subjects
from contracts.commands import (
    CreatePlan,
    CreateScenario,
    ImportConfig,
    PlanAccepted,
    ScenarioAccepted,
    ScenarioAction,
)
from contracts.events import PlanCreated, PlanRequested, ScenarioLocked
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from services.plan_service.app import keep_following, main, restore_state
from services.plan_service.configs import import_config
from services.plan_service.following import StateFollower, decided_again
from services.plan_service.plans import create_plan
from services.plan_service.ports import Ports
from services.plan_service.scenarios import create_scenario, lock_scenario
from services.plan_service.settings import Settings
from services.plan_service.state import PlanServiceState
from tests.integration.conftest import Running, log_events, wait_events
from tests.integration.test_plan_service_bus import ask, has_samples

SMALL = json.loads((Path(__file__).resolve().parents[2] / "samples" / "small.json").read_text())


class Replica:
    """plan_service's state, follower and ports as ``main`` wires them, without its subscriptions:
    the test hands each replica the same command at the same moment."""

    def __init__(self, js) -> None:  # type: ignore[no-untyped-def]
        self.js, self.tasks = js, set()
        self.follower = StateFollower(PlanServiceState())
        self.ports = Ports(publisher=JetStreamPublisher(js), objects=NatsObjectStore(js), state=self.follower.state,
                           follower=self.follower, spawn=self.spawn)

    def spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coro)
        self.tasks.add(task)

    async def __aenter__(self) -> Self:
        await restore_state(self.follower, self.js)
        self.spawn(keep_following(self.follower, self.js))
        return self

    async def __aexit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def of_plan(events: list, kind: type, plan_id: str) -> list:
    return [e for e in events if isinstance(e, kind) and e.plan_version_id == plan_id]


async def test_two_replicas_deciding_at_once_store_one_plan_request_and_one_lock_and_a_late_one_sees_it_all(js):
    async with Replica(js) as a, Replica(js) as b:
        config = await decided_again(import_config, ImportConfig(document=SMALL), ports=a.ports)
        await decided_again(create_scenario, CreateScenario(name="Base"), ports=a.ports, scenario_id="scn_base")
        assert await b.follower.reached(a.follower.position)  # b follows what a records, live
        assert "scn_base" in b.ports.state.scenarios and config.config_version_id in b.ports.state.configs

        request = CreatePlan(base_scenario_id="scn_base", config_version_id=config.config_version_id, seed=5,
                             request_id="order-1")
        accepted = await asyncio.gather(*(decided_again(create_plan, request, ports=r.ports) for r in (a, b, b, a)))
        assert all(isinstance(reply, PlanAccepted) for reply in accepted)
        assert len({(reply.plan_version_id, reply.job_id) for reply in accepted}) == 1
        plan_id = accepted[0].plan_version_id

        lock = ScenarioAction(scenario_id="scn_base", by="ann")
        locked = await asyncio.gather(*(decided_again(lock_scenario, lock, ports=r.ports) for r in (b, a, b, a)))
        assert all(isinstance(reply, ScenarioAccepted) for reply in locked)

        events = await wait_events(js, lambda evts: bool(of_plan(evts, PlanCreated, plan_id)), timeout=30)
        assert len(of_plan(events, PlanRequested, plan_id)) == 1
        assert len([e for e in events if isinstance(e, ScenarioLocked) and e.scenario_id == "scn_base"]) == 1

    async with Replica(js) as late:  # started after the others wrote: restored from the log
        assert late.ports.state.scenarios["scn_base"].locked_by == "ann"
        assert plan_id in late.ports.state.plans
        assert late.ports.state.requests_by_client_id["order-1"].plan_version_id == plan_id
    assert len(of_plan(await log_events(js), PlanCreated, plan_id)) == 1


async def test_two_services_started_together_load_the_samples_once_and_answer_one_request_id_with_one_plan(
        fresh_nats, js):
    replicas = [Running(main, Settings(nats_url=fresh_nats)) for _ in range(2)]
    try:
        events = await wait_events(js, has_samples)
        configs = [e for e in events if e.event_type == "ConfigVersionCreated"]
        command = CreatePlan(base_scenario_id="scn_baseline", seed=2, request_id="order-7",
                             config_version_id=min(configs, key=lambda e: e.planning_days).config_version_id)
        body = command.model_dump_json().encode()
        replies = await asyncio.gather(*(ask(js, subjects.CMD_PLAN_CREATE, body, PlanAccepted) for _ in range(8)))
        assert len({(reply.plan_version_id, reply.job_id) for reply in replies}) == 1
        plan_id = replies[0].plan_version_id
        events = await wait_events(js, lambda evts: bool(of_plan(evts, PlanCreated, plan_id)), timeout=30)
    finally:
        for replica in replicas:
            await replica.stop()
    assert len(of_plan(events, PlanRequested, plan_id)) == 1
    assert sum(e.event_type == "ScenarioCreated" for e in events) == 3
    assert sum(e.event_type == "ConfigVersionCreated" for e in events) == 3
    assert sum(e.event_type == "ScenarioLocked" for e in events) == 1
