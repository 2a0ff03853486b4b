"""Scenarios that hold what-ifs, from the scenario to the plan and its run: plan_service plans the
effective config and the simulator (full engine, and the stub) runs it. In-memory ports, one object
store shared by both services, as the bus shares it."""

import asyncio
import copy
import gzip
import json
from pathlib import Path

import pytest

from contracts.canonical import CanonicalConfig
from contracts.commands import CreatePlan, CreateScenario, ImportConfig, RerunPlan, UpdateScenario
from contracts.events import PlanCreated, RunCompleted
from contracts.results import series_by_pair
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import configs, plans, scenarios
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.simulator import ports as simulator_ports
from services.simulator.handlers import simulate_plan

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FAM1 = {"P1", "P3"}


class Tasks:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def __call__(self, coro) -> None:  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.ensure_future(coro))

    async def done(self) -> None:
        await asyncio.gather(*self.tasks)


def two_families() -> dict:
    """The medium sample with P2 in a family of its own and every demand row deterministic, in even units
    (so +50 % is whole units)."""
    document = json.loads((SAMPLES / "medium.json").read_text())
    document = copy.deepcopy(document)
    document["meta"]["name"] = "two families"
    for item in document["items"]:
        if item["code"] == "P2":
            item["attributes"]["family"] = "FAM2"
    document["hierarchies"] = [h for h in document["hierarchies"] if h["key"] != "P2"]
    for row in document["demands"]:
        row.update(demand_model="deterministic", std_dev=0.0, mean=float(round(row["mean"] / 2) * 2))
    return document


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


async def import_document(ports: Ports, document: dict) -> str:
    return (await configs.import_config(ImportConfig(document=document), ports)).config_version_id  # type: ignore[union-attr]


async def scenario(ports: Ports, name: str, *overrides: dict, parent: str | None = None) -> str:
    reply = await scenarios.create_scenario(CreateScenario(name=name, parent_id=parent, overrides=list(overrides)), ports)
    return reply.scenario_id  # type: ignore[union-attr]


async def plan(ports: Ports, scenario_id: str, config_id: str, seed: int = 7) -> PlanCreated:
    reply = await plans.create_plan(CreatePlan(base_scenario_id=scenario_id, config_version_id=config_id, seed=seed),
                                    ports)
    await ports.spawn.done()  # type: ignore[attr-defined]
    return next(e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == reply.plan_version_id)  # type: ignore[union-attr]


async def run(ports: Ports, trigger, *, stub: bool = False) -> tuple[RunCompleted, dict | None]:  # type: ignore[no-untyped-def]
    simulator = simulator_ports.Ports(publisher=InMemoryPublisher(), objects=ports.objects, stub=stub)
    await simulate_plan(trigger, simulator)
    [completed] = simulator.publisher.of_type("RunCompleted")
    if completed.results is None:  # type: ignore[attr-defined]
        return completed, None  # type: ignore[return-value]
    data = await ports.objects.get(completed.results.bucket, completed.results.key)  # type: ignore[attr-defined]
    return completed, json.loads(gzip.decompress(data))  # type: ignore[return-value]


def plan_demand(ports: Ports, created: PlanCreated) -> dict[tuple[str, str], float]:
    aggregate = next(a for a in created.artifacts if a.name == "aggregate")
    rows = json.loads(ports.objects.objects[(aggregate.bucket, aggregate.key)])["rows"]  # type: ignore[attr-defined]
    return {(r["family"], r["period"]): r["demand"] for r in rows}


def run_demand(results: dict, items: set[str]) -> list[float]:
    """Store demand per day of these items."""
    series = [s for s in series_by_pair(results) if s["node_type"] == "store" and s["item"] in items]
    return [sum(day) for day in zip(*(s["demand"] for s in series), strict=True)]


async def test_a_family_demand_override_of_50_percent_gives_exactly_50_percent_more_demand_in_the_plan_and_its_run(ports):
    config_id = await import_document(ports, two_families())
    base = await plan(ports, await scenario(ports, "As planned"), config_id)
    boost = await plan(ports, await scenario(ports, "FAM1 +50 %", {"type": "demand_scale", "factor": 1.5,
                                                                  "family": "FAM1"}), config_id)
    before, after = plan_demand(ports, base), plan_demand(ports, boost)
    assert {k: (1.5 * v if k[0] == "FAM1" else v) for k, v in before.items()} == after
    (_, base_results), (_, boost_results) = await run(ports, base), await run(ports, boost)
    assert sum(run_demand(boost_results, FAM1)) == 1.5 * sum(run_demand(base_results, FAM1)) > 0
    assert run_demand(boost_results, {"P2"}) == run_demand(base_results, {"P2"})
    assert boost.seed == base.seed
    fam1_rows = sum(1 for row in two_families()["demands"] if row["item_code"] in FAM1)
    assert [(a.override.type, a.changed) for a in boost.overrides] == [("demand_scale", fam1_rows)]
    assert boost.effective_config_sha256 == boost.config.sha256 != base.config.sha256


async def test_a_normal_demand_row_draws_the_same_draw_scaled(ports):
    config_id = (await import_document(ports, json.loads((SAMPLES / "medium.json").read_text())))
    base = await plan(ports, "scn_baseline", config_id)
    boost = await plan(ports, await scenario(ports, "x2", {"type": "demand_scale", "factor": 2}), config_id)
    (_, a), (_, b) = await run(ports, base), await run(ports, boost)
    everything = {"P1", "P2", "P3"}
    assert abs(sum(run_demand(b, everything)) - 2 * sum(run_demand(a, everything))) <= 12, "up to rounding per row"


async def test_a_derived_scenario_applies_its_parents_overrides_first_then_its_own(ports):
    config_id = await import_document(ports, two_families())
    parent = await scenario(ports, "Peak", {"type": "demand_scale", "factor": 1.5, "family": "FAM1"})
    child = await scenario(ports, "Peak, FAM1 doubled again", {"type": "demand_scale", "factor": 2, "family": "FAM1"},
                           {"type": "demand_scale", "factor": 0.5, "family": "FAM2"}, parent=parent)
    base, derived = await plan(ports, "scn_baseline", config_id), await plan(ports, child, config_id)
    assert [(a.scenario_id, a.override.factor) for a in derived.overrides] == [(parent, 1.5), (child, 2), (child, 0.5)]
    requested = next(r for r in ports.publisher.of_type("PlanRequested") if r.plan_version_id == derived.plan_version_id)
    assert [o.scenario_id for o in requested.overrides] == [parent, child, child]
    before, after = plan_demand(ports, base), plan_demand(ports, derived)
    assert after == {k: v * (3.0 if k[0] == "FAM1" else 0.5) for k, v in before.items()}
    await scenarios.update_scenario(UpdateScenario(scenario_id=parent, overrides=[]), ports)
    again = await plan(ports, child, config_id)
    assert [a.scenario_id for a in again.overrides] == [child, child], "the parent's overrides as they are now"


async def test_two_plans_of_different_scenarios_on_one_config_differ_exactly_as_the_overrides_say(ports):
    config_id = await import_document(ports, two_families())
    what_ifs = ({"type": "capacity_scale", "factor": 0.5, "node": "F2"},
                {"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"}, "delta": 2},
                {"type": "price_change", "factor": 1.2, "item": "P1"})
    base, changed = await plan(ports, "scn_baseline", config_id), await plan(ports, await scenario(ports, "Mix", *what_ifs),
                                                                             config_id)
    documents = [json.loads(await ports.objects.get(p.config.bucket, p.config.key)) for p in (base, changed)]
    differences = sorted(_differences(*documents))
    assert differences == [
        ("arcs.1.lead_time_days", 3, 5), ("capacities.1.capacity", 11.0, 5.5),
        ("items.0.attributes.sales_price", 57.74, pytest.approx(69.288)),
        ("nodes.4.production_policies.0.production_capacity", 11.0, 5.5)]
    figures = {(c.what, c.where) for c in changed.config_changes}
    assert figures == {("capacity", "node F2"), ("capacity", "node F2, item P2"), ("lead_time", "arc F1 → W1"),
                       ("price", "item P1")}
    (base_run, _), (changed_run, _) = await run(ports, base, stub=True), await run(ports, changed, stub=True)
    assert changed_run.summary.revenue_total > base_run.summary.revenue_total


def _differences(a, b, path=""):  # type: ignore[no-untyped-def]
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, f"{path}.{k}")
    elif a != b:
        yield path, a, b


async def test_sample_baseline_and_peak_season_give_different_kpis_out_of_the_box(ports):
    for config in sorted(ports.state.configs.values(), key=lambda c: c.planning_days):
        base, peak = await plan(ports, "scn_baseline", config.config_version_id), await plan(
            ports, "scn_peak_season", config.config_version_id)
        assert peak.kpis["demand_total"] > base.kpis["demand_total"], config.name
        (base_run, _), (peak_run, _) = await run(ports, base, stub=True), await run(ports, peak, stub=True)
        assert peak_run.summary.store_demand_total > base_run.summary.store_demand_total, config.name
    small = min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    base, peak = await plan(ports, "scn_baseline", small), await plan(ports, "scn_peak_season", small)
    (base_run, _), (peak_run, _) = await run(ports, base), await run(ports, peak)
    assert peak_run.summary.store_demand_total > base_run.summary.store_demand_total
    assert peak_run.summary.cost_total != base_run.summary.cost_total


async def test_a_plan_without_overrides_points_to_the_config_versions_own_document(ports):
    config = min(ports.state.configs.values(), key=lambda c: c.planning_days)
    created = await plan(ports, "scn_baseline", config.config_version_id)
    assert created.config == config.document and created.effective_config_sha256 == config.sha256
    assert created.overrides == [] and created.config_changes == []


async def test_an_override_the_config_cannot_take_fails_the_plan_at_step_overrides_naming_it(ports):
    config_id = await import_document(ports, two_families())
    sid = await scenario(ports, "Toys", {"type": "demand_scale", "factor": 1.1},
                         {"type": "demand_scale", "factor": 2, "family": "TOYS"})
    reply = await plans.create_plan(CreatePlan(base_scenario_id=sid, config_version_id=config_id), ports)
    await ports.spawn.done()  # type: ignore[attr-defined]
    last = ports.publisher.events[-1]
    assert (last.job_id, last.state, last.step) == (reply.job_id, "failed", "overrides")  # type: ignore[union-attr]
    assert last.message.startswith(f"overrides[1] of scenario {sid} (demand_scale): family 'TOYS' is not in the config")  # type: ignore[attr-defined]
    assert not [e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == reply.plan_version_id]  # type: ignore[union-attr]


async def test_simulating_a_plan_again_runs_its_effective_config(ports):
    config_id = await import_document(ports, two_families())
    created = await plan(ports, await scenario(ports, "x2", {"type": "demand_scale", "factor": 2}), config_id)
    await plans.rerun_plan(RerunPlan(plan_version_id=created.plan_version_id), ports)
    [again] = ports.publisher.of_type("RunRequested")
    assert again.config == created.config  # type: ignore[attr-defined]
    (first, _), (second, _) = await run(ports, created, stub=True), await run(ports, again, stub=True)
    assert second.summary.store_demand_total == first.summary.store_demand_total
    document = json.loads(await ports.objects.get(created.config.bucket, created.config.key))
    assert CanonicalConfig.model_validate(document).demands[0].mean == 2 * two_families()["demands"][0]["mean"]


async def test_plans_of_one_config_and_overrides_read_it_once_and_a_changed_override_is_planned_anew(ports):
    config_id = await import_document(ports, two_families())
    sid = await scenario(ports, "x2", {"type": "demand_scale", "factor": 2})
    reads: list[str] = []
    writes: list[str] = []
    get, put = ports.objects.get, ports.objects.put

    async def counted(bucket: str, key: str) -> bytes:
        reads.append(key)
        return await get(bucket, key)

    async def written(name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
        writes.append(key)
        return await put(name, bucket, key, data, content_type)

    ports.objects.get, ports.objects.put = counted, written  # type: ignore[method-assign]
    first, second = await plan(ports, sid, config_id, seed=1), await plan(ports, sid, config_id, seed=2)
    config_document = ports.state.configs[config_id].document.key
    assert reads.count(config_document) == 1
    assert writes.count(first.config.key) == 1, "the effective document is stored once"
    assert first.config == second.config and first.effective_config_sha256 == second.effective_config_sha256
    assert first.warnings == second.warnings and first.config_changes == second.config_changes

    await scenarios.update_scenario(UpdateScenario(scenario_id=sid, overrides=[{"type": "demand_scale", "factor": 3}]),
                                    ports)
    third = await plan(ports, sid, config_id)
    assert reads.count(config_document) == 2 and third.effective_config_sha256 != first.effective_config_sha256
    assert plan_demand(ports, third) == {k: v * 1.5 for k, v in plan_demand(ports, first).items()}
