"""Invariants on every node-item-day of random networks (hypothesis)."""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import check_invariants

from contracts.canonical import CanonicalConfig
from scpln.samples import generate
from services.simulator.engine import loop, reference, simulate
from services.simulator.engine.network import build

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw) -> CanonicalConfig:
    """Sample networks of every shape, with lead times, capacities, review periods, MOQs and
    shortage policies redrawn at random; items in whole units or by weight, production lead
    times, hard storage limits and capacity rows (per day, per bucket, per supplier)."""
    doc = generate(stores=draw(st.integers(1, 3)), warehouses=draw(st.integers(0, 2)),
                   factories=draw(st.integers(1, 2)), suppliers=draw(st.integers(0, 1)),
                   products=draw(st.integers(1, 3)), components=draw(st.integers(1, 3)),
                   days=draw(st.integers(1, 45)), seed=draw(st.integers(0, 10_000)))
    doc = copy.deepcopy(doc)
    small = st.floats(0, 40, allow_nan=False).map(lambda x: round(x, 1))
    for arc in doc["arcs"]:
        arc["lead_time_days"] = draw(st.integers(0, 4))
        arc["capacity_per_day"] = draw(st.none() | small)
        arc["allow_over_capacity"] = draw(st.booleans())
    for node in doc["nodes"]:
        node["review_period_days"] = draw(st.integers(1, 7))
        node["backorder_policy"] = draw(st.sampled_from(["backorder", "lost_sales"]))
        for policy in node["inventory_policies"]:
            policy["initial_inventory"] = draw(small)
            policy["min_order_qty"] = draw(small)
            policy["order_multiple"] = draw(st.sampled_from([0, 1, 4, 10.5]))
        for production in node["production_policies"]:
            production["production_capacity"] = draw(st.none() | small)
            production["allow_over_capacity"] = draw(st.booleans())
        node["lead_time_days"] = draw(st.integers(0, 2))
        if draw(st.integers(0, 3)) == 0 and not node["infinite_source"]:
            node["storage_capacity"] = draw(small)
            node["allow_storage_over_capacity"] = False
    for item in doc["items"]:
        item["uom"] = draw(st.sampled_from(["EA", "EA", "kg"]))
        if draw(st.booleans()):
            item["lead_time_days"] = draw(st.integers(0, 3))
        else:
            del item["lead_time_days"]
    doc["capacities"] = [
        {"resource_code": node["code"], "resource_type": draw(st.sampled_from(["node", "supplier"])),
         "bucket": draw(st.sampled_from(["", "M1", "W2", "D3", "2025-01-10"])), "capacity": draw(small)}
        for node in doc["nodes"] if draw(st.integers(0, 2)) == 0]
    return CanonicalConfig.model_validate(doc)


@SETTINGS
@given(networks(), st.integers(0, 2**31))
def test_flow_is_conserved_and_nothing_goes_negative(config, seed):
    out = simulate(config, seed=seed, run_id="prop")
    check_invariants(out)
    stores = [k for k, t in enumerate(out.network.pair_node) if out.network.node_types[t] == "store"]
    assert (out.series("sales")[:, stores].sum(axis=0) <= out.series("demand")[:, stores].sum(axis=0) + 1e-6).all()


@settings(max_examples=8, deadline=None)
@given(networks(), st.integers(0, 2**31))
def test_same_seed_gives_identical_bytes(config, seed):
    first = simulate(config, seed=seed, run_id="same").results_bytes()
    assert simulate(config, seed=seed, run_id="same").results_bytes() == first


@settings(max_examples=15, deadline=None)
@given(networks(), st.integers(0, 2**31))
def test_vectorised_loop_matches_the_reference_loop(config, seed):
    network = build(config, seed)
    fast, slow = loop.run(network), reference.run(network)
    for measure, values in fast.rec.items():
        np.testing.assert_allclose(values, slow.rec[measure], atol=1e-6, err_msg=measure)
    np.testing.assert_allclose(fast.arc_flow(network), slow.arc_flow(network), atol=1e-6)


def _per_group(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """(days, size) column sums of ``values`` by group; columns of group -1 are left out."""
    out = np.zeros((values.shape[0], size))
    for k in np.nonzero(groups >= 0)[0]:
        out[:, groups[k]] += values[:, k]
    return out


@SETTINGS
@given(networks(), st.integers(0, 2**31))
def test_kpis_reconcile_on_random_networks(config, seed):
    s = simulate(config, seed=seed, run_id="prop").summary
    assert s.store_demand_total == pytest.approx(
        s.store_sales_on_time + s.store_sales_late + s.lost_sales_total + s.backorder_open_end, abs=1e-3)
    assert s.store_sales_total == pytest.approx(s.store_sales_on_time + s.store_sales_late, abs=1e-3)
    assert s.customer_shortage_total == pytest.approx(s.store_demand_total - s.store_sales_total, abs=1e-3)
    assert s.customer_shortage_total == pytest.approx(s.lost_sales_total + s.backorder_open_end, abs=1e-3)
    assert 0 <= s.fill_rate_on_time <= s.fill_rate <= 1
    assert sum(t["shortage"] for t in s.top_shortage_items) <= s.customer_shortage_total + 1e-3
    assert s.profit_total == pytest.approx(s.revenue_total - s.cost_total, abs=1e-2)
    assert s.currency == "EUR"


@SETTINGS
@given(networks(), st.integers(0, 2**31))
def test_whole_units_limits_and_storage_hold_on_random_networks(config, seed):
    out = simulate(config, seed=seed, run_id="prop")
    net, whole = out.network, out.network.discrete
    component = np.isin(np.arange(net.pair_count), net.bom["child"])  # scrap makes a need fractional
    for measure in ("demand", "sales", "shipments", "ordered", "produced", "backorder"):
        values = out.series(measure)[:, whole & ~component]
        assert np.abs(values - np.rint(values)).max(initial=0) < 1e-6, measure
    receipts = out.series("receipts")[:, whole & ~net.infinite]
    assert np.abs(receipts - np.rint(receipts)).max(initial=0) < 1e-6
    limits = net.limit_cap.shape[1]
    released = _per_group(out.state.released_series(net), net.prod_limit[net.produced], limits)
    shipped = _per_group(out.series("shipments"), net.supply_limit, limits)
    assert (released <= net.limit_cap + 1e-6).all() and (shipped <= net.limit_cap + 1e-6).all()
    rooms = len(net.room_cap)
    held = _per_group(out.series("end"), net.room_of, rooms)
    opening = _per_group(net.init[None, :], net.room_of, rooms)[0]
    assert (held <= np.maximum(net.room_cap, opening) + 1e-6).all()
    upstream = ~component & np.array([net.node_types[n] != "store" for n in net.pair_node], dtype=bool)
    shortage, asked = out.series("shortage").sum(axis=0), out.series("demand").sum(axis=0)
    assert (shortage[upstream] <= asked[upstream] + 1e-6).all()  # an order short counts once
