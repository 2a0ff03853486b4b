"""Aggregating a run's daily results by day, week or month and by item, family, node or region."""

import numpy as np
import pytest
from plan_documents import minimal

from contracts.canonical import CanonicalConfig
from contracts.results import PNL_MEASURES, SERIES_MEASURES, DailyResultsV2
from services.plan_service.domain.aggregation import FLOWS, aggregate_results

DAYS = 40
PAIRS = [("S1", "P1", "store"), ("S2", "P1", "store"), ("F1", "P1", "factory"), ("F1", "C1", "factory")]


@pytest.fixture(scope="module")
def config():
    document = minimal(
        nodes=[{"code": "S1", "node_type": "store", "region": "NORTH"}, {"code": "S2", "node_type": "store"},
               {"code": "F1", "node_type": "factory", "region": "SOUTH"}],
        hierarchies=[{"hierarchy_type": "location", "key": "S2", "region": "EAST"}],
    )
    return CanonicalConfig.model_validate(document)


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(7)
    series = [{"node": n, "item": i, "node_type": t,
               **{m: rng.integers(0, 50, DAYS).astype(float).tolist() for m in SERIES_MEASURES}}
              for n, i, t in PAIRS]
    document = DailyResultsV2(run_id="run-1", planning_days=DAYS, start_date="2025-01-20", series=series,
                            pnl={m: [0.0] * DAYS for m in PNL_MEASURES})
    return document.model_dump(mode="json")


def series_total(results, measure):
    return sum(sum(s[measure]) for s in results["series"])


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
@pytest.mark.parametrize("group_by", ["item", "family", "node", "region"])
def test_totals_equal_the_results_totals(results, config, bucket, group_by):
    table = aggregate_results(results, config, bucket=bucket, group_by=group_by)
    assert (table["bucket"], table["group_by"]) == (bucket, group_by)
    for k, measure in enumerate(FLOWS, start=table["columns"].index("demand")):
        assert sum(row[k] for row in table["rows"]) == pytest.approx(series_total(results, measure))
        assert table["totals"][measure] == pytest.approx(series_total(results, measure))


def test_groups_come_from_hierarchies_and_attributes(results, config):
    groups = {g: {row[3] for row in aggregate_results(results, config, bucket="month", group_by=g)["rows"]}
              for g in ("item", "family", "node", "region")}
    assert groups == {"item": {"P1", "C1"}, "family": {"FAM", "unassigned"}, "node": {"S1", "S2", "F1"},
                      "region": {"NORTH", "EAST", "SOUTH"}}


def test_months_are_calendar_months_and_stock_is_end_of_bucket_and_average(results, config):
    table = aggregate_results(results, config, bucket="month", group_by="node")
    rows = {(row[0], row[3]): dict(zip(table["columns"], row)) for row in table["rows"]}
    january, february = rows["2025-01", "S1"], rows["2025-02", "S1"]
    assert (january["first_day"], january["last_day"], february["first_day"], february["last_day"]) == (1, 12, 13, 40)
    end = results["series"][0]["end"]
    assert january["end_stock"] == end[11] and february["end_stock"] == end[39]
    assert february["avg_end_stock"] == pytest.approx(np.mean(end[12:40]))


def test_weeks_are_seven_day_blocks_the_last_one_partial(results, config):
    table = aggregate_results(results, config, bucket="week", group_by="item")
    weeks = sorted({(row[0], row[1], row[2]) for row in table["rows"]}, key=lambda w: w[1])
    assert weeks[0] == ("W1", 1, 7) and weeks[-1] == ("W6", 36, 40) and len(weeks) == 6


def test_days_are_labelled_by_date(results, config):
    table = aggregate_results(results, config, bucket="day", group_by="item")
    assert table["rows"][0][:3] == ["2025-01-20", 1, 1] and len(table["rows"]) == DAYS * 2


def test_unknown_bucket_or_grouping_is_refused(results, config):
    with pytest.raises(ValueError, match="bucket"):
        aggregate_results(results, config, bucket="year", group_by="item")
    with pytest.raises(ValueError, match="group_by"):
        aggregate_results(results, config, bucket="day", group_by="colour")


@pytest.mark.parametrize("group_by", ["item", "region"])
def test_a_columnar_document_aggregates_as_the_same_results_by_rows(results, config, group_by):
    columnar = {k: v for k, v in results.items() if k != "series"} | {
        "schema_id": "scpln-results-3",
        "pairs": [{"node": s["node"], "item": s["item"], "node_type": s["node_type"]} for s in results["series"]],
        "series": {m: [[int(v) for v in s[m]] for s in results["series"]] for m in SERIES_MEASURES}}
    assert (aggregate_results(columnar, config, bucket="week", group_by=group_by)
            == aggregate_results(results, config, bucket="week", group_by=group_by))
