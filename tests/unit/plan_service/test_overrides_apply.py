"""apply_overrides: each override type changes exactly what it says, in order; codes the config lacks are refused."""

import json

import numpy as np
import pytest
from plan_documents import minimal, sample
from pydantic import TypeAdapter

from contracts.buckets import day_range
from contracts.canonical import CanonicalConfig
from contracts.overrides import Overrides
from services.plan_service.domain.overrides import OverrideError, apply_overrides, effective_document
from services.plan_service.domain.overrides.diff import config_changes
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.domain.pipeline.capacity import shared_limit_per_day
from services.plan_service.domain.validation import document_sha256

OVERRIDES = TypeAdapter(Overrides)


def what_ifs(*raw: dict) -> list:
    return OVERRIDES.validate_python(list(raw))


def family_demand(config: CanonicalConfig, family: str) -> float:
    families = {i.code: i.attributes.get("family") for i in config.items}
    return sum(d.mean for d in config.demands if families.get(d.item_code) == family)


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_no_overrides_leave_the_document_byte_for_byte_so_the_digest_is_the_config_versions(name):
    document = sample(name)
    effective = effective_document(document, [])
    assert effective.sha256 == document_sha256(document) and effective.document == document
    assert effective.document is not document


def test_demand_scale_on_a_family_multiplies_exactly_its_rows_and_nothing_else():
    document = sample("large")
    config = CanonicalConfig.model_validate(document)
    scaled = apply_overrides(config, what_ifs({"type": "demand_scale", "factor": 1.5, "family": "FAM2"}))
    assert family_demand(scaled, "FAM2") == pytest.approx(1.5 * family_demand(config, "FAM2"))
    for family in ("FAM1", "FAM3"):
        assert family_demand(scaled, family) == family_demand(config, family)
    fam2 = [(a, b) for a, b in zip(config.demands, scaled.demands, strict=True) if a.item_code in {"P5", "P6", "P7", "P8"}]
    assert fam2 and all(b.std_dev == pytest.approx(1.5 * a.std_dev) for a, b in fam2), "a normal draw scales with it"


def test_demand_scale_within_dates_scales_whole_buckets_inside_and_the_share_of_a_bucket_partly_inside():
    document = minimal(demands=[
        {"node_code": "S1", "item_code": "P1", "bucket": "M1", "mean": 310},
        {"node_code": "S1", "item_code": "P1", "bucket": "M2", "mean": 280},
        {"node_code": "S1", "item_code": "P1", "bucket": "M3", "mean": 310}],
        meta={"name": "m", "attributes": {"planning_horizon": 90, "start_date": "2025-01-01"}})
    config = CanonicalConfig.model_validate(document)
    # all of February, and 10 of March's 31 days
    scaled = apply_overrides(config, what_ifs({"type": "demand_scale", "factor": 2, "from": "2025-02-01", "to": "2025-03-10"}))
    assert [d.mean for d in scaled.demands] == [310, 560, pytest.approx(310 * (1 + 10 / 31))]


def test_overrides_apply_in_order_each_on_what_the_ones_before_left():
    config = CanonicalConfig.model_validate(sample("small"))
    twice = apply_overrides(config, what_ifs({"type": "demand_scale", "factor": 1.5},
                                             {"type": "demand_scale", "factor": 2, "item": "P1"}))
    assert [d.mean for d in twice.demands] == [m * 3 for m in (d.mean for d in config.demands)]


def test_demand_shift_moves_rows_by_their_own_periods_or_by_days():
    config = CanonicalConfig.model_validate(sample("medium"))
    by_month = apply_overrides(config, what_ifs({"type": "demand_shift", "periods": 1, "from": "2025-01-01",
                                                 "to": "2025-01-31"}))
    moved = [(a.bucket, b.bucket) for a, b in zip(config.demands, by_month.demands, strict=True) if a.bucket != b.bucket]
    assert moved and all(new in ("M2", "2025-02") and old in ("M1", "2025-01") for old, new in moved)
    by_days = apply_overrides(config, what_ifs({"type": "demand_shift", "days": 10, "item": "P1"}))
    for a, b in zip(config.demands, by_days.demands, strict=True):
        if a.item_code == "P1":
            assert tuple(day_range(b.bucket)) == (day_range(a.bucket).first + 10, day_range(a.bucket).last + 10)
        else:
            assert a.bucket == b.bucket


def test_capacity_scale_without_dates_scales_rows_and_policies_of_the_node():
    config = CanonicalConfig.model_validate(sample("medium"))
    halved = apply_overrides(config, what_ifs({"type": "capacity_scale", "factor": 0.5, "node": "F1"}))
    assert [c.capacity for c in halved.capacities] == [24.0, 11.0]
    f1 = next(n for n in halved.nodes if n.code == "F1")
    assert [p.production_capacity for p in f1.production_policies] == [10.0, 14.0]
    item_only = apply_overrides(config, what_ifs({"type": "capacity_scale", "factor": 0.5, "node": "F1", "item": "P3"}))
    assert [c.capacity for c in item_only.capacities] == [48.0, 11.0]


def test_capacity_scale_within_dates_changes_those_days_only_as_the_pipeline_reads_them():
    config = CanonicalConfig.model_validate(sample("medium"))
    scaled = apply_overrides(config, what_ifs({"type": "capacity_scale", "factor": 0.25, "node": "F1",
                                               "from": "2025-01-10", "to": "2025-01-19"}))
    rows = lambda c: [(r.bucket, r.capacity) for r in c.capacities if r.resource_code == "F1"]
    f1 = next(n for n in config.nodes if n.code == "F1")
    before = shared_limit_per_day(f1, rows(config), config_start(config), 90)
    after = shared_limit_per_day(f1, rows(scaled), config_start(config), 90)
    assert np.allclose(after[9:19], before[9:19] * 0.25)
    assert np.array_equal(np.delete(after, range(9, 19)), np.delete(before, range(9, 19)))


def config_start(config: CanonicalConfig):  # type: ignore[no-untyped-def]
    from contracts.buckets import start_date_of

    return start_date_of(config.meta.attributes)


def test_a_whole_node_policy_is_scaled_on_the_days_no_row_covers():
    document = minimal(capacities=[{"resource_code": "F1", "bucket": "W2", "capacity": 70}])
    document["nodes"][1]["production_policies"] = [{"item_code": None, "production_capacity": 8}]
    document["nodes"][1]["inventory_policies"] = [{"item_code": "P1"}]  # so it makes P1 under the node-wide policy
    config = CanonicalConfig.model_validate(document)
    scaled = apply_overrides(config, what_ifs({"type": "capacity_scale", "factor": 2, "from": "2025-01-05",
                                               "to": "2025-01-10"}))
    node = next(n for n in scaled.nodes if n.code == "F1")
    per_day = shared_limit_per_day(node, [(r.bucket, r.capacity) for r in scaled.capacities], config_start(scaled), 28)
    assert per_day[:4].tolist() == [8] * 4 and per_day[4:7].tolist() == [16] * 3  # policy days 5-7, doubled
    assert per_day[7:10].tolist() == [20] * 3 and per_day[10:14].tolist() == [10] * 4  # W2 row: 10/day, doubled on 8-10


def test_lead_time_change_of_an_arc_of_a_node_and_of_an_item():
    config = CanonicalConfig.model_validate(sample("medium"))
    arc = apply_overrides(config, what_ifs({"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"},
                                            "delta": 4}))
    assert [(a.from_node, a.to_node, a.lead_time_days) for a in arc.arcs if a.lead_time_days != 0][:2] == [
        ("F1", "W1", 7), ("SUP1", "F1", 2)]
    into_w1 = apply_overrides(config, what_ifs({"type": "lead_time_change", "node": "W1", "days": 9}))
    assert {a.lead_time_days for a in into_w1.arcs if a.to_node == "W1"} == {9}
    assert [a.lead_time_days for a in into_w1.arcs if a.to_node != "W1"] == [a.lead_time_days for a in config.arcs
                                                                             if a.to_node != "W1"]
    item = apply_overrides(config, what_ifs({"type": "lead_time_change", "item": "P1", "delta": -5}))
    assert next(i for i in item.items if i.code == "P1").lead_time_days == 0, "never below 0"
    policy = apply_overrides(config, what_ifs({"type": "lead_time_change", "node": "S1", "item": "P1", "delta": 2}))
    s1 = next(n for n in policy.nodes if n.code == "S1")
    assert next(p for p in s1.inventory_policies if p.item_code == "P1").lead_time_days == 2, "arc W1→S1 is 0 days"


def test_prices_costs_and_opening_stock():
    config = CanonicalConfig.model_validate(sample("medium"))
    changed = apply_overrides(config, what_ifs(
        {"type": "price_change", "factor": 1.1, "item": "P2"},
        {"type": "cost_change", "cost": "unit_cost", "delta": -100, "family": "FAM1"},
        {"type": "cost_change", "cost": "transport", "factor": 2, "node": "W1"},
        {"type": "opening_inventory", "node": "S1", "item": "P1", "quantity": 5},
        {"type": "opening_inventory", "region": "SOUTH", "factor": 0}))
    items = {i.code: i for i in changed.items}
    assert items["P2"].attributes["sales_price"] == pytest.approx(41.97 * 1.1)
    assert items["P1"].unit_cost == 0 and items["C1"].unit_cost > 0
    assert all(a.transport_cost_variable == 2 * b.transport_cost_variable
               for a, b in zip(changed.arcs, config.arcs, strict=True) if a.from_node == "W1")
    stock = {(n.code, p.item_code): p.initial_inventory for n in changed.nodes for p in n.inventory_policies}
    assert stock["S1", "P1"] == 5 and stock["S2", "P1"] == 0 and stock["S2", "P3"] == 0
    assert stock["S1", "P2"] == next(p.initial_inventory for n in config.nodes for p in n.inventory_policies
                                     if (n.code, p.item_code) == ("S1", "P2"))


@pytest.mark.parametrize("raw, named", [
    ({"type": "demand_scale", "factor": 2, "family": "TOYS"}, "overrides[1] (demand_scale): family 'TOYS'"),
    ({"type": "opening_inventory", "node": "S9", "quantity": 1}, "overrides[1] (opening_inventory): node 'S9'"),
    ({"type": "lead_time_change", "arc": {"from_node": "S1", "to_node": "W1"}, "days": 1},
     "overrides[1] (lead_time_change): the config has no arc S1 → W1"),
])
def test_an_override_naming_what_the_config_lacks_is_refused_naming_the_override(raw, named):
    config = CanonicalConfig.model_validate(sample("medium"))
    with pytest.raises(OverrideError, match=named.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        apply_overrides(config, what_ifs({"type": "demand_scale", "factor": 1}, raw))


def test_an_override_whose_days_lie_outside_the_horizon_changes_nothing_and_is_no_error():
    effective = effective_document(sample("small"), what_ifs({"type": "demand_scale", "factor": 2, "from": "2025-11-01"}))
    assert effective.outcomes[0].changed == 0 and effective.document == sample("small")


def test_the_diff_says_what_changed_where_and_by_how_much():
    base = CanonicalConfig.model_validate(sample("medium"))
    effective = apply_overrides(base, what_ifs({"type": "demand_scale", "factor": 1.5, "family": "FAM1",
                                                "from": "2025-02-01", "to": "2025-02-28"},
                                               {"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"},
                                                "days": 5}))
    changes = {(c.what, c.where, c.measure): (c.before, c.after) for c in config_changes(base, effective)}
    total, feb = changes["demand", "family FAM1", "demand over the horizon"], changes[
        "demand", "family FAM1, 2025-02", "demand in the month"]
    assert feb[1] == pytest.approx(1.5 * feb[0]) and total[1] - total[0] == pytest.approx(feb[1] - feb[0])
    assert ("demand", "family FAM1, 2025-01", "demand in the month") not in changes
    assert changes["lead_time", "arc F1 → W1", "lead time (days)"] == (3, 5)
    assert len(changes) == 3


def test_the_pipeline_plans_the_effective_config_family_demand_exactly_scaled():
    document = sample("medium")
    base = run_pipeline(CanonicalConfig.model_validate(document), options={})
    effective = effective_document(document, what_ifs({"type": "demand_scale", "factor": 1.5, "family": "FAM1"}))
    scaled = run_pipeline(effective.config, options={"ignore_capacity": True})
    rows = lambda result: {(r["family"], r["period"]): r["demand"] for r in result.artifacts["aggregate"]["rows"]}
    assert {k: 1.5 * v for k, v in rows(base).items()} == pytest.approx(rows(scaled))
    assert json.loads(json.dumps(effective.document)) == effective.document
