"""The closed-form stub: same summary keys as the engine, sensible values, fast."""

import time

import pytest
from sim_helpers import config, daily, node, policy

from contracts.canonical import CanonicalConfig
from contracts.events import RunSummary
from scpln.samples import SAMPLES_DIR
from services.simulator.engine import simulate
from services.simulator.stub import estimate_summary


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_stub_returns_every_summary_key_quickly(name):
    cfg = CanonicalConfig.model_validate_json((SAMPLES_DIR / f"{name}.json").read_text())
    started = time.perf_counter()
    estimate = estimate_summary(cfg, seed=1)
    elapsed = time.perf_counter() - started
    engine = simulate(cfg, seed=1, run_id="x").summary
    assert set(estimate.model_dump()) == set(RunSummary.model_fields) == set(engine.model_dump())
    assert estimate.planning_days == engine.planning_days
    assert estimate.store_demand_total == pytest.approx(engine.store_demand_total, rel=0.1)
    assert elapsed < 1.0


def test_stub_caps_sales_by_stock_and_capacity():
    cfg = config(10, [node("S", "store", policy(initial_inventory=30))], demands=daily("S", [10] * 10))
    estimate = estimate_summary(cfg, seed=1)
    assert (estimate.store_demand_total, estimate.store_sales_total, estimate.fill_rate) == (100, 30, 0.3)
    assert estimate.top_shortage_items == [{"item_code": "P", "shortage": 70.0}]
