"""Reading results for charts, and plan artifacts as tables."""

import gzip
import json

from services.ui_gateway.artifacts import artifact_tables
from services.ui_gateway.results import chart_data, parse_head
from tests.unit.ui_gateway.fakes import gz, results_doc


def test_the_head_is_the_document_without_its_cost_trace():
    doc = results_doc(days=400)
    head = parse_head(gz(doc))
    assert head == {k: v for k, v in doc.items() if k != "cost_trace"}


def test_a_document_laid_out_differently_is_parsed_whole():
    doc = {"cost_trace": [], "run_id": "r", "planning_days": 0, "series": [], "pnl": {}}
    assert parse_head(gzip.compress(json.dumps(doc).encode())) == doc


def test_a_node_named_like_the_trace_key_does_not_cut_the_document():
    doc = results_doc()
    doc["series"][0]["node"] = ', "cost_trace":'
    assert parse_head(gz(doc))["series"][0]["node"] == ', "cost_trace":'


def test_charts_default_to_the_first_store_pair_and_follow_the_choice():
    head = parse_head(gz(results_doc()))
    first = chart_data(head, None, None)
    assert first["pair"] == 1 and first["pairs"][1] == {"node": "S1", "item": "P1", "node_type": "store"}
    assert set(first["series"]) >= {"end", "sales", "shortage", "backorder"}
    assert first["pnl"]["profit"] == [6.0, 6.0, 6.0]
    assert chart_data(head, "W1", "P1")["pair"] == 0


def test_records_and_matrices_become_labelled_tables():
    doc = {"step": "reconcile", "families": ["F1", "F2"], "weeks": [{"label": "W1"}, {"label": "W2"}],
           "load": [[1.0, 2.0], [3.0, 4.0]], "rows": [{"family": "F1", "demand": 5.0}], "totals": {"demand": 5.0}}
    tables = {t.title: t for t in artifact_tables(doc)}
    assert tables["summary"].rows == [["step", "reconcile"], ["families", "F1, F2"], ["totals.demand", 5.0]]
    assert tables["load"].columns == ["", "W1", "W2"]
    assert tables["load"].rows == [["F1", 1.0, 2.0], ["F2", 3.0, 4.0]]
    assert tables["rows"].columns == ["family", "demand"]
