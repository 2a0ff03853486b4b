"""Demand placement, demand models, backorders versus lost sales, and unusable inputs."""

import pytest
from sim_helpers import arc, config, daily, node, policy, row, run, supplier

from services.simulator.engine import SimulationInputError, simulate


def _store(**fields) -> list[dict]:
    return [node("S", "store", policy(**fields))]


def _demand(bucket: str, mean: float, **fields) -> dict:
    return {"node_code": "S", "item_code": "P", "bucket": bucket, "mean": mean, **fields}


def test_demand_lands_on_the_right_days():
    demands = [_demand("D3", 7), _demand("2025-01-05", 2), _demand("W2", 14)]
    out = run(config(15, _store(), demands=demands, start_date="2025-01-01"))
    assert row(out, "demand", "S") == [0, 0, 7, 0, 2, 0, 0] + [2] * 7 + [0]


def test_month_buckets_follow_the_start_date():
    demands = [_demand("M2", 300), _demand("2025-03", 62)]
    out = run(config(61, _store(), demands=demands, start_date="2025-03-01"))
    assert row(out, "demand", "S") == [2] * 31 + [10] * 30


def test_a_bucket_reaching_past_the_horizon_keeps_only_its_share():
    out = run(config(10, _store(), demands=[_demand("M1", 310)]))
    assert sum(row(out, "demand", "S")) == 100


def test_normal_draws_are_rounded_never_negative_and_seeded():
    demands = [_demand(f"D{d}", 5, demand_model="normal", std_dev=20) for d in range(1, 41)]
    cfg = config(40, _store(), demands=demands)
    first, again, other = run(cfg, seed=3), run(cfg, seed=3), run(cfg, seed=4)
    values = row(first, "demand", "S")
    assert all(v >= 0 and v == int(v) for v in values) and 0 in values
    assert values == row(again, "demand", "S") != row(other, "demand", "S")


def test_normal_draws_respect_min_and_max():
    demands = [_demand(f"D{d}", 50, demand_model="normal", std_dev=40, min_qty=30, max_qty=60) for d in range(1, 31)]
    assert all(30 <= v <= 60 for v in row(run(config(30, _store(), demands=demands)), "demand", "S"))


def _backorder_case(policy_name: str):
    nodes = [node("S", "store", policy(initial_inventory=5, order_up_to=10), backorder_policy=policy_name), supplier()]
    return run(config(3, nodes, arcs=[arc("U", "S", 1)], demands=daily("S", [10, 0, 4])))


def test_backorders_are_served_first_and_are_not_new_demand():
    out = _backorder_case("backorder")
    assert row(out, "demand", "S") == [10, 0, 4]
    assert row(out, "sales", "S") == [5, 5, 4]
    assert row(out, "shortage", "S") == [5, 0, 0]
    assert row(out, "backorder", "S") == [5, 0, 0]
    assert row(out, "ordered", "S") == [15, 0, 4]
    assert out.summary.fill_rate == 1.0 and out.summary.store_demand_total == 14
    assert (out.summary.backorder_peak, out.summary.backorder_peak_day) == (5, 1)


def test_lost_sales_are_gone():
    out = _backorder_case("lost_sales")
    assert row(out, "sales", "S") == [5, 0, 4]
    assert row(out, "backorder", "S") == [0, 0, 0]
    assert row(out, "ordered", "S") == [10, 0, 4]
    assert out.summary.fill_rate == round(9 / 14, 4)
    assert out.summary.customer_shortage_total == 5
    assert out.summary.top_shortage_items == [{"item_code": "P", "shortage": 5.0}]


def test_no_demand_at_all_is_fine():
    assert run(config(5, _store(initial_inventory=3))).summary.fill_rate == 1.0


def test_an_empty_network_simulates_to_zeros():
    out = run(config(5, []))
    assert out.summary.revenue_total == 0 and out.summary.avg_on_hand_by_type == {}
    assert out.results_bytes()


@pytest.mark.parametrize("cfg, message", [
    (config(0, _store()), "horizon"),
    (config(100_000, _store()), "horizon"),
    (config(5, _store(), start_date="2025-13-01"), "start_date"),
    (config(5, _store(), demands=[_demand("Q1", 4)]), "bucket"),
    (config(5, [node("S", "store", policy("X"))]), "unknown item"),
    (config(5, [node("A", "warehouse", policy()), node("B", "warehouse", policy())],
            arcs=[arc("A", "B"), arc("B", "A")]), "cycle"),
])
def test_inputs_that_cannot_be_simulated_are_refused(cfg, message):
    with pytest.raises(SimulationInputError, match=message):
        simulate(cfg, seed=1, run_id="bad")
