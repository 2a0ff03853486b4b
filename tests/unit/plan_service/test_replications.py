"""Replications with in-memory fakes: a plan asked for N runs gets N runs with N distinct seeds
derived from its seed; "simulate again" takes new seeds unless it reproduces; a restart completes
the replications a stop cut short; a retry runs the same seed again; warnings at import and plan
time about components nothing replenishes."""

import asyncio
from types import SimpleNamespace

import pytest
from test_plan_commands import SAMPLES, Tasks

from contracts.commands import CreatePlan, ImportConfig, RerunPlan, RetryJob
from contracts.events import PlanCreated, RunRequested
from contracts.queries import JobDetail, JobRow
from contracts.replications import replication_seed, replication_seeds
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import configs, jobs, plans, replications
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.plan_service.state import PlanServiceState


def quick(config, *, options, on_step):  # type: ignore[no-untyped-def]
    on_step("aggregate", 0, 5)
    return SimpleNamespace(artifacts={}, kpis={"demand_total": 1.0})


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


async def a_plan(ports: Ports, replications: int = 1, seed: int = 5, config: str | None = None) -> str:
    config = config or min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=config, seed=seed,
                                                  replications=replications), ports, pipeline=quick)
    await ports.spawn.done()  # type: ignore[attr-defined]
    return accepted.plan_version_id


def requests_of(ports: Ports, plan_id: str) -> list[RunRequested]:
    return [e for e in ports.publisher.of_type("RunRequested") if e.plan_version_id == plan_id]  # type: ignore[attr-defined]


async def test_a_plan_asked_for_n_replications_gets_n_runs_with_n_distinct_seeds_derived_from_its_seed(ports):
    plan_id = await a_plan(ports, replications=4, seed=5)
    [created] = [e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == plan_id]
    assert isinstance(created, PlanCreated) and (created.replications, created.seed) == (4, 5)
    requested = requests_of(ports, plan_id)
    assert [(r.replication, r.seed) for r in requested] == replication_seeds(5, 1, 3)
    seeds = [created.seed] + [r.seed for r in requested]  # replication 0 runs from PlanCreated
    assert seeds == [replication_seed(5, i) for i in range(4)] and len(set(seeds)) == 4
    assert len({r.job_id for r in requested} | {created.simulation_job_id}) == 4
    assert [r.job_id for r in requested] == [replications.job_id_of(plan_id, i) for i in (1, 2, 3)]


async def test_one_replication_is_the_plan_alone_as_before(ports):
    plan_id = await a_plan(ports)
    assert requests_of(ports, plan_id) == []


async def test_a_restart_asks_only_for_the_replications_the_log_does_not_hold(ports):
    plan_id = await a_plan(ports, replications=3)
    dropped = requests_of(ports, plan_id)[-1]
    restarted = PlanServiceState()
    for event in ports.publisher.events:
        if event is not dropped:
            restarted.apply(event)
    ports.state, ports.publisher = restarted, InMemoryPublisher()  # past the stream's duplicate window
    await plans.resume_interrupted(ports, min_seq=0)
    again = ports.publisher.of_type("RunRequested")
    assert [(r.replication, r.seed, r.job_id, r.event_id) for r in again] == [  # type: ignore[attr-defined]
        (dropped.replication, dropped.seed, dropped.job_id, dropped.event_id)]  # the same ids: the stream dedups
    await plans.resume_interrupted(ports, min_seq=0)
    assert len(ports.publisher.of_type("RunRequested")) == 1


async def test_simulate_again_takes_the_next_replications_new_seeds_and_reproduce_the_first_ones(ports):
    plan_id = await a_plan(ports, replications=2, seed=9)
    reply = await plans.rerun_plan(RerunPlan(plan_version_id=plan_id, replications=3), ports)
    rerun = requests_of(ports, plan_id)[-3:]
    assert [r.replication for r in rerun] == [2, 3, 4] and reply.job_ids == [r.job_id for r in rerun]
    assert reply.job_id == rerun[0].job_id
    used = {replication_seed(9, 0), replication_seed(9, 1)}
    assert not used & {r.seed for r in rerun} and len({r.seed for r in rerun}) == 3
    single = await plans.rerun_plan(RerunPlan(plan_version_id=plan_id), ports)
    assert requests_of(ports, plan_id)[-1].replication == 5 and single.job_ids == [single.job_id]
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id, replications=2, reproduce=True), ports)
    assert [(r.replication, r.seed) for r in requests_of(ports, plan_id)[-2:]] == [(0, 9), (1, replication_seed(9, 1))]


async def test_two_requests_at_once_never_share_a_replication(ports):
    plan_id = await a_plan(ports)
    await asyncio.gather(*(plans.rerun_plan(RerunPlan(plan_version_id=plan_id, replications=2), ports)
                           for _ in range(3)))
    indices = [r.replication for r in requests_of(ports, plan_id)]
    assert sorted(indices) == [1, 2, 3, 4, 5, 6]


async def test_a_seed_in_the_request_gives_seeds_derived_from_it_outside_the_plans_replications(ports):
    plan_id = await a_plan(ports)
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id, seed=77, replications=2), ports)
    assert [(r.replication, r.seed) for r in requests_of(ports, plan_id)] == [(None, 77), (None, replication_seed(77, 1))]
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id), ports)
    assert requests_of(ports, plan_id)[-1].replication == 1


async def test_the_replications_asked_are_folded_again_from_the_log(ports):
    plan_id = await a_plan(ports, replications=3)
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id, replications=2), ports)
    restarted = PlanServiceState()
    for event in ports.publisher.events:
        restarted.apply(event)
    assert restarted.next_replication(plan_id) == 5 and restarted.plans[plan_id].replications == 3


async def test_retrying_a_simulation_job_runs_its_seed_and_replication_again(ports):
    plan_id = await a_plan(ports, replications=3, seed=11)
    failed = requests_of(ports, plan_id)[1]

    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return JobDetail(job=JobRow(job_id=failed.job_id, job_type="simulation", state="failed", progress=1.0, step="",
                                    message="", plan_version_id=plan_id, created_at="2026-01-01T00:00:00Z",
                                    updated_at="2026-01-01T00:00:00Z"))

    ports.ask_registry = registry
    retried = await jobs.retry_job(RetryJob(job_id=failed.job_id, by="ana"), ports)
    again = requests_of(ports, plan_id)[-1]
    assert again.job_id == retried.job_id != failed.job_id
    assert (again.seed, again.replication) == (failed.seed, failed.replication) == (replication_seed(11, 2), 2)


async def test_a_request_id_used_with_other_replications_is_another_request(ports):
    config = min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=config, request_id="r1", replications=2)
    first = await plans.create_plan(command, ports, pipeline=quick)
    assert await plans.create_plan(command, ports, pipeline=quick) == first
    other = await plans.create_plan(command.model_copy(update={"replications": 3}), ports, pipeline=quick)
    assert other.error == "validation_failed"
    await ports.spawn.done()  # type: ignore[attr-defined]


UNSOURCED = {
    "meta": {"name": "unsourced", "attributes": {"planning_horizon": 10, "currency": "EUR"}},
    "items": [{"code": "P", "item_type": "product", "unit_cost": 2, "attributes": {"sales_price": 5}},
              {"code": "C", "item_type": "component", "unit_cost": 1}],
    "nodes": [{"code": "S", "node_type": "store", "inventory_policies": [{"item_code": "P", "order_up_to": 8}]},
              {"code": "F", "node_type": "factory", "production_policies": [{"item_code": "P"}],
               "inventory_policies": [{"item_code": "P", "order_up_to": 6}, {"item_code": "C", "initial_inventory": 25}]}],
    "arcs": [{"from_node": "F", "to_node": "S", "lead_time_days": 0}],
    "bom": [{"parent_item": "P", "child_item": "C", "quantity": 2, "scrap_rate": 0.25}],
    "demands": [{"node_code": "S", "item_code": "P", "bucket": f"D{d}", "mean": 4} for d in range(1, 11)],
}


async def test_a_component_without_a_source_is_warned_about_at_import_and_at_plan_time(ports):
    imported = await configs.import_config(ImportConfig(document=UNSOURCED), ports)
    [warning] = [w for w in imported.warnings if w["code"] == "component_without_source"]
    assert (warning["node"], warning["item"], warning["path"]) == ("F", "C", "$.nodes[1].production_policies")
    assert "covers 25% of the 100" in warning["message"]
    [stored] = [e for e in ports.publisher.of_type("ConfigVersionCreated")
                if e.config_version_id == imported.config_version_id]
    assert warning in stored.warnings
    plan_id = await a_plan(ports, config=imported.config_version_id)
    [created] = [e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == plan_id]
    assert [(w.code, w.node, w.item) for w in created.warnings] == [("component_without_source", "F", "C")]
    sample = await a_plan(ports, config=next(c.config_version_id for c in ports.state.configs.values()
                                             if c.config_version_id != imported.config_version_id))
    [clean] = [e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == sample]
    assert clean.warnings == []


def test_every_plan_kpi_the_pipeline_gives_is_defined_in_the_plan_kpi_table():
    import json

    from contracts.canonical import CanonicalConfig
    from contracts.kpis import PLAN_KPI_BY_KEY
    from services.plan_service.domain.pipeline import run_pipeline

    config = CanonicalConfig.model_validate(json.loads((SAMPLES / "small.json").read_text()))
    assert set(run_pipeline(config, options={}).kpis) <= set(PLAN_KPI_BY_KEY)
