"""The planning pipeline: steps in order, JSON-able artifacts, conservation, capacity scaling, refusals."""

import json

import numpy as np
import pytest
from plan_documents import minimal, sample

from contracts.canonical import CanonicalConfig
from services.plan_service.domain.pipeline import STEPS, PipelineError, run_pipeline


def plan(document: dict, **options):
    return run_pipeline(CanonicalConfig.model_validate(document), options=options)


def two_products(capacity_per_day: float | None) -> dict:
    """P1 and P2 of one family, 14 days; P1 sells 100 and P2 40 in the period M1 (clipped to 14 days)."""
    policies = [{"item_code": "P1"}, {"item_code": "P2"}]
    return minimal(
        meta={"name": "two", "attributes": {"planning_horizon": 14}},
        items=[{"code": "P1", "attributes": {"family": "FAM"}}, {"code": "P2", "attributes": {"family": "FAM"}}],
        nodes=[{"code": "S1", "node_type": "store"}, {"code": "F1", "node_type": "factory", "production_policies": policies}],
        bom=[], hierarchies=[],
        demands=[{"node_code": "S1", "item_code": "P1", "bucket": "W1", "mean": 50},
                 {"node_code": "S1", "item_code": "P1", "bucket": "W2", "mean": 50},
                 {"node_code": "S1", "item_code": "P2", "bucket": "D3", "mean": 40}],
        capacities=[{"resource_code": "F1", "bucket": "", "capacity": capacity_per_day}] if capacity_per_day else [],
    )


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_samples_plan_in_step_order_with_json_artifacts(name):
    calls = []
    result = run_pipeline(CanonicalConfig.model_validate(sample(name)), options={},
                          on_step=lambda *call: calls.append(call))
    assert calls == [(step, k, 5) for k, step in enumerate(STEPS)]
    assert list(result.artifacts) == list(STEPS)
    assert [a["step"] for a in result.artifacts.values()] == list(STEPS)
    json.dumps(result.artifacts, allow_nan=False)
    assert result.artifacts["reconcile"]["rollup"]["ok"] is True
    kpis = result.kpis
    assert kpis["demand_total"] > 0 and kpis["backlog_total"] == pytest.approx(kpis["demand_total"] - kpis["supply_total"])
    assert 0 <= kpis["fill_rate_estimate"] <= 1 and 0 <= kpis["capacity_utilisation"] <= 1


def test_family_totals_equal_item_totals_equal_weekly_totals():
    result = plan(sample("large"))
    aggregate, allocate, final = (result.artifacts[s] for s in ("aggregate", "allocate", "plan_final"))
    for family in aggregate["families"]:
        family_supply = sum(r["supply"] for r in aggregate["rows"] if r["family"] == family)
        members = [k for k, item in enumerate(allocate["items"]) if item["family"] == family]
        assert sum(sum(allocate["period_supply"][k]) for k in members) == pytest.approx(family_supply)
        assert sum(sum(allocate["week_supply"][k]) for k in members) == pytest.approx(family_supply)
        assert sum(sum(final["supply"][k]) for k in members) == pytest.approx(family_supply)
    period_supply = np.array(allocate["period_supply"])
    assert np.allclose(np.array(allocate["mix_share"]).sum(axis=0), 3)  # three families, shares sum to 1 each
    assert period_supply.sum() == pytest.approx(aggregate["totals"]["supply"])


def test_demand_above_capacity_is_scaled_down_and_split_by_mix():
    result = plan(two_products(capacity_per_day=5))
    [row] = result.artifacts["aggregate"]["rows"]
    assert row == {"family": "FAM", "period": "M1", "demand": 140.0, "capacity": 70.0, "supply": 70.0, "backlog": 70.0}
    allocate = result.artifacts["allocate"]
    assert allocate["period_supply"] == [[50.0], [20.0]]
    assert allocate["week_supply"] == [[25.0, 25.0], [10.0, 10.0]]
    assert result.kpis["fill_rate_estimate"] == 0.5 and result.kpis["capacity_utilisation"] == 1.0


def test_unlimited_capacity_plans_all_demand():
    result = plan(two_products(capacity_per_day=None))
    assert result.artifacts["aggregate"]["rows"][0]["capacity"] is None
    assert result.kpis["supply_total"] == 140 and result.kpis["backlog_total"] == 0
    assert plan(two_products(capacity_per_day=5), ignore_capacity=True).kpis["supply_total"] == 140


def test_given_mix_shares_and_family_demand_are_used():
    document = two_products(capacity_per_day=None)
    document["planning_inputs"] = {
        "family_demand": [{"family": "FAM", "period": "W1", "demand": 70}, {"family": "FAM", "period": "W2", "demand": 30}],
        "mix_shares": [{"family": "FAM", "item_code": "P1", "share": 3}, {"family": "FAM", "item_code": "P2", "share": 1}],
    }
    allocate = plan(document).artifacts["allocate"]
    assert [p["label"] for p in allocate["periods"]] == ["W1", "W2"]
    assert allocate["week_supply"] == [[52.5, 22.5], [17.5, 7.5]]


def test_custom_calendar_weights_split_periods_into_weeks():
    document = two_products(capacity_per_day=None)
    document["planning_inputs"] = {"calendar": [
        {"period": "M1", "week": "W1", "weight": 3}, {"period": "M1", "week": "W2", "weight": 1}]}
    allocate = plan(document).artifacts["allocate"]
    assert [c["weight"] for c in allocate["calendar"]] == [0.75, 0.25]
    assert allocate["week_supply"] == [[75.0, 25.0], [30.0, 10.0]]


@pytest.mark.parametrize(("changes", "step", "words"), [
    ({"demands": []}, "aggregate", "no demand"),
    ({"meta": {"name": "x"}, "demands": []}, "aggregate", "no planning horizon"),
    ({"bom": [{"parent_item": "P1", "child_item": "C1", "quantity": 1},
              {"parent_item": "C1", "child_item": "P1", "quantity": 1}]}, "mrp", "cycle"),
    ({"planning_inputs": {"family_demand": [{"family": "NOBODY", "period": "W1", "demand": 5}]}}, "allocate", "NOBODY"),
    ({"planning_inputs": {"calendar": [{"period": "M1", "week": "W9", "weight": 1}]}}, "aggregate", "inside the horizon"),
    ({"planning_inputs": {"calendar": [{"period": "W1", "week": "W2", "weight": 1}]}}, "aggregate", "outside period"),
    ({"planning_inputs": {"calendar": [{"period": "M1", "week": "W1", "weight": 0}]}}, "aggregate", "positive"),
    ({"planning_inputs": {"family_demand": [{"family": "FAM", "demand": 5}]}}, "aggregate", "malformed"),
    ({"demands": [{"node_code": "S1", "item_code": "P1", "bucket": "someday", "mean": 1}]}, "aggregate", "someday"),
])
def test_unplannable_inputs_raise_pipeline_error_naming_the_step(changes, step, words):
    with pytest.raises(PipelineError) as caught:
        plan(minimal(**changes))
    assert caught.value.step == step and words in caught.value.message


def test_bad_options_are_refused():
    with pytest.raises(PipelineError) as caught:
        plan(minimal(), tolerance="loose")
    assert caught.value.step == "options"
