"""A scenario's what-ifs over a real nats-server: plan_service stores the effective config in the
object store, PlanCreated points to it, and the simulator (full engine) runs it."""

import asyncio
import hashlib
import json

import pytest
from nats.errors import NoRespondersError

from contracts import subjects
from contracts.commands import CreatePlan, PlanAccepted, parse_reply
from contracts.events import PlanCreated, RunCompleted, ScenarioCreated
from runtime.objects import NatsObjectStore
from services.plan_service.app import main as plan_service_main
from services.plan_service.settings import Settings
from services.simulator.app import main as simulator_main
from services.simulator.settings import Settings as SimulatorSettings
from tests.integration.conftest import Running, wait_events


async def ask_plan(js, command: CreatePlan) -> PlanAccepted:  # type: ignore[no-untyped-def]
    for _ in range(100):
        try:
            reply = await js._nc.request(subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), timeout=10)
            return parse_reply(reply.data, PlanAccepted)  # type: ignore[return-value]
        except NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError("plan_service does not answer")


@pytest.fixture()
async def services(fresh_nats, js, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SCPLN_SKIP_SIMULATION_API", raising=False)
    planner = Running(plan_service_main, Settings(nats_url=fresh_nats))
    simulator = Running(simulator_main, SimulatorSettings(nats_url=fresh_nats))
    yield
    await simulator.stop()
    await planner.stop()


async def test_peak_season_is_planned_and_run_from_its_effective_config(services, js):
    events = await wait_events(js, lambda evts: sum(e.event_type == "ConfigVersionCreated" for e in evts) == 3)
    peak = next(e for e in events if isinstance(e, ScenarioCreated) and e.scenario_id == "scn_peak_season")
    assert [o.factor for o in peak.overrides] == [1.3, 1.25, 1.1], "the sample holds its what-ifs in the log"
    small = min((e for e in events if e.event_type == "ConfigVersionCreated"), key=lambda e: e.planning_days)
    plans = {s: await ask_plan(js, CreatePlan(base_scenario_id=s, config_version_id=small.config_version_id, seed=5))
             for s in ("scn_baseline", "scn_peak_season")}
    ids = {p.plan_version_id for p in plans.values()}

    def both_run(evts: list) -> bool:
        return {e.plan_version_id for e in evts if isinstance(e, RunCompleted)} >= ids

    log = await wait_events(js, both_run, timeout=60)
    created = {e.base_scenario_id: e for e in log if isinstance(e, PlanCreated) and e.plan_version_id in ids}
    runs = {e.scenario_id: e for e in log if isinstance(e, RunCompleted) and e.plan_version_id in ids}
    base, peak_plan = created["scn_baseline"], created["scn_peak_season"]
    assert base.config == small.document and base.effective_config_sha256 == small.sha256
    assert peak_plan.config.key == f"effective/{peak_plan.effective_config_sha256}.json"
    data = await NatsObjectStore(js).get(peak_plan.config.bucket, peak_plan.config.key)
    assert hashlib.sha256(data).hexdigest() == peak_plan.effective_config_sha256 == peak_plan.config.sha256
    assert json.loads(data)["meta"] == json.loads(await NatsObjectStore(js).get(small.document.bucket,
                                                                               small.document.key))["meta"]
    assert [a.changed > 0 for a in peak_plan.overrides] == [True, False, True], "small has no November"
    assert runs["scn_peak_season"].summary.store_demand_total > runs["scn_baseline"].summary.store_demand_total
    assert not runs["scn_peak_season"].stub
