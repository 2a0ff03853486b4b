"""Hand-worked replenishment and transport cases, exact to the unit."""

from sim_helpers import arc, config, daily, node, policy, row, run, supplier


def _store_from_source(lead: int, **store_policy) -> dict:
    fields = {"initial_inventory": 20, "order_up_to": 30, **store_policy}
    return {"nodes": [node("S", "store", policy(**fields)), supplier()], "arcs": [arc("U", "S", lead)],
                "demands": daily("S", [10] * 7)}


def test_single_store_from_an_infinite_source():
    out = run(config(7, **_store_from_source(2)))
    assert row(out, "sales", "S") == [10] * 7
    assert row(out, "ordered", "S") == [20, 10, 10, 10, 10, 10, 10]
    assert row(out, "receipts", "S") == [0, 0, 20, 10, 10, 10, 10]
    assert row(out, "end", "S") == [10, 0, 10, 10, 10, 10, 10]
    assert row(out, "shipments", "U") == row(out, "ordered", "S")
    assert row(out, "receipts", "U") == row(out, "shipments", "U")
    assert out.summary.fill_rate == 1.0 and out.summary.store_demand_total == 70


def test_lead_time_zero_arrives_the_same_day():
    out = run(config(7, **_store_from_source(0)))
    assert row(out, "ordered", "S") == [20, 10, 10, 10, 10, 10, 10]
    assert row(out, "receipts", "S") == row(out, "ordered", "S")
    assert row(out, "end", "S") == [30] * 7


def test_binding_arc_capacity_ships_the_rest_later():
    cfg = config(6, [node("S", "store", policy(order_up_to=30)), supplier()],
                 arcs=[arc("U", "S", 1, capacity_per_day=7, transport_cost_variable=1, transport_cost_fixed=2)])
    out = run(cfg)
    assert row(out, "ordered", "S") == [30, 0, 0, 0, 0, 0]
    assert row(out, "shipments", "U") == [7, 7, 7, 7, 2, 0]
    assert row(out, "receipts", "S") == [0, 7, 7, 7, 7, 2]
    assert row(out, "shortage", "U") == [23, 0, 0, 0, 0, 0]
    assert row(out, "backorder", "U") == [23, 16, 9, 2, 0, 0]
    assert out.summary.network_shortage_total == 23
    assert out.pnl["transport"].tolist() == [9, 9, 9, 9, 4, 0]


def test_arc_over_capacity_is_allowed_and_costed():
    cfg = config(3, [node("S", "store", policy(order_up_to=30)), supplier()],
                 arcs=[arc("U", "S", 1, capacity_per_day=7, allow_over_capacity=True, over_capacity_cost=0.5)])
    out = run(cfg)
    assert row(out, "shipments", "U") == [30, 0, 0]
    assert out.pnl["transport"].tolist() == [23 * 0.5, 0, 0]


def test_moq_and_order_multiple_of_the_node_policy():
    setup = _store_from_source(1, initial_inventory=12, order_up_to=12, min_order_qty=25, order_multiple=10)
    setup["demands"] = daily("S", [3] * 6)
    out = run(config(6, **setup))
    assert row(out, "ordered", "S") == [30, 0, 0, 0, 0, 0]
    assert row(out, "end", "S") == [9, 36, 33, 30, 27, 24]


def test_moq_and_multiple_of_the_arc_win_when_larger():
    setup = _store_from_source(1, initial_inventory=12, order_up_to=12, min_order_qty=25, order_multiple=10)
    setup["arcs"] = [arc("U", "S", 1, min_order_qty={"P": 41}, order_multiple={"P": 4})]
    setup["demands"] = daily("S", [3] * 3)
    out = run(config(3, **setup))
    assert row(out, "ordered", "S") == [50, 0, 0]


def test_review_period_orders_only_on_review_days():
    setup = _store_from_source(0, initial_inventory=30, order_up_to=30)
    setup["nodes"][0]["review_period_days"] = 3
    setup["demands"] = daily("S", [5] * 7)
    out = run(config(7, **setup))
    assert row(out, "ordered", "S") == [5, 0, 0, 15, 0, 0, 15]
    assert row(out, "end", "S") == [30, 25, 20, 30, 25, 20, 30]


def test_reorder_point_makes_an_s_S_policy():
    out = run(config(7, **_store_from_source(0, initial_inventory=30, order_up_to=30, reorder_point=12)))
    assert row(out, "ordered", "S") == [0, 20, 0, 20, 0, 20, 0]


def test_warehouse_between_store_and_source_ships_open_orders_when_stock_arrives():
    nodes = [node("S", "store", policy(order_up_to=10)), node("W", "warehouse", policy(order_up_to=0)), supplier()]
    out = run(config(4, nodes, arcs=[arc("W", "S", 0), arc("U", "W", 2)]))
    assert row(out, "ordered", "S") == [10, 0, 0, 0]
    assert row(out, "ordered", "W") == [10, 0, 0, 0]
    assert row(out, "receipts", "W") == [0, 0, 10, 0]
    assert row(out, "shipments", "W") == [0, 0, 10, 0]
    assert row(out, "receipts", "S") == [0, 0, 10, 0]
    assert row(out, "shortage", "W") == [10, 0, 0, 0]
