"""The production NATS configuration (``deploy/nats-server.conf``): every service and the
operator's CLI, each connected as its own user, can do all of its work; the server reports
no permission violation. The permissions are exact (``runtime.nats_permissions``), so this test
exercises every way each user reaches the bus: commands, queries, events, durable and ordered
consumers, log replays, each object store bucket, identity facts and the registry's swap."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest

from contracts import subjects
from contracts.events import decode
from runtime import bus, identity
from runtime.log_reader import read_log
from runtime.nats_server import binary, free_port, wait_listening
from tests.e2e.system import System, violations_logged
from tests.webhooks import Receiver

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("plan_service", "run_registry", "simulator", "ui_gateway", "notifier")
RECEIVER = Receiver("deploy-secret")
USERS = (*SERVICES, "operator")


def password(user: str) -> str:
    return f"secret-of-{user}"


def url(user: str, port: int) -> str:
    return f"nats://{user}:{password(user)}@127.0.0.1:{port}"


def shipped_config(data: Path, port: int) -> Path:
    """deploy/nats-server.conf on loopback, without monitoring, its store in ``data``."""
    conf = (ROOT / "deploy" / "nats-server.conf").read_text()
    conf = conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}").replace("http: 127.0.0.1:8222\n", "")
    conf = conf.replace("/data/jetstream", str(data / "jetstream"))
    (data / "nats.conf").write_text(conf)
    return data / "nats.conf"


@dataclass
class Deployment:
    system: System
    port: int
    data: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start_service(self, service: str) -> None:
        env = dict(os.environ, NATS_URL=url(service, self.port), SCPLN_DATA_DIR=str(self.data),
                   SCPLN_DB=str(self.data / "scpln.db"), GATEWAY_HOST="127.0.0.1",
                   GATEWAY_PORT=self.system.base_url.rsplit(":", 1)[1], METRICS_PORT="0",
                   NOTIFY_WEBHOOK_URLS=RECEIVER.url, NOTIFY_WEBHOOK_SECRET=RECEIVER.secret,
                   OBJECT_GRACE_HOURS="0", OBJECT_SWEEP_S="0.5")
        self.processes[service] = start([sys.executable, "-m", f"services.{service}"], env, self.data / f"{service}.log")

    def restart(self, service: str) -> None:
        self.processes[service].terminate()
        self.processes[service].wait(30)
        self.start_service(service)


async def log_declared(nats_url: str) -> None:
    """Return once the event log exists (``scpln users`` refuses a server without one)."""
    nc = await nats.connect(nats_url)
    try:
        await bus.wait_for_stream(nc.jetstream())
    finally:
        await nc.close()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """nats-server with the shipped config (on loopback, its store in a temporary directory),
    the four services as processes, each with its own credentials, and an admin added by the
    operator with ``scpln users``."""
    data = tmp_path_factory.mktemp("deployed")
    port, gateway_port = free_port(), free_port()
    secrets = {f"{user.upper()}_PASSWORD": password(user) for user in USERS}
    nats_server = start([binary(), "-c", str(shipped_config(data, port))], dict(os.environ, **secrets), data / "nats.log")
    system = System(f"http://127.0.0.1:{gateway_port}", data, nats_server, url("operator", port),
                    cli_env={"NATS_URL": url("operator", port)})
    deployment = Deployment(system, port, data)
    RECEIVER.start()
    try:
        assert wait_listening(port), (data / "nats.log").read_text()
        for service in SERVICES:
            deployment.start_service(service)
        asyncio.run(asyncio.wait_for(log_declared(url("operator", port)), 60))  # plan_service declares it
        system.admin_password = system.add_user("admin", "admin")
        system.admin_token = system.create_token("admin", "--name", "deploy test")
        system.wait_for("/scenarios", lambda body: len(body["scenarios"]) >= 3, timeout=60)
        yield deployment
    finally:
        for process in [*deployment.processes.values(), nats_server]:
            process.terminate()
            process.wait(30)
        RECEIVER.stop()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def job_done(system: System, job_id: str) -> dict:
    return system.wait_for(f"/jobs/{job_id}", lambda b: b["job"]["state"] in ("succeeded", "failed"), timeout=60)["job"]


def scpln(port: int, data: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NATS_URL=url("operator", port), SCPLN_DB=str(data / "scpln.db"))
    return subprocess.run([sys.executable, "-m", "scpln.cli", "registry", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def large_config() -> dict:
    """A sample config over the gateway's staging threshold: it goes through the uploads bucket."""
    document = json.loads((ROOT / "samples" / "small.json").read_text())
    document["meta"]["name"] = "deploy test, staged"
    document["meta"].setdefault("attributes", {})["padding"] = "x" * 300_000
    return document


async def identities_as(user_url: str) -> identity.Identities:
    """The identity facts folded as the gateway folds them (``runtime.identity.follow``)."""
    nc = await nats.connect(user_url)
    try:
        return await identity.load(nc.jetstream())
    finally:
        await nc.close()


async def objects_removed(user_url: str, run_id: str, timeout: float = 60.0) -> list:
    """The stored objects of ``run_id`` the registry recorded as removed (StoredObjectsDeleted),
    once it has (the log read as the operator)."""
    nc = await nats.connect(user_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            facts = [decode(m.data) async for batch in read_log(nc.jetstream(), filter_subjects=[
                subjects.STORED_OBJECTS_DELETED]) for m in batch]
            if found := [o for fact in facts for o in fact.objects if o.run_id == run_id]:
                return found
            await asyncio.sleep(0.2)
        raise AssertionError(f"the objects of {run_id} were not removed within {timeout}s")
    finally:
        await nc.close()


def test_every_service_and_the_operator_work_within_their_permissions(deployed):
    system, port, data = deployed.system, deployed.port, deployed.data
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

        rerun = client.post(f"/plans/{plan['plan']['plan_version_id']}/runs")  # the simulator's second durable
        assert rerun.status_code == 202, rerun.text
        assert job_done(system, rerun.json()["job_id"])["state"] == "succeeded"
        assert client.get(f"/runs/{run['run_id']}/results").status_code == 200  # the results bucket
        assert client.get(f"/ui/plans/{plan['plan']['plan_version_id']}").status_code == 200  # the artifacts bucket
        assert client.get(f"/configs/{config['config_version_id']}/document").status_code == 200  # the configs bucket
        staged = client.post("/configs", json=large_config())  # the uploads bucket, read by plan_service
        assert staged.status_code == 201, staged.text
        locked = client.post("/scenarios/scn_baseline/lock")
        assert locked.status_code == 200, locked.text
        assert client.post("/scenarios/scn_baseline/unlock").status_code == 200
        approved = client.post(f"/runs/{run['run_id']}/promote-baseline")  # the registry publishes run meta
        assert approved.status_code == 200, approved.text
        events = [got.event for got in RECEIVER.wait_for(4, timeout=60)]  # the notifier's durable and its acks
        assert events[-2:] == ["run_approved", "run_promoted_baseline"], events
        status = client.get("/notifications")  # the gateway asks the notifier
        assert status.status_code == 200 and status.json()["receivers"][0]["delivered"] >= 4, status.text
        deleted = client.delete(f"/runs/{run['run_id']}")  # the registry publishes RunDeleted
        assert deleted.status_code == 200, deleted.text
    removed = asyncio.run(objects_removed(url("operator", port), run["run_id"]))  # ... and removes what it stored
    assert {o.bucket for o in removed} == {"scpln-results", "scpln-artifacts"}, removed  # its results, its aggregate

    system.scpln("users", "add", "pat", "--role", "planner", stdin="a password of pat\n")
    system.scpln("users", "set-role", "pat", "viewer")
    system.scpln("users", "set-password", "pat", stdin="another password of pat\n")
    system.scpln("users", "disable", "pat")
    system.scpln("users", "enable", "pat")
    assert "pat" in system.scpln("users", "list").stdout
    token = system.create_token("pat", "--ttl", "1h")
    token_id = token.split("_")[1]
    assert token_id in system.scpln("tokens", "list").stdout
    system.scpln("tokens", "revoke", token_id)
    folded = asyncio.run(identities_as(url("ui_gateway", port)))
    assert folded.users["pat"].role == "viewer" and folded.tokens[token_id].revoked
    with system.client(token=token) as client:
        deadline = time.monotonic() + 30
        while client.get("/runs").status_code != 401 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/runs").status_code == 401, "the gateway follows the identity facts"

    deployed.restart("plan_service")  # binds to the stream it owns and folds its events from the log
    with system.client() as client:
        created = None
        for _ in range(300):
            created = client.post("/scenarios", json={"name": "after a restart"})
            if created.status_code != 503:
                break
            time.sleep(0.1)
        assert created.status_code == 201, created.text

    backup = scpln(port, data, "backup", "--out", str(data / "backup.db"))
    assert backup.returncode == 0, backup.stdout + backup.stderr
    rebuilt = scpln(port, data, "rebuild", "--verify")
    assert rebuilt.returncode == 0 and "every table is identical" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr
    restored = scpln(port, data, "restore", str(data / "backup.db"))
    assert restored.returncode == 0 and "restored" in restored.stdout, restored.stdout + restored.stderr

    refused = violations_logged(data / "nats.log", url("ui_gateway", port))
    assert refused == [], refused
