"""KPIs defined once (contracts/kpis.py, the schema, the README) and numbers that reconcile:
on-time and late sales, lost sales and open backorders, shortages counted once, currency,
warnings about components nothing replenishes, and runs recorded under the old definitions."""

import json
import uuid
from pathlib import Path

import pytest
from sim_helpers import arc, config, daily, node, policy, row, run, supplier

from contracts.events import RunCompleted, RunSummary, decode
from contracts.kpis import KPIS, currency_of, markdown_table
from contracts.sourcing import unsourced_components
from services.simulator.stub import estimate_summary

README = Path(__file__).resolve().parents[3] / "README.md"
ITEMS = [{"code": "P", "unit_cost": 2, "attributes": {"sales_price": 5}},
         {"code": "C", "item_type": "component", "unit_cost": 1}]
BOM = [{"parent_item": "P", "child_item": "C", "quantity": 2, "scrap_rate": 0.25}]


def test_every_summary_key_is_defined_once_and_the_readme_shows_that_table():
    assert [k.key for k in KPIS] == list(RunSummary.model_fields)
    for kpi in KPIS:
        assert RunSummary.model_fields[kpi.key].description.startswith(kpi.formula)
        assert kpi.unit in {"fraction", "units", "money", "days", "day", "code", "text"}
    assert markdown_table() in README.read_text()


def _store_case(backorder_policy: str):
    nodes = [node("S", "store", policy(initial_inventory=5, order_up_to=10), backorder_policy=backorder_policy),
             supplier()]
    return run(config(3, nodes, arcs=[arc("U", "S", 1)], demands=daily("S", [10, 0, 4]), currency="eur"))


def test_late_sales_count_in_the_fill_rate_and_not_on_time():
    s = _store_case("backorder").summary
    assert (s.store_demand_total, s.store_sales_on_time, s.store_sales_late, s.store_sales_total) == (14, 9, 5, 14)
    assert (s.fill_rate, s.fill_rate_on_time) == (1.0, round(9 / 14, 4))
    assert (s.lost_sales_total, s.backorder_open_end, s.customer_shortage_total) == (0, 0, 0)
    assert s.currency == "EUR"


def test_lost_sales_are_customer_shortage():
    s = _store_case("lost_sales").summary
    assert (s.store_sales_on_time, s.store_sales_late, s.lost_sales_total, s.customer_shortage_total) == (9, 0, 5, 5)
    assert s.fill_rate == s.fill_rate_on_time == round(9 / 14, 4)
    assert s.top_shortage_items == [{"item_code": "P", "shortage": 5.0}]


def _component_only_as_opening_stock(days: int = 10, opening: float = 25):
    factory = node("F", "factory", policy("P", order_up_to=6), policy("C", initial_inventory=opening),
                   production_policies=[{"item_code": "P"}])
    store = node("S", "store", policy("P", order_up_to=8))
    return config(days, [store, factory], arcs=[arc("F", "S", 0)], items=ITEMS, bom=BOM,
                  demands=daily("S", [4] * days))


def test_a_lasting_component_shortage_counts_each_unit_once():
    out = run(_component_only_as_opening_stock())
    assert row(out, "produced", "F") == [10] + [0] * 9  # 25 C make 10 P
    assert row(out, "shortage", "F", "C") == [20] + [10] * 9  # each day only the new need
    never_made = (6 + 4 * 10 + 8) - 10  # store order-up-to and demand, factory order-up-to, less what was made
    assert sum(row(out, "shortage", "F", "C")) == never_made * 2.5
    s = out.summary
    assert s.customer_shortage_total == s.backorder_open_end == s.store_demand_total - s.store_sales_total == 30


def test_a_component_nothing_replenishes_is_warned_about_in_the_summary():
    warnings = run(_component_only_as_opening_stock()).summary.warnings
    assert [(w.code, w.node, w.item) for w in warnings] == [("component_without_source", "F", "C")]
    assert "covers 25% of the 100" in warnings[0].message
    assert estimate_summary(_component_only_as_opening_stock(), seed=1).warnings == warnings


@pytest.mark.parametrize("change", ["enough stock", "supplier", "infinite factory", "made there"])
def test_no_warning_where_the_component_is_sourced_or_stocked(change):
    cfg = json.loads(_component_only_as_opening_stock().model_dump_json())
    if change == "enough stock":
        cfg["nodes"][1]["inventory_policies"][1]["initial_inventory"] = 100
    elif change == "supplier":
        cfg["nodes"].append({"code": "U", "node_type": "supplier", "infinite_source": True})
        cfg["arcs"].append({"from_node": "U", "to_node": "F"})
    elif change == "infinite factory":
        cfg["nodes"][1]["infinite_source"] = True
    else:
        cfg["nodes"][1]["production_policies"].append({"item_code": "C"})
    assert unsourced_components(type(_component_only_as_opening_stock()).model_validate(cfg)) == []


def test_a_chain_of_stock_without_a_source_is_still_unsourced():
    cfg = json.loads(_component_only_as_opening_stock(opening=5).model_dump_json())
    cfg["nodes"].append({"code": "W", "node_type": "warehouse", "inventory_policies": [
        {"item_code": "C", "initial_inventory": 50}]})
    cfg["arcs"].append({"from_node": "W", "to_node": "F"})
    [warning] = unsourced_components(type(_component_only_as_opening_stock()).model_validate(cfg))
    assert (warning.node, warning.item, warning.on_hand, warning.needed) == ("F", "C", 55, 100)


def test_the_currency_is_the_configs():
    assert currency_of(config(1, [], currency=" usd ")) == "USD"
    assert currency_of(config(1, [])) == ""
    assert estimate_summary(config(1, [], currency="EUR"), seed=1).currency == "EUR"


def test_a_run_recorded_under_schema_1_is_read_with_what_can_be_derived():
    v1 = {"event_type": "RunCompleted", "schema_version": 1, "event_id": str(uuid.uuid4()),
          "occurred_at": "2025-01-01T00:00:00Z", "correlation_id": "job_1", "producer": "simulator",
          "run_id": "run_1", "plan_version_id": "plan_1", "config_version_id": "cfg_1", "scenario_id": "scn_1",
          "scenario_name": "Base", "job_id": "job_1", "seed": 1, "started_at": "2025-01-01T00:00:00Z",
          "finished_at": "2025-01-01T00:00:01Z", "duration_ms": 5, "simulator_version": "1",
          "summary": {"planning_days": 3, "fill_rate": 1.0, "store_demand_total": 14, "store_sales_total": 14,
                      "customer_shortage_total": 5, "network_shortage_total": 11834.71,
                      "avg_on_hand_by_type": {}, "backorder_peak": 5, "backorder_peak_day": 1, "revenue_total": 70,
                      "cost_total": 28, "penalty_total": 0, "profit_total": 42, "profit_per_day_avg": 14}}
    event = decode(json.dumps(v1))
    assert isinstance(event, RunCompleted) and event.schema_version == RunCompleted.model_fields["schema_version"].default
    s = event.summary
    assert (s.store_sales_on_time, s.store_sales_late, s.fill_rate_on_time, s.customer_shortage_total) == (
        9, 5, round(9 / 14, 4), 0)
    assert s.network_shortage_total is s.lost_sales_total is s.backorder_open_end is None
    assert s.currency == "" and s.warnings == []
