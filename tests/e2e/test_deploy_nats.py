"""The production NATS configuration (``deploy/nats-server.conf``): every service and the
operator's CLI, each connected as its own user, can do all of its work; the server reports
no permission violation."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.nats_server import binary, free_port, wait_listening
from tests.e2e.system import System

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("plan_service", "run_registry", "simulator", "ui_gateway")
USERS = (*SERVICES, "operator")


def password(user: str) -> str:
    return f"secret-of-{user}"


def url(user: str, port: int) -> str:
    return f"nats://{user}:{password(user)}@127.0.0.1:{port}"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, int, Path]]:
    """nats-server with the shipped config (on loopback, its store in a temporary directory),
    and the four services as processes, each with its own credentials."""
    data = tmp_path_factory.mktemp("deployed")
    port, gateway_port = free_port(), free_port()
    conf = (ROOT / "deploy" / "nats-server.conf").read_text()
    conf = conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}").replace("http: 0.0.0.0:8222\n", "")
    conf = conf.replace("/data/jetstream", str(data / "jetstream"))
    (data / "nats.conf").write_text(conf)
    secrets = {f"{user.upper()}_PASSWORD": password(user) for user in USERS}
    processes = [start([binary(), "-c", str(data / "nats.conf")], dict(os.environ, **secrets), data / "nats.log")]
    try:
        assert wait_listening(port), (data / "nats.log").read_text()
        for service in SERVICES:
            env = dict(os.environ, NATS_URL=url(service, port), SCPLN_DATA_DIR=str(data), SCPLN_DB=str(data / "scpln.db"),
                       GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(gateway_port), METRICS_PORT="0")
            processes.append(start([sys.executable, "-m", f"services.{service}"], env, data / f"{service}.log"))
        system = System(f"http://127.0.0.1:{gateway_port}", data, processes[1], url("operator", port))
        system.wait_for("/scenarios", lambda body: len(body["scenarios"]) >= 3, timeout=60)
        yield system, port, data
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(30)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def job_done(system: System, job_id: str) -> dict:
    return system.wait_for(f"/jobs/{job_id}", lambda b: b["job"]["state"] in ("succeeded", "failed"), timeout=60)["job"]


def scpln(port: int, data: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NATS_URL=url("operator", port), SCPLN_DB=str(data / "scpln.db"))
    return subprocess.run([sys.executable, "-m", "scpln.cli", "registry", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_every_service_and_the_operator_work_within_their_permissions(deployed):
    system, port, data = deployed
    with system.client() as client:
        config = min(client.get("/configs").json()["configs"], key=lambda c: c["planning_days"])
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": config["config_version_id"]}).json()
        assert job_done(system, accepted["job_id"])["state"] == "succeeded"
        plan = system.wait_for(f"/plans/{accepted['plan_version_id']}", lambda b: len(b["runs"]) == 1, timeout=60)
        run = plan["runs"][0]
        aggregate = client.post("/jobs/aggregate", json={"run_id": run["run_id"], "bucket": "week", "group_by": "item"})
        assert aggregate.status_code == 202, aggregate.text  # plan_service asks the registry about the run
        assert job_done(system, aggregate.json()["job_id"])["state"] == "succeeded"
        with client.stream("GET", "/ui/jobs/events", params={"after": 0}) as stream:
            events = []
            for line in stream.iter_lines():
                events += [line] if line.startswith("event: job") else []
                if len(events) == 3:
                    break
        assert len(events) == 3, "the gateway follows job progress from the stream"

    backup = scpln(port, data, "backup", "--out", str(data / "backup.db"))
    assert backup.returncode == 0, backup.stdout + backup.stderr
    rebuilt = scpln(port, data, "rebuild", "--verify")
    assert rebuilt.returncode == 0 and "every table is identical" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr

    time.sleep(0.5)  # the server writes a violation to its log as it refuses the message
    log = (data / "nats.log").read_text()
    assert "Violation" not in log, [line for line in log.splitlines() if "Violation" in line]
