"""The daily results' layouts: a columnar document (scpln-results-3) read by rows is the
scpln-results-2 document of the same results; documents by rows are read as they are."""

import copy

from contracts.results import (
    SERIES_MEASURES,
    DailyResults,
    DailyResultsV2,
    cost_entries,
    row_layout,
    series_by_pair,
)


def columnar() -> dict:
    series = {m: [[1, 2], [0.5, 0.25]] for m in SERIES_MEASURES}
    return {"schema_id": "scpln-results-3", "run_id": "r", "planning_days": 2, "start_date": "2025-01-01",
            "pairs": [{"node": "W1", "item": "P1", "node_type": "warehouse"},
                      {"node": "S1", "item": "P1", "node_type": "store"}],
            "series": series, "pnl": {"revenue": [3.0, 0.0]}, "plan": None,
            "cost_trace": [{"category": "revenue", "node": ["S1"], "item": ["P1"], "days": [[1]], "amounts": [[3.0]]},
                           {"category": "storage", "node": ["W1", "S1"], "item": ["", ""],
                            "days": [[2], [1, 2]], "amounts": [[1.5], [0.25, 7]]}]}


def by_rows() -> dict:
    def pair(node: str, node_type: str, values: list[float]) -> dict:
        return {"node": node, "item": "P1", "node_type": node_type, **{m: values for m in SERIES_MEASURES}}

    return {"schema_id": "scpln-results-2", "run_id": "r", "planning_days": 2, "start_date": "2025-01-01",
            "series": [pair("W1", "warehouse", [1.0, 2.0]), pair("S1", "store", [0.5, 0.25])],
            "pnl": {"revenue": [3.0, 0.0]}, "plan": None,
            "cost_trace": [{"day": 1, "category": "revenue", "node": "S1", "item": "P1", "amount": 3.0},
                           {"day": 1, "category": "storage", "node": "S1", "item": "", "amount": 0.25},
                           {"day": 2, "category": "storage", "node": "W1", "item": "", "amount": 1.5},
                           {"day": 2, "category": "storage", "node": "S1", "item": "", "amount": 7.0}]}


def test_a_columnar_document_read_by_rows_is_the_same_results_by_rows():
    DailyResults.model_validate(columnar())
    rows = row_layout(columnar())
    assert rows == by_rows()
    assert all(type(v) is float for s in rows["series"] for m in SERIES_MEASURES for v in s[m])
    assert type(rows["cost_trace"][-1]["amount"]) is float
    DailyResultsV2.model_validate(rows)


def test_entries_come_day_by_day_then_column_by_column_within_a_block():
    assert [(e["day"], e["node"]) for e in cost_entries(columnar())] == [(1, "S1"), (1, "S1"), (2, "W1"), (2, "S1")]


def test_a_head_without_its_trace_is_read_by_rows_without_one():
    head = {k: v for k, v in columnar().items() if k != "cost_trace"}
    assert row_layout(head) == {k: v for k, v in by_rows().items() if k != "cost_trace"}


def test_documents_by_rows_are_read_as_they_are():
    for doc in (by_rows(), {k: v for k, v in by_rows().items() if k != "plan"} | {"schema_id": "scpln-results-1"}):
        kept = copy.deepcopy(doc)
        assert row_layout(doc) is doc and doc == kept
        assert series_by_pair(doc) is doc["series"]
        assert list(cost_entries(doc)) == doc["cost_trace"]


def test_reading_leaves_the_columnar_document_as_it_was():
    doc = columnar()
    row_layout(doc)
    assert doc == columnar()
