"""Reconcile: weekly load against capacity, excess spilling to the next week, slack carried forward,
and the roll-up to family × period checked against the aggregate."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from plan_documents import minimal

from contracts.canonical import CanonicalConfig
from services.plan_service.domain.pipeline import run_pipeline


def weekly_document(horizon: int, demands: dict[str, float], capacities: dict[str, float], **changes) -> dict:
    """P1 made at F1 (no item limit); F1's capacity given per bucket; demand per bucket at S1."""
    return minimal(
        meta={"name": "weekly", "attributes": {"planning_horizon": horizon}},
        nodes=[{"code": "S1", "node_type": "store"},
               {"code": "F1", "node_type": "factory", "production_policies": [{"item_code": "P1"}]}],
        demands=[{"node_code": "S1", "item_code": "P1", "bucket": b, "mean": q} for b, q in demands.items()],
        capacities=[{"resource_code": "F1", "bucket": b, "capacity": c} for b, c in capacities.items()],
        bom=[], **changes,
    )


def run(document: dict, **options):
    return run_pipeline(CanonicalConfig.model_validate(document), options=options)


def test_excess_spills_into_the_next_week_and_rolls_up_to_the_aggregate():
    result = run(weekly_document(14, {"W1": 70, "W2": 70}, {"W1": 50, "W2": 150}))
    [row] = result.artifacts["aggregate"]["rows"]
    assert (row["demand"], row["capacity"], row["supply"]) == (140, 200, 140)
    reconcile = result.artifacts["reconcile"]
    assert reconcile["load"] == [[70, 70]] and reconcile["capacity"] == [[50, 150]]
    assert reconcile["supply"] == [[50, 90]]
    assert reconcile["spill"] == [[20, 0]] and reconcile["slack"] == [[0, 60]]
    assert reconcile["rollup"]["ok"] is True and reconcile["rollup"]["rolled_up_supply"] == [[140]]
    final = result.artifacts["plan_final"]
    assert final["supply"] == [[50, 90]] and final["demand"] == [[70, 70]]
    assert result.kpis["supply_total"] == 140 and result.kpis["capacity_utilisation"] == 0.7


def test_slack_carried_forward_absorbs_a_later_excess():
    result = run(weekly_document(21, {"W1": 70, "W2": 70, "W3": 70}, {"W1": 120, "W2": 40, "W3": 50}))
    reconcile = result.artifacts["reconcile"]
    assert reconcile["load"] == [[70, 70, 70]]
    assert reconcile["supply"] == [[70, 70, 70]]
    assert reconcile["slack"] == [[50, 20, 0]] and reconcile["spill"] == [[0, 0, 0]]


def test_rollup_reports_a_period_whose_load_spills_out_of_it():
    calendar = [{"period": "M1", "week": f"W{k}", "weight": 1} for k in range(1, 5)]
    document = weekly_document(35, {"M1": 310, "M2": 280}, {"": 10},
                               planning_inputs={"calendar": [*calendar, {"period": "M2", "week": "W5", "weight": 1}]})
    result = run(document)
    reconcile = result.artifacts["reconcile"]
    assert reconcile["spill"] == [[7.5, 15, 22.5, 30, 30]]
    rollup = reconcile["rollup"]
    assert rollup["ok"] is False and rollup["rolled_up_supply"] == [[280, 40]]
    assert rollup["deviations"] == [{"family": "FAM", "period": "M1", "aggregate": 310, "rolled_up": 280,
                                     "relative_difference": pytest.approx(30 / 310, abs=1e-6)}]
    assert reconcile["unplanned_at_horizon_end"] == {"FAM": 30}
    assert result.kpis["rollup_ok"] == 0.0 and result.kpis["supply_total"] == 320
    assert run(document, tolerance=0.1).artifacts["reconcile"]["rollup"]["ok"] is True


def test_a_shared_factory_limit_is_split_between_families_by_demand():
    document = weekly_document(7, {"W1": 60}, {"": 6})
    document["items"].append({"code": "P2", "attributes": {"family": "OTHER"}})
    document["nodes"][1]["production_policies"].append({"item_code": "P2"})
    document["demands"].append({"node_code": "S1", "item_code": "P2", "bucket": "W1", "mean": 20})
    rows = {r["family"]: r for r in run(document).artifacts["aggregate"]["rows"]}
    assert rows["FAM"]["capacity"] == pytest.approx(31.5) and rows["OTHER"]["capacity"] == pytest.approx(10.5)


def test_a_whole_node_policy_limits_every_product_the_node_stocks():
    document = weekly_document(7, {"W1": 60}, {})
    document["nodes"][1]["production_policies"] = [{"item_code": None, "production_capacity": 4}]
    document["nodes"][1]["inventory_policies"] = [{"item_code": "P1"}, {"item_code": "C1"}]
    [row] = run(document).artifacts["aggregate"]["rows"]
    assert (row["capacity"], row["supply"], row["backlog"]) == (28, 28, 32)


weekly = st.lists(st.integers(0, 200), min_size=4, max_size=4)


@settings(max_examples=40, deadline=None)
@given(p1=weekly, p2=weekly, capacity=weekly)
@example(p1=[0, 0, 133, 168], p2=[79, 149, 106, 37], capacity=[0, 0, 0, 9])
def test_conservation_and_capacity_hold_for_any_weekly_profile(p1, p2, capacity):
    document = weekly_document(28, {f"W{k + 1}": q for k, q in enumerate(p1)},
                               {f"W{k + 1}": c for k, c in enumerate(capacity)})
    document["items"].append({"code": "P2", "attributes": {"family": "FAM"}})
    document["nodes"][1]["production_policies"].append({"item_code": "P2"})
    document["demands"] += [{"node_code": "S1", "item_code": "P2", "bucket": f"W{k + 1}", "mean": q}
                            for k, q in enumerate(p2)]
    result = run(document)
    aggregate, allocate, reconcile, final = (result.artifacts[s] for s in ("aggregate", "allocate", "reconcile", "plan_final"))
    supply = aggregate["totals"]["supply"]
    assert supply == pytest.approx(min(sum(p1) + sum(p2), sum(capacity)), abs=1e-6)
    rounding = 1e-6 * np.size(allocate["week_supply"])  # artifacts hold numbers rounded to 6 places
    assert np.sum(allocate["period_supply"]) == pytest.approx(supply, abs=rounding)
    assert np.sum(allocate["week_supply"]) == pytest.approx(supply, abs=rounding)
    weekly_supply = np.array(reconcile["supply"][0])
    assert np.all(np.cumsum(weekly_supply) <= np.cumsum(capacity) + rounding)
    assert np.allclose(np.sum(final["supply"], axis=0), weekly_supply, atol=rounding)
    assert weekly_supply.sum() + reconcile["unplanned_at_horizon_end"]["FAM"] == pytest.approx(supply, abs=rounding)
    assert reconcile["rollup"]["ok"] is True
