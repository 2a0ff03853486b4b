"""Hand-worked cases of what limits a day: production lead times, capacity rows (node,
workcenter, supplier), whole-node policies and hard storage limits."""

import pytest
from sim_helpers import arc, config, daily, node, policy, row, run, supplier

from services.simulator.engine import SimulationInputError, simulate

ITEMS = [{"code": "P", "unit_cost": 2, "attributes": {"sales_price": 5}}, {"code": "Q", "unit_cost": 2}]


def _factory(*policies, production=None, **fields) -> dict:
    return node("F", "factory", *policies, production_policies=production or [{"item_code": "P"}], **fields)


def _capacity(resource: str, capacity: float, bucket: str = "", kind: str = "node") -> dict:
    return {"resource_code": resource, "resource_type": kind, "bucket": bucket, "capacity": capacity}


def test_production_is_in_stock_lead_time_days_after_it_is_released():
    items = [{"code": "P", "lead_time_days": 2}]
    production = [{"item_code": "P", "variable_cost": 1}]
    out = run(config(5, [_factory(policy(order_up_to=10), production=production)], items=items,
                     demands=daily("F", [0, 0, 0, 4, 4])))
    assert out.state.released_series(out.network)[:, 0].tolist() == [10, 0, 0, 0, 4]
    assert row(out, "produced", "F") == [0, 0, 10, 0, 0]
    assert row(out, "end", "F") == [0, 0, 10, 6, 2]
    assert out.pnl["production"].tolist() == [10, 0, 0, 0, 4]  # costed when released


def test_the_node_lead_time_applies_when_the_item_states_none():
    out = run(config(3, [_factory(policy(order_up_to=5), lead_time_days=1)]))
    assert row(out, "produced", "F") == [0, 5, 0]


def test_a_capacity_row_spreads_its_bucket_over_its_days_in_whole_units():
    out = run(config(8, [_factory(policy(order_up_to=100))], capacities=[_capacity("F", 10, "W1")]))
    assert row(out, "produced", "F")[:7] == [1, 1, 2, 1, 2, 1, 2]
    assert row(out, "produced", "F")[7] == 90  # day 8: no row covers it, nothing limits


def test_a_capacity_row_replaces_the_whole_node_policy_on_its_days():
    factory = _factory(policy(order_up_to=100), production=[{"item_code": None, "production_capacity": 5}])
    out = run(config(3, [factory], capacities=[_capacity("F", 8, "D2")]))
    assert row(out, "produced", "F") == [5, 8, 5]


def test_the_node_limit_covers_items_with_their_own_policy_and_shares_in_whole_units():
    factory = _factory(policy("P", order_up_to=100), policy("Q", order_up_to=100),
                       production=[{"item_code": "P", "production_capacity": 10},
                                   {"item_code": "Q", "production_capacity": 10}])
    out = run(config(1, [factory], items=ITEMS, capacities=[_capacity("F", 13)]))
    assert (row(out, "produced", "F", "P"), row(out, "produced", "F", "Q")) == ([7], [6])  # tie: P before Q


def test_a_workcenter_row_limits_the_node_that_declares_it():
    factory = _factory(policy(order_up_to=100), attributes={"workcenters": ["WC1"]})
    out = run(config(2, [factory], capacities=[_capacity("WC1", 3, kind="workcenter")]))
    assert row(out, "produced", "F") == [3, 3]


@pytest.mark.parametrize("kind", ["supplier", "node"])
def test_a_supplier_row_limits_what_the_node_ships_per_day(kind):
    cfg = config(5, [node("S", "store", policy(order_up_to=20)), supplier()], arcs=[arc("U", "S", 0)],
                 capacities=[_capacity("U", 6, kind=kind)])
    out = run(cfg)
    assert row(out, "shipments", "U") == [6, 6, 6, 2, 0]
    assert row(out, "shortage", "U") == [14, 0, 0, 0, 0]


def test_a_capacity_row_of_an_unknown_resource_is_refused():
    with pytest.raises(SimulationInputError, match="unknown resource WC9"):
        simulate(config(2, [_factory(policy())], capacities=[_capacity("WC9", 3, kind="workcenter")]),
                 seed=1, run_id="x")


def _storage_case(allow: bool):
    store = node("S", "store", policy(order_up_to=30), storage_capacity=15, allow_storage_over_capacity=allow,
                 storage_over_capacity_cost=1)
    return run(config(4, [store, supplier()], arcs=[arc("U", "S", 1)], demands=daily("S", [0, 5, 5, 5])))


def test_a_hard_storage_limit_holds_receipts_upstream():
    out = _storage_case(False)
    assert row(out, "ordered", "S") == [30, 5, 5, 5]
    assert row(out, "shipments", "U") == [15, 0, 5, 5]  # day 2: 15 on hand; day 3: room for the 5 sold on day 2
    assert row(out, "backorder", "U") == [15, 20, 20, 20]  # held upstream as open orders
    assert row(out, "end", "S") == [0, 10, 5, 5]
    assert out.pnl["storage"].sum() == 0  # never over capacity, nothing to charge


def test_storage_over_capacity_when_allowed_is_received_and_costed():
    out = _storage_case(True)
    assert row(out, "shipments", "U")[0] == 30
    assert row(out, "end", "S") == [0, 25, 25, 25]
    assert out.pnl["storage"].tolist() == [0, 10, 10, 10]


def test_room_taken_by_one_echelons_shipments_is_gone_for_the_next_ones_the_same_day():
    """W ships P (echelon 1) and Q (echelon 2: W also makes P from it) to S; S has room for 10."""
    factory = node("W", "factory", policy("P", initial_inventory=50), policy("Q", initial_inventory=50),
                   production_policies=[{"item_code": "P", "production_capacity": 0}])
    store = node("S", "store", policy("P", order_up_to=10), policy("Q", order_up_to=10), storage_capacity=10,
                 allow_storage_over_capacity=False)
    out = run(config(2, [store, factory], items=ITEMS, arcs=[arc("W", "S")],
                     bom=[{"parent_item": "P", "child_item": "Q", "quantity": 1}]))
    assert row(out, "receipts", "S")[0] + row(out, "receipts", "S", "Q")[0] == 10
    assert row(out, "end", "S")[0] + row(out, "end", "S", "Q")[0] <= 10
