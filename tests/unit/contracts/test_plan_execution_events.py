"""Runs that execute their plan: RunRequested names the supply plan and the execution, RunCompleted
says which it executed and how the plan held up; older versions read as what they were (the
inventory policies replayed, no plan attainment)."""

import json
import uuid

from contracts.events import ArtifactRef, RunCompleted, RunRequested, decode
from contracts.supply_plan import plan_execution

REF = ArtifactRef(name="plan_final", bucket="scpln-artifacts", key="plan_1/plan_final.json", sha256="a" * 64, size=10)
ENVELOPE = {"event_id": str(uuid.uuid4()), "occurred_at": "2025-01-01T00:00:00Z", "correlation_id": "job_1",
            "producer": "plan_service"}
SUMMARY = {"planning_days": 3, "fill_rate": 1.0, "fill_rate_on_time": 1.0, "store_demand_total": 14,
           "store_sales_total": 14, "store_sales_on_time": 14, "store_sales_late": 0, "lost_sales_total": 0,
           "backorder_open_end": 0, "customer_shortage_total": 0, "network_shortage_total": 0,
           "avg_on_hand_by_type": {}, "backorder_peak": 0, "backorder_peak_day": 0, "revenue_total": 70,
           "cost_total": 28, "penalty_total": 0, "profit_total": 42, "profit_per_day_avg": 14}


def test_a_run_completed_before_plans_were_executed_reads_as_a_policy_run_without_attainment():
    v3 = {**ENVELOPE, "event_type": "RunCompleted", "schema_version": 3, "run_id": "run_1", "plan_version_id": "plan_1",
          "config_version_id": "cfg_1", "scenario_id": "scn_1", "scenario_name": "Base", "job_id": "job_1", "seed": 1,
          "started_at": "2025-01-01T00:00:00Z", "finished_at": "2025-01-01T00:00:01Z", "duration_ms": 5,
          "simulator_version": "1", "summary": SUMMARY, "replication": 0}
    event = decode(json.dumps(v3))
    assert isinstance(event, RunCompleted) and event.schema_version == 4
    assert (event.execution, event.supply_plan, event.summary.plan_attainment, event.summary.plan_shortfalls) == (
        "policy", None, None, [])
    older = decode(json.dumps({**v3, "schema_version": 2}))
    assert older.summary.plan_attainment is None and older.execution == "policy"  # type: ignore[union-attr]


def test_a_run_requested_before_plans_were_executed_replays_the_policies():
    v2 = {**ENVELOPE, "event_type": "RunRequested", "schema_version": 2, "plan_version_id": "plan_1",
          "config_version_id": "cfg_1", "base_scenario_id": "scn_1", "scenario_name": "Base", "job_id": "job_1",
          "seed": 1, "config": REF.model_dump(mode="json"), "replication": None}
    event = decode(json.dumps(v2))
    assert isinstance(event, RunRequested) and event.schema_version == 3
    assert (event.execution, event.supply_plan) == ("policy", None)
    now = RunRequested(**{k: v for k, v in v2.items() if k not in ("event_type", "schema_version", "event_id",
                                                                    "occurred_at")} | {"supply_plan": REF})
    assert decode(now.model_dump_json()) == now and now.execution == "plan"


def test_a_plan_executes_its_plan_final_unless_its_options_say_policy():
    other = REF.model_copy(update={"name": "mrp"})
    assert plan_execution({}, [other, REF]) == ("plan", REF)
    assert plan_execution({"execution": "policy"}, [REF]) == ("policy", REF)
    assert plan_execution({"tolerance": 0.1}, [other]) == ("plan", None)
