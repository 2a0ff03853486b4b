"""Scale-out: every service runs twice against a 3-node JetStream cluster on loopback
(``STREAM_REPLICAS=3``), the way several machines would run them (each process its own data
directory, ``NATS_URL`` listing the cluster). 100 plans arrive in a burst through both gateways
while one NATS node and one replica of every service are killed: every plan has exactly one run,
no job is left queued or running, and a rebuild of the registry from the log is identical to
the surviving replica's read model."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from runtime import nats_credentials, nats_server
from runtime.nats_permissions import authorization_block, password_variable
from scpln import first_admin
from scpln.up import SERVICES
from tests.e2e.system import ROOT, System

pytestmark = pytest.mark.e2e
PLANS = 100
KILL_AFTER = 30
"""Plans accepted before a NATS node and a replica of every service are killed."""


@dataclass
class Cluster:
    data_dir: Path
    passwords: dict[str, str]
    client_ports: list[int]
    nodes: list[subprocess.Popen] = field(default_factory=list)
    services: dict[tuple[str, int], subprocess.Popen] = field(default_factory=dict)
    gateway_ports: list[int] = field(default_factory=list)

    def url(self, user: str) -> str:
        """``NATS_URL`` for ``user``: every node of the cluster, with the user's credentials."""
        return ",".join(f"nats://{user}:{self.passwords[user]}@127.0.0.1:{port}" for port in self.client_ports)

    def replica_dir(self, name: str, replica: int) -> Path:
        return self.data_dir / f"{name}-{replica}"


def start_cluster(data_dir: Path) -> Cluster:
    """Three nats-servers routed to each other on loopback, with the users and permissions of
    deploy/nats-server.conf (passwords generated as ``scpln up`` does)."""
    passwords = nats_credentials.ensure_passwords(data_dir)
    ports = [nats_server.free_port() for _ in range(6)]
    cluster = Cluster(data_dir, passwords, ports[:3])
    env = dict(os.environ, **{password_variable(user): pw for user, pw in passwords.items()})
    for n, (client, route) in enumerate(zip(ports[:3], ports[3:], strict=True)):
        store = data_dir / f"nats-{n}"
        store.mkdir()
        conf = store / "nats-server.conf"
        conf.write_text(f"server_name: n{n}\nlisten: 127.0.0.1:{client}\n"
                        f"jetstream {{ store_dir: {json.dumps(str(store))}, max_file_store: 2GB }}\n"
                        f"cluster {{ name: scpln, listen: 127.0.0.1:{route}, routes: ["
                        + ", ".join(f"nats-route://127.0.0.1:{r}" for r in ports[3:]) + "] }\n"
                        + authorization_block())
        with open(store / "nats-server.log", "ab") as log:
            cluster.nodes.append(subprocess.Popen([nats_server.binary(), "-c", str(conf)], env=env, stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True))
    assert all(nats_server.wait_listening(port) for port in cluster.client_ports)
    return cluster


def start_service(cluster: Cluster, name: str, module: str, replica: int) -> None:
    """One process of a service, with a data directory of its own (as on its own machine)."""
    data = cluster.replica_dir(name, replica)
    data.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DB", "SCPLN_DATA_DIR")}
    env.update(NATS_URL=cluster.url(name), SCPLN_DATA_DIR=str(data), SCPLN_DB=str(data / "scpln.db"),
               STREAM_REPLICAS="3", STREAM_MAX_BYTES=str(256 * 2**20), METRICS_PORT="0", PYTHONUNBUFFERED="1", SCPLN_SKIP_SIMULATION_API="1",
               WORKER_NAME=f"simulator-{replica}", GATEWAY_HOST="127.0.0.1")
    if name == "ui_gateway":
        port = nats_server.free_port()
        cluster.gateway_ports.append(port)
        env["GATEWAY_PORT"] = str(port)
    with open(data / f"{name}.log", "ab") as log:
        cluster.services[(name, replica)] = subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):  # type: ignore[no-untyped-def]
    cluster = start_cluster(tmp_path_factory.mktemp("scale-out"))
    try:
        for replica in (0, 1):
            for name, module in SERVICES:
                start_service(cluster, name, module, replica)
        yield cluster
    finally:
        for proc in cluster.services.values():
            stop(proc)
        for node in cluster.nodes:
            stop(node)


def system_at(cluster: Cluster, gateway: int) -> System:
    """The ``System`` test helper on one gateway; its ``scpln`` commands reach the cluster as
    the operator through ``NATS_URL``."""
    cli_dir = cluster.data_dir / "cli"
    cli_dir.mkdir(exist_ok=True)
    return System(f"http://127.0.0.1:{cluster.gateway_ports[gateway]}", cli_dir, None,  # type: ignore[arg-type]
                  cluster.url("operator"), cli_env={"NATS_URL": cluster.url("operator")})


def post_plan(clients: list[httpx.Client], n: int, body: dict) -> str:  # type: ignore[type-arg]
    """POST /plans through gateway n % 2, through the other if that one is gone; the same
    ``Idempotency-Key`` each time, so a retry never makes a second plan."""
    key = f"scale-out-{n}-{uuid.uuid4().hex}"
    deadline = time.monotonic() + 120
    while True:
        for client in (clients[n % 2], clients[(n + 1) % 2]):
            try:
                answer = client.post("/plans", json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                continue
            if answer.status_code == 202:
                return answer.json()["plan_version_id"]
            assert answer.status_code in (502, 503, 504), answer.text
        if time.monotonic() > deadline:
            raise AssertionError(f"plan {n} was not accepted within 120 s")
        time.sleep(0.2)


def test_a_burst_of_plans_survives_losing_a_nats_node_and_a_replica_of_every_service(cluster):
    first_admin.create_if_none(cluster.url("operator"), cluster.data_dir / "cli", "http://127.0.0.1/login",
                               timeout=120)
    (cluster.data_dir / "cli").mkdir(exist_ok=True)
    admin = system_at(cluster, 0)
    for port in cluster.gateway_ports:
        assert wait_healthy(port), f"the gateway on {port} is not healthy"
    admin.sign_in_as_admin()
    token = admin.admin_token
    configs = admin.wait_for("/configs", lambda body: body["total"] >= 3, timeout=90)["configs"]
    config_id = min(configs, key=lambda c: "small" not in json.dumps(c).lower())["config_version_id"]
    body = {"base_scenario_id": "scn_baseline", "config_version_id": config_id}
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15, headers=headers)
               for port in cluster.gateway_ports]

    with ThreadPoolExecutor(8) as pool:
        accepted = list(pool.map(lambda n: post_plan(clients, n, body), range(KILL_AFTER)))
        cluster.nodes[1].send_signal(signal.SIGKILL)
        for (name, replica), proc in cluster.services.items():
            if replica == 1:
                proc.send_signal(signal.SIGKILL)
        accepted += list(pool.map(lambda n: post_plan(clients, n, body), range(KILL_AFTER, PLANS)))
    assert len(set(accepted)) == PLANS

    client = clients[0]  # gateway 0 lives on
    ours = set(accepted)
    per_plan = until(lambda: runs_per_plan(client, ours), lambda counts: min(counts.values()) >= 1, 300,
                     "every plan has a run")
    until(lambda: answered(client, "/jobs", {"unfinished": "true"}, "jobs"), lambda jobs: not jobs, 120,
          "no job queued or running")
    per_plan = until(lambda: runs_per_plan(client, ours), lambda counts: True, 30, "the runs listed")
    assert set(per_plan.values()) == {1}, {plan: n for plan, n in per_plan.items() if n != 1}
    failed = until(lambda: answered(client, "/jobs", {"state": "failed"}, "jobs"), lambda jobs: True, 30,
                   "the failed jobs listed")
    assert not failed, [(j["job_id"], j["job_type"], j["step"], j["message"]) for j in failed]

    registry = cluster.replica_dir("run_registry", 0)
    verify = subprocess.run(
        [sys.executable, "-m", "scpln.cli", "registry", "rebuild", "--verify"], cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=False,
        env={**os.environ, "NATS_URL": cluster.url("operator"), "SCPLN_DATA_DIR": str(registry),
             "SCPLN_DB": str(registry / "scpln.db"), "SCPLN_OPERATOR": "scale-out test"})
    assert verify.returncode == 0 and "every table is identical" in verify.stdout, verify.stdout + verify.stderr
    for each in clients:
        each.close()


def answered(client: httpx.Client, path: str, params: dict, key: str) -> list | None:  # type: ignore[type-arg]
    """The list under ``key`` of a GET; None while the gateway answers otherwise (a registry
    replica just killed: its queries time out once)."""
    answer = client.get(path, params=params)
    return answer.json()[key] if answer.status_code == 200 else None


def runs_per_plan(client: httpx.Client, plans: set[str]) -> dict[str, int] | None:
    runs = answered(client, "/runs", {"limit": 1000}, "runs")
    if runs is None:
        return None
    counts = dict.fromkeys(plans, 0)
    for run in runs:
        if run["plan_version_id"] in counts:
            counts[run["plan_version_id"]] += 1
    return counts


def until(read, ready, timeout: float, what: str):  # type: ignore[no-untyped-def]
    """``read()`` until ``ready`` holds of it; its last value, or an error saying what was not reached
    (for runs per plan: which plans have none, and their jobs)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = read()
        except httpx.TransportError:
            value = None
        if value is not None and ready(value):
            return value
        if time.monotonic() > deadline:
            shown = {k: v for k, v in value.items() if v != 1} if isinstance(value, dict) else value
            raise AssertionError(f"not reached within {timeout} s: {what}; last: {str(shown)[:2000]}")
        time.sleep(0.5)


def wait_healthy(port: int, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    return False
