"""MRP: a two-level BOM exploded with scrap, netted against on hand and open orders, lot-sized and offset.

P (lead 7 days = 1 week) is made of 2 A; A (lead 14 days = 2 weeks, lot 50) of 3 C with 10 % scrap;
C (lead 3 days = 1 week, lot 10, minimum 120) has 100 on hand and 50 arriving in week 2.
Each period is one week, so the gross requirements of P are exactly the family demand per week.
"""

import pytest
from plan_documents import minimal

from contracts.canonical import CanonicalConfig
from services.plan_service.domain.pipeline import run_pipeline

DEMAND = [0, 20, 40, 40, 0, 60]


def document() -> dict:
    return minimal(
        meta={"name": "mrp", "attributes": {"planning_horizon": 42}},
        items=[{"code": "P", "lead_time_days": 7, "attributes": {"family": "FAM"}},
               {"code": "A", "item_type": "component", "lead_time_days": 14, "lot_size": 50},
               {"code": "C", "item_type": "material", "lead_time_days": 3, "lot_size": 10, "min_order_qty": 120}],
        nodes=[{"code": "S1", "node_type": "store", "inventory_policies": [
            {"item_code": "P", "initial_inventory": 30}, {"item_code": "C", "initial_inventory": 100}]}],
        arcs=[], capacities=[], hierarchies=[], demands=[],
        bom=[{"parent_item": "P", "child_item": "A", "quantity": 2},
             {"parent_item": "A", "child_item": "C", "quantity": 3, "scrap_rate": 0.1}],
        planning_inputs={
            "family_demand": [{"family": "FAM", "period": f"W{k + 1}", "demand": d} for k, d in enumerate(DEMAND)],
            "inbound_orders": [{"item_code": "C", "week": "W2", "quantity": 50}],
        },
    )


@pytest.fixture(scope="module")
def mrp():
    artifact = run_pipeline(CanonicalConfig.model_validate(document()), options={}).artifacts["mrp"]
    rows = {item["item"]: k for k, item in enumerate(artifact["items"])}
    return artifact, lambda record, item: artifact[record][rows[item]]


def test_end_item_is_netted_against_on_hand_and_offset_one_week(mrp):
    _, row = mrp
    assert row("gross_requirements", "P") == DEMAND
    assert row("projected_on_hand", "P") == [30, 10, 0, 0, 0, 0]
    assert row("planned_receipts", "P") == [0, 0, 30, 40, 0, 60]
    assert row("planned_releases", "P") == [0, 30, 40, 0, 60, 0]


def test_second_level_is_exploded_lot_sized_and_past_due_reported(mrp):
    artifact, row = mrp
    assert row("gross_requirements", "A") == [0, 60, 80, 0, 120, 0]
    assert row("planned_receipts", "A") == [0, 100, 50, 0, 150, 0]
    assert row("planned_releases", "A") == [150, 0, 150, 0, 0, 0]
    assert next(i for i in artifact["items"] if i["item"] == "A")["past_due"] == 100


def test_third_level_scrap_open_orders_and_minimum_order(mrp):
    artifact, row = mrp
    assert row("gross_requirements", "C") == pytest.approx([495, 0, 495, 0, 0, 0])
    assert row("scheduled_receipts", "C") == [0, 50, 0, 0, 0, 0]
    assert row("planned_receipts", "C") == [400, 0, 440, 0, 0, 0]
    assert row("projected_on_hand", "C") == pytest.approx([5, 55, 0, 0, 0, 0])
    assert row("planned_releases", "C") == [400, 440, 0, 0, 0, 0]
    c = next(i for i in artifact["items"] if i["item"] == "C")
    assert (c["lead_time_weeks"], c["on_hand"], c["past_due"], c["dependent"]) == (1, 100, 400, True)


def test_mrp_kpis_add_up(mrp):
    result = run_pipeline(CanonicalConfig.model_validate(document()), options={})
    assert result.kpis["planned_receipts_total"] == pytest.approx(130 + 300 + 840)
    assert result.kpis["past_due_releases_total"] == 500
