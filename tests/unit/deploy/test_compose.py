"""compose.yaml and deploy/ stay in step with the code."""

import importlib.util
import re
from pathlib import Path

import yaml

from runtime import bus
from runtime import nats_permissions as permissions

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_every_service_command_names_a_real_module():
    services = compose()["services"]
    modules = {name: svc["command"][svc["command"].index("-m") + 1]
               for name, svc in services.items() if svc.get("image") == "scpln:local"}
    assert set(modules) == {"plan_service", "run_registry", "simulator", "ui_gateway", "notifier"}
    for name, module in modules.items():
        assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{name}: {module} has no __main__"


def test_services_wait_for_a_healthy_nats_and_the_gateway_has_a_healthcheck():
    services = compose()["services"]
    assert "healthcheck" in services["nats"]
    for name in ("plan_service", "run_registry", "simulator", "ui_gateway", "notifier"):
        assert services[name]["depends_on"]["nats"]["condition"] == "service_healthy"
    assert "healthcheck" in services["ui_gateway"]


def test_nats_runs_jetstream_with_room_for_the_whole_event_log():
    nats = compose()["services"]["nats"]
    config_path = nats["command"][nats["command"].index("-c") + 1]
    mounted = {target: source for source, target, *_ in (volume.split(":") for volume in nats["volumes"])}
    config = (ROOT / mounted[config_path]).read_text()
    assert "http: 127.0.0.1:8222" in config  # the healthcheck's port, inside the container
    for conf in (config, (ROOT / "deploy" / "nats-server.conf").read_text()):
        store = re.search(r"max_file_store:\s*(\d+)GB", conf)
        assert store is not None and int(store.group(1)) * 1024**3 >= bus.MAX_STORAGE_BYTES


def test_nats_runs_the_deploy_users_and_each_service_connects_as_its_own():
    services = compose()["services"]
    nats = services["nats"]
    assert "./deploy/nats-server.conf:/etc/nats/scpln.conf:ro" in nats["volumes"]
    for user in permissions.USERS:
        variable = permissions.password_variable(user)
        assert nats["environment"][variable].startswith(f"${{{variable}:?"), f"{variable} must be set, never defaulted"
    for name in ("plan_service", "run_registry", "simulator", "ui_gateway", "notifier"):
        url = services[name]["environment"]["NATS_URL"]
        assert url == f"nats://{name}:${{{permissions.password_variable(name)}}}@nats:4222", name


def test_prometheus_scrapes_every_service_where_it_serves_its_metrics():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]}
    assert set(targets) == {"plan_service", "run_registry", "simulator", "ui_gateway", "notifier"}
    services = compose()["services"]
    for name, target in targets.items():
        host, port = target.split(":")
        env = services[host]["environment"]
        if name == "ui_gateway":  # /metrics of the gateway's own HTTP server
            assert (env["GATEWAY_HOST"], env["GATEWAY_PORT"]) == ("0.0.0.0", port)
        else:  # another container scrapes it: not on loopback
            assert (env["METRICS_HOST"], env["METRICS_PORT"]) == ("0.0.0.0", port), name


def test_the_dockerfile_copies_every_package_the_services_import():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for package in ("contracts", "runtime", "services", "samples"):
        assert f"COPY {package} " in dockerfile


def test_the_grafana_dashboard_charts_metrics_the_services_export():
    import json

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "scpln-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("runs_total", "plans_created_total", "jobs_duration_seconds_bucket",
                   "registry_projection_lag_events", "registry_dead_letters_total"):
        assert metric in exprs
