"""The gateway reads every layout of the daily results: a run's results stored by rows
(scpln-results-2) or columnar (scpln-results-3, what the simulator writes now) give the same
CSVs, chart data and fan chart, byte for byte."""

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from contracts.canonical import CanonicalConfig
from contracts.results import SERIES_MEASURES
from scpln.samples import SAMPLES_DIR
from services.simulator.engine import simulate
from services.ui_gateway.app import create_app
from services.ui_gateway.results import parse_head
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import RESULTS, FakeBus, registry

READS = ["/runs/run_a/results?format=csv&part=series", "/runs/run_a/results?format=csv&part=pnl",
         "/runs/run_a/results?format=csv&part=costs", "/runs/run_a/results.csv", "/runs/run_a/trace.csv",
         "/ui/runs/run_a/chart.json", "/ui/runs/run_a/chart.json?node=F1&item=P1", "/plans/plan_1/fan",
         "/plans/plan_1/fan?node=S1&item=P1"]


@pytest.fixture(scope="module")
def run():
    config = CanonicalConfig.model_validate_json((SAMPLES_DIR / "small.json").read_text())
    return simulate(config, seed=2, run_id="run_a")


def by_rows(out) -> bytes:  # type: ignore[no-untyped-def]
    """The run's results as scpln-results-2 documents held them, from the engine's accessors."""
    net = out.network
    rounded = lambda values: (np.round(values, 6) + 0.0).tolist()
    series = [{"node": node, "item": item, "node_type": net.node_types[net.pair_node[k]],
               **{m: rounded(out.column(m, k)) for m in SERIES_MEASURES}} for k, (node, item) in enumerate(out.pairs)]
    doc = {"schema_id": "scpln-results-2", "run_id": out.run_id, "planning_days": net.days,
           "start_date": net.start_date, "series": series, "pnl": {m: rounded(v) for m, v in out.pnl.items()},
           "plan": None, "cost_trace": out.trace()}
    return gzip.compress(json.dumps(doc).encode())


@contextmanager
def gateway(stored: bytes, tmp_path: Path) -> Iterator[TestClient]:
    """The gateway with the run's results stored as given."""
    bus = registry(FakeBus())
    bus.objects[(RESULTS.bucket, RESULTS.key)] = stored
    settings = Settings(nats_url="nats://fake:4222", scpln_data_dir=tmp_path)
    with TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {bus.tokens['admin']}"}) as client:
        yield client


def answers(stored: bytes, tmp_path: Path) -> list[bytes]:
    with gateway(stored, tmp_path) as client:
        replies = [client.get(path) for path in READS]
    assert all(r.status_code == 200 for r in replies), [(r.url, r.text) for r in replies if r.status_code != 200]
    return [r.content for r in replies]


def test_results_by_rows_and_columnar_read_the_same(run, tmp_path):
    columnar = run.results_bytes()
    assert json.loads(gzip.decompress(columnar))["schema_id"] == "scpln-results-3"
    assert parse_head(columnar) == parse_head(by_rows(run))
    rows, columns = answers(by_rows(run), tmp_path / "rows"), answers(columnar, tmp_path / "columns")
    for path, expected, got in zip(READS, rows, columns, strict=True):
        assert got == expected, path
    assert rows[0].count(b"\n") == 1 + run.network.days * len(run.pairs)
    assert rows[2].count(b"\n") == 1 + len(run.trace())
    chart = json.loads(rows[6])
    assert chart["pairs"][chart["pair"]] == {"node": "F1", "item": "P1", "node_type": "factory"}


def test_the_json_download_is_the_document_as_stored(run, tmp_path):
    with gateway(run.results_bytes(), tmp_path) as client:
        assert client.get("/runs/run_a/results").content == gzip.decompress(run.results_bytes())
