"""A plan created over HTTP flows through every service and comes back as a run."""

import subprocess
from pathlib import Path

import pytest

from scpln.up import default_simulators
from tests.e2e.system import start_system, stop_system

pytestmark = pytest.mark.e2e


def first_config(client) -> str:  # type: ignore[no-untyped-def]
    configs = client.get("/configs").json()["configs"]
    return next(c["config_version_id"] for c in configs if c["planning_days"] <= 90)


def test_a_plan_posted_to_the_gateway_becomes_a_run_in_the_history(system):
    with system.client() as client:
        config_id = first_config(client)
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id})
        assert accepted.status_code == 202, accepted.text
        plan_id = accepted.json()["plan_version_id"]
        assert accepted.json()["job_id"]

    page = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1, timeout=20)
    run = page["runs"][0]
    assert run["plan_version_id"] == plan_id
    assert run["config_version_id"] == config_id
    assert run["scenario_id"] == "scn_baseline" and run["scenario_name"] == "Baseline"
    assert run["status"] == "succeeded", run["reason"]
    assert run["stub"] is True
    assert 0 <= run["summary"]["fill_rate"] <= 1

    with system.client() as client:
        detail = client.get(f"/runs/{run['run_id']}")
        assert detail.status_code == 200
        assert detail.json()["run"]["plan_version_id"] == plan_id
        assert client.get("/runs/run_does_not_exist").status_code == 404
        plan = client.get(f"/plans/{plan_id}").json()
        assert plan["plan"]["config_version_id"] == config_id
        assert [r["run_id"] for r in plan["runs"]] == [run["run_id"]]


def test_bad_plan_requests_get_clear_errors_and_store_nothing(system):
    with system.client() as client:
        config_id = first_config(client)
        before = client.get("/plans").json()["total"]
        missing = client.post("/plans", json={"base_scenario_id": "scn_baseline"})
        assert missing.status_code == 422
        assert "config_version_id" in missing.text
        malformed = client.post("/plans", content=b"{not json", headers={"content-type": "application/json"})
        assert malformed.status_code == 422
        unknown = client.post("/plans", json={"base_scenario_id": "scn_nope", "config_version_id": config_id})
        assert unknown.status_code == 404 and "scn_nope" in unknown.json()["detail"]
        unknown_cfg = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_x"})
        assert unknown_cfg.status_code == 404
        locked = client.post("/plans", json={"base_scenario_id": "scn_budget_2025", "config_version_id": config_id})
        assert locked.status_code == 409
        assert "locked by planning-lead" in str(locked.json()["detail"])
        assert client.get("/plans").json()["total"] == before


def test_health_and_metrics_are_served(system):
    with system.client() as client:
        health = client.get("/healthz").json()
        assert (health["status"], health["nats"], health["trouble"]) == ("ok", True, [])
        assert health["storage"][0]["service"] == "ui_gateway" and health["storage"][0]["free_bytes"] > 0
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and "# HELP" in metrics.text


def test_stopping_the_supervisor_leaves_no_process_behind(tmp_path):
    system = start_system(tmp_path)
    try:
        children = subprocess.run(["pgrep", "-P", str(system.proc.pid)], capture_output=True, text=True,
                                  check=False).stdout.split()
    finally:
        stop_system(system)  # also when the count below is wrong: a failed test leaves no system running
    assert len(children) == 1 + 4 + default_simulators()  # nats-server, the services and a simulator per core
    assert system.proc.returncode == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
