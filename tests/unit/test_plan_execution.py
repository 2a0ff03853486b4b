"""The run executes the plan, from plan_service's pipeline to the simulator's run: a plan whose
plan_final caps production below demand gives a run whose production follows the plan, an edit of
the plan (a revised supply plan document) changes the run, and ``execution: "policy"`` replays the
inventory policies as runs did before. In-memory ports, one object store shared by both services."""

import asyncio
import copy
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.commands import CreatePlan, ImportConfig, RerunPlan
from contracts.events import ArtifactRef, PlanCreated, RunCompleted, RunRequested
from contracts.plan_options import PlanOptions
from contracts.results import series_by_pair
from contracts.supply_plan import SupplyPlan
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import configs, plans
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.simulator import ports as simulator_ports
from services.simulator.engine import simulate
from services.simulator.handlers import simulate_plan

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class Tasks:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def __call__(self, coro) -> None:  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.ensure_future(coro))

    async def done(self) -> None:
        await asyncio.gather(*self.tasks)


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


def capped_small() -> dict:
    """The small sample, its family's capacity for planning cut to about a third of its demand
    (planning inputs only: the factory could make more)."""
    document = copy.deepcopy(json.loads((SAMPLES / "small.json").read_text()))
    document["meta"]["name"] = "small, capped plan"
    document["planning_inputs"] = {"capacity_buckets": [{"family": "FAM1", "period": "M1", "capacity": 100},
                                                        {"family": "FAM1", "period": "M2", "capacity": 80}]}
    return document


async def make_plan(ports: Ports, document: dict, **options) -> PlanCreated:
    config_id = (await configs.import_config(ImportConfig(document=document), ports)).config_version_id  # type: ignore[union-attr]
    reply = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=config_id, seed=7,
                                               options=PlanOptions(**options)), ports)
    await ports.spawn.done()  # type: ignore[attr-defined]
    return next(e for e in ports.publisher.of_type("PlanCreated") if e.plan_version_id == reply.plan_version_id)  # type: ignore[union-attr]


async def simulated(ports: Ports, trigger) -> tuple[RunCompleted, dict]:  # type: ignore[no-untyped-def]
    simulator = simulator_ports.Ports(publisher=InMemoryPublisher(), objects=ports.objects)
    await simulate_plan(trigger, simulator)
    [completed] = simulator.publisher.of_type("RunCompleted")
    data = await ports.objects.get(completed.results.bucket, completed.results.key)  # type: ignore[attr-defined, union-attr]
    return completed, json.loads(gzip.decompress(data))  # type: ignore[return-value]


def artifact(created: PlanCreated, name: str) -> ArtifactRef:
    return next(a for a in created.artifacts if a.name == name)


async def document(ports: Ports, ref: ArtifactRef) -> dict:
    return json.loads(await ports.objects.get(ref.bucket, ref.key))


def weekly(results: dict, node: str, item: str, measure: str, weeks: list[dict]) -> list[float]:
    series = next(s for s in series_by_pair(results) if (s["node"], s["item"]) == (node, item))[measure]
    return [round(sum(series[w["first_day"] - 1:w["last_day"]]), 6) for w in weeks]


async def test_a_plan_that_caps_production_below_demand_gives_a_run_whose_production_follows_the_plan(ports):
    created = await make_plan(ports, capped_small())
    assert created.kpis["fill_rate_estimate"] < 0.4
    final = await document(ports, artifact(created, "plan_final"))
    run, results = await simulated(ports, created)
    assert (run.execution, run.supply_plan) == ("plan", artifact(created, "plan_final"))
    made = weekly(results, "F1", "P1", "produced", final["weeks"])
    planned = np.floor(np.cumsum(final["supply"][0]) + 1e-9)  # whole units, the running total rounded down
    assert made == np.diff(planned, prepend=0.0).tolist() and sum(made) == 180
    assert run.summary.plan_attainment == 1.0 and run.summary.plan_shortfalls == []
    [line] = [line for line in results["plan"]["lines"] if line["stated"]]
    assert (line["node"], line["item"], line["kind"], line["actual"]) == ("F1", "P1", "production", made)
    replayed = await simulated(ports, created.model_copy(update={"options": {"execution": "policy"}}))
    assert sum(weekly(replayed[1], "F1", "P1", "produced", final["weeks"])) > 1.5 * sum(made)
    assert run.summary.fill_rate < replayed[0].summary.fill_rate


async def test_a_plan_beyond_what_the_factory_can_make_reports_where_when_and_why_it_fell_short(ports):
    document_ = copy.deepcopy(json.loads((SAMPLES / "small.json").read_text()))
    document_["capacities"][0]["capacity"] = 6.0  # the factory makes 6 a day; the plan does not know it
    document_["nodes"][1]["production_policies"][0]["allow_over_capacity"] = False
    document_["planning_inputs"] = {"capacity_buckets": [{"family": "FAM1", "period": p, "capacity": 1000}
                                                         for p in ("M1", "M2")]}
    created = await make_plan(ports, document_)
    run, _ = await simulated(ports, created)
    assert run.summary.plan_attainment < 0.8
    top = run.summary.plan_shortfalls[0]
    assert (top.node, top.item, top.kind, top.reason, top.first_week) == ("F1", "P1", "production", "capacity", "W1")
    assert top.shortfall == pytest.approx(top.planned - top.attained) and top.weeks_short >= 5


async def test_an_edit_of_the_plan_changes_the_run(ports):
    created = await make_plan(ports, capped_small())
    final = await document(ports, artifact(created, "plan_final"))
    revised = copy.deepcopy(final)
    revised["supply"][0][3:6] = [2 * q for q in final["supply"][0][3:6]]  # weeks 4 to 6 doubled
    ref = await ports.objects.put("plan_final", subjects.ARTIFACTS_BUCKET, f"{created.plan_version_id}/revision-1.json",
                                  json.dumps(revised).encode())
    request = RunRequested(correlation_id="job_r", producer="test", plan_version_id=created.plan_version_id,
                           config_version_id=created.config_version_id, base_scenario_id=created.base_scenario_id,
                           scenario_name=created.scenario_name, job_id="job_r", seed=created.seed,
                           config=created.config, supply_plan=ref)
    (first, a), (edited, b) = await simulated(ports, created), await simulated(ports, request)
    assert edited.supply_plan == ref and edited.execution == "plan"
    before, after = (weekly(r, "F1", "P1", "produced", final["weeks"]) for r in (a, b))
    assert after[:3] == before[:3] and sum(after[3:6]) == pytest.approx(2 * sum(before[3:6]), abs=2)
    assert edited.summary.store_sales_total > first.summary.store_sales_total


async def test_simulate_again_executes_the_plans_supply_plan(ports):
    created = await make_plan(ports, capped_small())
    await plans.rerun_plan(RerunPlan(plan_version_id=created.plan_version_id), ports)
    [request] = ports.publisher.of_type("RunRequested")
    assert (request.execution, request.supply_plan) == ("plan", artifact(created, "plan_final"))
    rerun, _ = await simulated(ports, request)
    assert rerun.execution == "plan" and rerun.summary.plan_attainment == 1.0


async def test_execution_policy_replays_the_inventory_policies_as_runs_did_before(ports):
    created = await make_plan(ports, capped_small(), execution="policy")
    assert created.options["execution"] == "policy"
    run, results = await simulated(ports, created)
    assert (run.execution, run.supply_plan, run.summary.plan_attainment) == ("policy", None, None)
    assert results["plan"] is None
    config = CanonicalConfig.model_validate(await document(ports, created.config))
    before = simulate(config, seed=created.seed, run_id=run.run_id)  # the engine with no supply plan: the old path
    assert run.summary == before.summary
    assert results["series"] == json.loads(gzip.decompress(before.results_bytes()))["series"]
    await plans.rerun_plan(RerunPlan(plan_version_id=created.plan_version_id), ports)
    [request] = ports.publisher.of_type("RunRequested")
    assert request.execution == "policy"


async def test_a_run_asked_to_execute_a_plan_without_a_supply_plan_says_the_policies_acted(ports):
    created = await make_plan(ports, capped_small())
    bare = created.model_copy(update={"artifacts": [a for a in created.artifacts if a.name != "plan_final"]})
    run, results = await simulated(ports, bare)
    assert (run.execution, run.summary.plan_attainment, results["plan"]) == ("policy", None, None)
    assert "no_supply_plan" in {w.code for w in run.summary.warnings}


async def test_a_document_that_is_no_supply_plan_fails_the_run_naming_it(ports):
    created = await make_plan(ports, capped_small())
    ref = await ports.objects.put("plan_final", subjects.ARTIFACTS_BUCKET, "bad.json", b'{"weeks": [], "items": [1]}')
    request = RunRequested(correlation_id="job_b", producer="test", plan_version_id=created.plan_version_id,
                           config_version_id=created.config_version_id, base_scenario_id=created.base_scenario_id,
                           scenario_name=created.scenario_name, job_id="job_b", seed=1, config=created.config,
                           supply_plan=ref)
    simulator = simulator_ports.Ports(publisher=InMemoryPublisher(), objects=ports.objects)
    await simulate_plan(request, simulator)
    [failed] = simulator.publisher.of_type("RunFailed")
    assert "SupplyPlan" in failed.reason  # type: ignore[attr-defined]


def test_the_supply_plan_reads_plan_final_as_the_pipeline_writes_it():
    from services.plan_service.domain.pipeline import run_pipeline

    config = CanonicalConfig.model_validate(capped_small())
    final = run_pipeline(config, options=PlanOptions()).artifacts["plan_final"]
    plan = SupplyPlan.model_validate(json.loads(json.dumps(final)))
    assert [i.item for i in plan.items] == ["P1"] and len(plan.weeks) == 9 and sum(plan.supply[0]) == 180
