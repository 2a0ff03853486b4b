"""Whole units where the item's unit of measure is discrete: demand, orders, opening stock and
the sharing of a shortfall (largest remainder, ties by node code); fractions elsewhere."""

import numpy as np
import pytest
from sim_helpers import arc, config, node, policy, row, run

from contracts.kpis import is_discrete
from services.simulator.engine.alloc import share, whole_share_py


def _stores_sharing(wants: dict[str, float], on_hand: float, uom: str = "EA"):
    stores = [node(code, "store", policy(order_up_to=want)) for code, want in wants.items()]
    warehouse = node("W", "warehouse", policy(initial_inventory=on_hand))
    return run(config(1, [*stores, warehouse], arcs=[arc("W", code) for code in wants],
                      items=[{"code": "P", "uom": uom}]))


def test_a_shortfall_is_shared_in_whole_units_ties_going_by_node_code():
    out = _stores_sharing({"S3": 4, "S2": 4, "S1": 4}, on_hand=10)
    assert [row(out, "receipts", s) for s in ("S1", "S2", "S3")] == [[4], [3], [3]]


def test_the_units_left_over_go_to_the_largest_remainders():
    out = _stores_sharing({"S1": 5, "S2": 3, "S3": 2}, on_hand=7)  # quotas 3.5, 2.1, 1.4
    assert [row(out, "receipts", s) for s in ("S1", "S2", "S3")] == [[4], [2], [1]]


def test_an_item_measured_by_weight_is_shared_pro_rata():
    out = _stores_sharing({"S1": 4, "S2": 4, "S3": 4}, on_hand=10, uom="kg")
    assert [round(row(out, "receipts", s)[0], 6) for s in ("S1", "S2", "S3")] == [3.333333] * 3


@pytest.mark.parametrize("uom, discrete", [("EA", True), ("unit", True), ("box", True), ("KG", False), ("l", False),
                                           (" m ", False)])
def test_units_of_measure_that_divide(uom, discrete):
    assert is_discrete(uom) is discrete


def test_demand_is_spread_over_its_bucket_in_whole_units():
    demand = [{"node_code": "S", "item_code": "P", "bucket": "M1", "mean": 400}]
    whole = row(run(config(31, [node("S", "store", policy())], demands=demand)), "demand", "S")
    assert sum(whole) == 400 and set(whole) == {12, 13}
    items = [{"code": "P", "uom": "kg"}]
    by_weight = row(run(config(31, [node("S", "store", policy())], demands=demand, items=items)), "demand", "S")
    assert by_weight == [round(400 / 31, 9)] * 31


def test_a_fractional_quantity_of_a_discrete_item_is_rounded():
    demand = [{"node_code": "S", "item_code": "P", "bucket": "D1", "mean": 12.4}]
    out = run(config(1, [node("S", "store", policy(initial_inventory=3.7))], demands=demand))
    assert row(out, "demand", "S") == [12] and row(out, "start", "S") == [3]


def test_orders_of_a_discrete_item_are_whole_units():
    nodes = [node("S", "store", policy(order_up_to=10.5)), node("U", "supplier", infinite_source=True)]
    out = run(config(1, nodes, arcs=[arc("U", "S")]))
    assert row(out, "ordered", "S") == [11]


def test_the_vectorised_and_the_plain_sharing_agree():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n, size = int(rng.integers(1, 9)), int(rng.integers(1, 4))
        group = rng.integers(0, size, n)
        want = np.floor(rng.uniform(0, 20, n))
        have = np.floor(rng.uniform(0, 30, size)) + rng.choice([0, 0.5], size)
        discrete, rank = rng.random(n) < 0.7, rng.permutation(n)
        fast = share(want, have, group, size, discrete, rank)
        for g in range(size):
            members = [k for k in range(n) if group[k] == g]
            plain = whole_share_py(members, dict(enumerate(want.tolist())), float(have[g]), discrete.tolist(),
                                   rank.tolist())
            assert [fast[k] for k in members] == pytest.approx([plain[k] for k in members])
            assert sum(fast[k] for k in members) <= max(have[g], sum(want[members])) + 1e-9
            assert all(fast[k] <= want[k] + 1e-9 and (not discrete[k] or fast[k] == int(fast[k])) for k in members)
