"""The results document, progress reports and the shipped samples end to end."""

import gzip
import json

import pytest
from sim_helpers import check_invariants

from contracts.canonical import CanonicalConfig
from contracts.events import RunSummary
from contracts.results import PNL_MEASURES, SERIES_MEASURES, DailyResults
from scpln.samples import SAMPLES_DIR
from services.simulator.engine import simulate


def _sample(name: str) -> CanonicalConfig:
    return CanonicalConfig.model_validate_json((SAMPLES_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def medium():
    return simulate(_sample("medium"), seed=11, run_id="run-medium")


def test_results_document_validates_against_daily_results(medium):
    doc = DailyResults.model_validate(json.loads(gzip.decompress(medium.results_bytes())))
    assert doc.run_id == "run-medium" and doc.planning_days == 90 and doc.start_date == "2025-01-01"
    assert set(doc.pnl) == set(PNL_MEASURES) and all(len(v) == 90 for v in doc.pnl.values())
    assert len(doc.series) == len(medium.pairs)
    for series in doc.series:
        values = {m: getattr(series, m) for m in SERIES_MEASURES}
        assert all(len(v) == 90 for v in values.values())
        for d in range(90):
            flow = (values["start"][d] + values["receipts"][d] + values["produced"][d] - values["shipments"][d]
                    - values["sales"][d] - values["consumed"][d])
            assert flow == pytest.approx(values["end"][d], abs=1e-4)
    trace_costs = sum(e.amount for e in doc.cost_trace if e.category != "revenue")
    assert trace_costs == pytest.approx(sum(doc.pnl["cost_total"]), abs=1e-2)


def test_progress_is_reported_at_least_every_tenth_of_the_horizon():
    calls = []
    out = simulate(_sample("small"), seed=1, run_id="p", on_progress=lambda day, days: calls.append((day, days)))
    days = [d for d, _ in calls]
    assert calls[-1] == (59, 59) and all(total == 59 for _, total in calls)
    assert all(b - a <= 59 / 10 for a, b in zip([0] + days, days))
    assert out.summary.planning_days == 59


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_shipped_samples_give_sensible_kpis(name):
    out = simulate(_sample(name), seed=5, run_id=name)
    check_invariants(out)
    summary = RunSummary.model_validate(out.summary.model_dump())
    assert summary.store_demand_total > 0 and 0.5 < summary.fill_rate <= 1
    assert summary.revenue_total > summary.cost_total > 0
    assert summary.profit_total == pytest.approx(summary.revenue_total - summary.cost_total, abs=1e-2)
    assert {"store", "factory"} <= set(summary.avg_on_hand_by_type)


def test_run_id_changes_only_the_run_id(medium):
    other = simulate(_sample("medium"), seed=11, run_id="run-other")
    assert other.summary == medium.summary
    assert other.results_bytes() != medium.results_bytes()
