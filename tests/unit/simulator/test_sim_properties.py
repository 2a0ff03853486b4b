"""Invariants on every node-item-day of random networks (hypothesis)."""

import copy

import numpy as np
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
    shortage policies redrawn at random."""
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
