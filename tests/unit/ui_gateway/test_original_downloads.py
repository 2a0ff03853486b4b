"""The original scpln's download routes answer with this system's content: the results, P&L and
cost trace CSVs byte for byte, the summary as run_id,metric,value rows, the config as the run's
config document."""

import csv
import io

import pytest

from contracts import subjects
from contracts.queries import RunDetail
from tests.unit.ui_gateway.fakes import run_row

ROUTES = {"results.csv": "series", "pl.csv": "pnl", "trace.csv": "costs"}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_csv_is_the_same_as_its_equivalent(client, name):
    original = client.get(f"/runs/run_a/{name}")
    ours = client.get(f"/runs/run_a/results?format=csv&part={ROUTES[name]}")
    assert original.status_code == ours.status_code == 200, original.text
    assert original.content == ours.content and original.content.count(b"\n") > 1
    assert original.headers["content-type"].startswith("text/csv")


def test_the_summary_lists_each_kpi_as_the_original_did(client, bus):
    summary = {"fill_rate": 0.9, "profit_total": 12.5, "avg_on_hand_by_type": {"store": 3.0},
               "top_shortage_items": [{"item": "P1", "shortage": 2}], "missing": None}
    bus.replies[subjects.QRY_RUN_GET] = RunDetail(run=run_row("run_a", summary=summary))
    rows = list(csv.reader(io.StringIO(client.get("/runs/run_a/summary.csv").text)))
    assert rows[0] == ["run_id", "metric", "value"]
    assert rows[1:] == [["run_a", "avg_on_hand_by_type.store", "3.0"], ["run_a", "fill_rate", "0.9"],
                        ["run_a", "missing", ""], ["run_a", "profit_total", "12.5"],
                        ["run_a", "top_shortage_items", '[{"item": "P1", "shortage": 2}]']]


def test_the_config_is_the_runs_config_document(client, bus):
    bus.objects[(subjects.CONFIGS_BUCKET, "cfg_1.json")] = b'{"meta":{"name":"sample"}}'
    answer = client.get("/runs/run_a/config.json")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ours = client.get(f"/configs/{body['config_id']}/document").json()
    assert body == {"run_id": "run_a", "config_id": run_row("run_a").config_version_id, "config": ours}
    assert ours == {"meta": {"name": "sample"}}


def test_an_unknown_run_is_404_on_every_route(client):
    for name in [*ROUTES, "summary.csv", "config.json"]:
        assert client.get(f"/runs/nope/{name}").status_code == 404
