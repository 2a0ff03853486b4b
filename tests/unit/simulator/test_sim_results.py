"""The results document, progress reports and the shipped samples end to end."""

import gzip
import json

import numpy as np
import pytest
from sim_helpers import check_invariants

from contracts.canonical import CanonicalConfig
from contracts.events import RunSummary
from contracts.results import PNL_MEASURES, SERIES_MEASURES, DailyResults, DailyResultsV2, row_layout
from scpln.samples import SAMPLES_DIR
from services.simulator.engine import simulate


def _sample(name: str) -> CanonicalConfig:
    return CanonicalConfig.model_validate_json((SAMPLES_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def medium():
    return simulate(_sample("medium"), seed=11, run_id="run-medium")


def _document(out) -> dict:
    return json.loads(gzip.decompress(out.results_bytes()))


def test_results_document_validates_against_daily_results(medium):
    doc = DailyResults.model_validate(_document(medium))
    assert doc.schema_id == "scpln-results-3"
    assert doc.run_id == "run-medium" and doc.planning_days == 90 and doc.start_date == "2025-01-01"
    assert set(doc.pnl) == set(PNL_MEASURES) and all(len(v) == 90 for v in doc.pnl.values())
    assert [(p.node, p.item) for p in doc.pairs] == medium.pairs
    values = {m: getattr(doc.series, m) for m in SERIES_MEASURES}
    assert all(len(rows) == len(medium.pairs) and all(len(v) == 90 for v in rows) for rows in values.values())
    for k in range(len(medium.pairs)):
        for d in range(90):
            flow = (values["start"][k][d] + values["receipts"][k][d] + values["produced"][k][d]
                    - values["shipments"][k][d] - values["sales"][k][d] - values["consumed"][k][d])
            assert flow == pytest.approx(values["end"][k][d], abs=1e-4)
    trace_costs = sum(sum(map(sum, b.amounts)) for b in doc.cost_trace if b.category != "revenue")
    assert trace_costs == pytest.approx(sum(doc.pnl["cost_total"]), abs=1e-2)


@pytest.mark.parametrize("name", ["small", "medium"])
def test_the_columnar_document_laid_out_by_rows_is_the_series_and_trace_of_the_run(name):
    """scpln-results-3 read by rows gives what scpln-results-2 held: every pair's rounded series,
    and the cost trace entry by entry in the engine's order (``trace()``)."""
    out = simulate(_sample(name), seed=3, run_id=name)
    rows = row_layout(_document(out))
    DailyResultsV2.model_validate(rows)
    assert rows["cost_trace"] == out.trace() and rows["cost_trace"]
    assert [(s["node"], s["item"]) for s in rows["series"]] == out.pairs
    for k, series in enumerate(rows["series"]):
        for m in SERIES_MEASURES:
            expected = (np.round(out.column(m, k), 6) + 0.0).tolist()
            assert series[m] == expected and all(type(v) is float for v in series[m]), (k, m)
    totals: dict[str, float] = {}
    for entry in rows["cost_trace"]:
        totals[entry["category"]] = totals.get(entry["category"], 0.0) + entry["amount"]
    for category, total in totals.items():
        assert total == pytest.approx(sum(rows["pnl"][category]), abs=1e-4), category


def test_whole_numbers_are_written_without_fractions_and_the_rest_rounded(medium):
    text = gzip.decompress(medium.results_bytes())
    doc = json.loads(text)
    rows = [row for measure in SERIES_MEASURES for row in doc["series"][measure]]
    whole = [row for row in rows if all(type(v) is int for v in row)]
    fractional = [row for row in rows if any(v != int(v) for v in row)]
    assert whole and fractional and len(whole) + len(fractional) == len(rows)
    assert all(type(v) is float and round(v, 6) == v for row in fractional for v in row)
    amounts = [v for block in doc["cost_trace"] for column in block["amounts"] for v in column]
    assert all(type(v) is float and v != 0 and round(v, 6) == v for v in amounts)
    assert all(days == sorted(set(days)) for block in doc["cost_trace"] for days in block["days"])
    assert b'"cost_trace":' in text and text.index(b'"cost_trace":') > text.index(b'"plan":')  # the trace last


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
