"""Hand-worked production cases: BOM consumption, capacity, infinite component sources."""

from sim_helpers import arc, config, daily, node, policy, row, run, supplier

ITEMS = [{"code": "P", "unit_cost": 2, "attributes": {"sales_price": 5}},
         {"code": "C", "item_type": "component", "unit_cost": 1}]


def _factory(*policies, production=None, **fields) -> dict:
    return node("F", "factory", *policies, production_policies=production or [{"item_code": "P"}], **fields)


def test_production_consumes_bom_with_scrap_and_stops_without_components():
    factory = _factory(policy("P", order_up_to=6), policy("C", initial_inventory=25))
    cfg = config(4, [factory], items=ITEMS, demands=daily("F", [4, 4, 4, 4]),
                 bom=[{"parent_item": "P", "child_item": "C", "quantity": 2, "scrap_rate": 0.25}])
    out = run(cfg)
    assert row(out, "produced", "F") == [6, 4, 0, 0]
    assert row(out, "consumed", "F", "C") == [15, 10, 0, 0]
    assert row(out, "demand", "F", "C") == [15, 10, 10, 20]
    assert row(out, "shortage", "F", "C") == [0, 0, 10, 10]  # day 4 needs 20: the 10 still unmet count once
    assert row(out, "sales", "F") == [4, 4, 2, 0]
    assert row(out, "backorder", "F") == [0, 0, 2, 6]


def test_components_are_shared_pro_rata_between_products():
    items = ITEMS + [{"code": "Q", "unit_cost": 2}]
    factory = _factory(policy("P", order_up_to=10), policy("Q", order_up_to=30), policy("C", initial_inventory=20),
                       production=[{"item_code": None}])
    bom = [{"parent_item": "P", "child_item": "C", "quantity": 1}, {"parent_item": "Q", "child_item": "C", "quantity": 1}]
    out = run(config(1, [factory], items=items, bom=bom))
    assert row(out, "produced", "F", "P") == [5] and row(out, "produced", "F", "Q") == [15]
    assert row(out, "end", "F", "C") == [0]


def test_binding_production_capacity():
    factory = _factory(policy("P", order_up_to=100), production=[{"item_code": "P", "production_capacity": 5}])
    out = run(config(3, [factory]))
    assert row(out, "produced", "F") == [5, 5, 5]


def test_production_over_capacity_is_allowed_and_costed():
    production = [{"item_code": "P", "production_capacity": 5, "allow_over_capacity": True, "fixed_cost": 10,
                   "variable_cost": 1, "over_capacity_cost": 2}]
    out = run(config(2, [_factory(policy("P", order_up_to=100), production=production)]))
    assert row(out, "produced", "F") == [100, 0]
    assert out.pnl["production"].tolist() == [10 + 100 + 95 * 2, 0]


def test_node_wide_capacity_is_shared_by_the_node_products():
    items = ITEMS[:1] + [{"code": "Q"}]
    factory = _factory(policy("P", order_up_to=30), policy("Q", order_up_to=10),
                       production=[{"item_code": None, "production_capacity": 20}])
    out = run(config(1, [factory], items=items))
    assert row(out, "produced", "F", "P") == [15] and row(out, "produced", "F", "Q") == [5]


def test_infinite_factory_draws_components_from_an_unlimited_source():
    factory = _factory(policy("P", order_up_to=0), policy("C", initial_inventory=3), infinite_source=True)
    cfg = config(3, [node("S", "store", policy(order_up_to=8)), factory], arcs=[arc("F", "S", 0)], items=ITEMS,
                 demands=daily("S", [8, 8, 8]), bom=[{"parent_item": "P", "child_item": "C", "quantity": 2}])
    out = run(cfg)
    assert row(out, "produced", "F") == [16, 8, 8]
    assert row(out, "consumed", "F", "C") == [32, 16, 16]
    assert row(out, "receipts", "F", "C") == [32, 16, 16]
    assert row(out, "end", "F", "C") == [3, 3, 3]
    assert row(out, "sales", "S") == [0, 16, 8]


def test_components_are_replenished_from_a_supplier():
    factory = _factory(policy("P", order_up_to=4), policy("C", order_up_to=8))
    cfg = config(3, [factory, supplier()], arcs=[arc("U", "F", 1)], items=ITEMS,
                 bom=[{"parent_item": "P", "child_item": "C", "quantity": 2}], demands=daily("F", [4, 4, 4]))
    out = run(cfg)
    assert row(out, "ordered", "F", "C") == [8, 8, 8]
    assert row(out, "produced", "F") == [0, 4, 4]
    assert row(out, "sales", "F") == [0, 4, 4]
