"""The alert rules of ``deploy/alerts.yml`` name metrics the services export, and the disk alerts
fire before the disk is full."""

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY, generate_latest

import services.run_registry.metrics
import services.simulator.metrics  # noqa: F401 - and the simulator's
from runtime.storage import Storage

ALERTS = Path(__file__).resolve().parents[3] / "deploy" / "alerts.yml"
MB = 2**20


def rules() -> dict[str, dict]:
    return {rule["alert"]: rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]}


def exported() -> set[str]:
    return {sample.name for metric in REGISTRY.collect() for sample in metric.samples}


def test_every_alert_names_metrics_that_are_exported():
    Storage("test", Path("."), 256 * MB)
    names = exported()
    for name, rule in rules().items():
        metrics = set(re.findall(r"\b([a-z_]+_(?:bytes|total|events|failing))\b", rule["expr"]))
        assert metrics and metrics <= names, (name, metrics - names)


def test_the_disk_alerts_fire_before_the_disk_is_full_and_while_writes_fail():
    alerts = rules()
    assert alerts["DataDiskFillingUp"]["expr"] == "data_dir_free_bytes < 4 * data_dir_reserve_bytes"
    assert alerts["DataDiskFull"]["expr"] == "data_dir_free_bytes < data_dir_reserve_bytes"
    assert alerts["StorageWritesFailing"]["expr"] == "storage_writes_failing > 0"
    Storage("test", Path("."), 256 * MB)
    text = generate_latest().decode()
    assert re.search(r"^data_dir_reserve_bytes 2\.68435456e\+08$", text, re.MULTILINE)
    assert float(re.search(r"^data_dir_free_bytes (\S+)$", text, re.MULTILINE).group(1)) > 0  # type: ignore[union-attr]
