"""What the bus refuses, with a real nats-server, both as shipped (``deploy/nats-server.conf``)
and as ``scpln up`` runs it by default (the embedded server with the passwords it generates):
no client without a known user, no deleting, purging or reshaping the event log but by its
owner and the operator, no event published by a service that does not own it."""

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from contracts import subjects
from contracts.events import JobProgress, JobState, JobType, PlanCreated, RunCompleted, encode
from runtime import bus, nats_credentials, nats_server
from runtime.nats_permissions import USERS, password_variable

ROOT = Path(__file__).resolve().parents[2]
VIOLATION = "permissions violation for publish to"


@dataclass
class Server:
    port: int
    passwords: dict[str, str]

    def url(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"


def deployed_server(store: Path) -> tuple[subprocess.Popen, Server]:
    """deploy/nats-server.conf as shipped, on loopback with its store under ``store``."""
    port, passwords = nats_server.free_port(), {user: f"pw-{user}" for user in USERS}
    conf = (ROOT / "deploy" / "nats-server.conf").read_text()
    conf = conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}").replace("http: 127.0.0.1:8222\n", "")
    (store / "nats.conf").write_text(conf.replace("/data/jetstream", str(store / "jetstream")))
    env = dict(os.environ, **{password_variable(user): pw for user, pw in passwords.items()})
    with open(store / "nats.log", "wb") as log:
        proc = subprocess.Popen([nats_server.binary(), "-c", str(store / "nats.conf")], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    return proc, Server(port, passwords)


def embedded_server(store: Path) -> tuple[subprocess.Popen, Server]:
    """The server ``scpln up`` starts: its generated passwords, its configuration."""
    port, passwords = nats_server.free_port(), nats_credentials.ensure_passwords(store)
    return nats_server.start(store / "jetstream", port, passwords=passwords), Server(port, passwords)


@pytest.fixture(scope="module", params=["deploy", "embedded"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    starter = deployed_server if request.param == "deploy" else embedded_server
    proc, running = starter(tmp_path_factory.mktemp(request.param))
    try:
        assert nats_server.wait_listening(running.port)
        yield running
    finally:
        proc.terminate()
        proc.wait(10)


class Client:
    """A connection as one user, keeping the errors the server sent it."""

    def __init__(self, nc: nats.NATS, errors: list[str]) -> None:
        self.nc, self.js, self.errors = nc, nc.jetstream(timeout=0.5), errors

    async def refused(self, attempt, subject: str) -> None:  # type: ignore[no-untyped-def]
        """``attempt`` gets no answer (the server drops the message) and the server says it
        refused a publish to ``subject``."""
        expected = f'{VIOLATION} "{subject}"'.lower()
        with pytest.raises((TimeoutError, nats.errors.NoRespondersError)):
            await attempt
        for _ in range(100):
            if any(expected in error.lower() for error in self.errors):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {expected!r} reported: {self.errors}")


async def connect(server: Server, user: str) -> Client:
    errors: list[str] = []

    async def keep(error: Exception) -> None:
        errors.append(str(error))

    return Client(await nats.connect(server.url(user), error_cb=keep, allow_reconnect=False), errors)


@pytest.fixture()
async def as_user(server: Server) -> AsyncIterator:
    """``await as_user(name)``: a client of that user; the owner has declared the log."""
    clients: list[Client] = []

    async def make(user: str) -> Client:
        clients.append(client := await connect(server, user))
        return client

    owner = await make("plan_service")
    await bus.declare_stream(owner.js, max_bytes=64 * 1024**2)
    yield make
    for client in clients:
        await client.nc.close()


def progress() -> JobProgress:
    return JobProgress(correlation_id="j", producer="t", job_id="j", job_type=JobType.simulation,
                       state=JobState.running, progress=0.5)


def forged(event_type) -> bytes:  # type: ignore[no-untyped-def]
    fields = {"correlation_id": "x", "producer": "forger"}
    if event_type is RunCompleted:
        return encode(RunCompleted.model_construct(**fields, run_id="r", plan_version_id="p"))
    return encode(PlanCreated.model_construct(**fields, plan_version_id="p"))


async def test_a_client_without_a_known_user_and_password_is_refused(server):
    base = f"127.0.0.1:{server.port}"
    for url in (f"nats://{base}", f"nats://mallory:guess@{base}", f"nats://operator:wrong@{base}"):
        with pytest.raises(Exception, match="[Aa]uthorization"):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2,
                               error_cb=_ignore)


async def _ignore(_error: Exception) -> None:
    pass


async def test_nobody_deletes_or_purges_the_log_and_only_its_owner_and_the_operator_change_it(as_user):
    owner = await as_user("plan_service")
    await owner.js.publish(subjects.JOB_PROGRESS, encode(progress()))
    before = await owner.js.stream_info(subjects.STREAM_NAME)
    for user in USERS:
        client = await as_user(user)
        await client.refused(client.js.delete_stream(subjects.STREAM_NAME), f"$JS.API.STREAM.DELETE.{subjects.STREAM_NAME}")
        await client.refused(client.js.purge_stream(subjects.STREAM_NAME), f"$JS.API.STREAM.PURGE.{subjects.STREAM_NAME}")
    for user in ("ui_gateway", "simulator", "run_registry"):
        client = await as_user(user)
        shrunk = StreamConfig.from_response(before.config.as_dict())
        shrunk.max_msgs = 2
        await client.refused(client.js.update_stream(shrunk), f"$JS.API.STREAM.UPDATE.{subjects.STREAM_NAME}")
    operator = await as_user("operator")
    await bus.declare_stream(operator.js, max_bytes=64 * 1024**2)  # the operator may (re)declare it
    after = await owner.js.stream_info(subjects.STREAM_NAME)
    assert after.state.messages == before.state.messages and after.config.max_msgs == -1


async def test_a_service_publishes_only_the_events_it_owns(as_user):
    gateway, simulator = await as_user("ui_gateway"), await as_user("simulator")
    before = (await simulator.js.stream_info(subjects.STREAM_NAME)).state.messages
    await gateway.refused(gateway.js.publish(subjects.RUN_COMPLETED, forged(RunCompleted)), subjects.RUN_COMPLETED)
    await simulator.refused(simulator.js.publish(subjects.PLAN_CREATED, forged(PlanCreated)), subjects.PLAN_CREATED)
    for user in ("ui_gateway", "simulator", "plan_service", "run_registry"):
        client = await as_user(user)  # an admin forged into the identity facts
        await client.refused(client.js.publish(subjects.USER_ADDED, b"{}"), subjects.USER_ADDED)
    assert (await simulator.js.stream_info(subjects.STREAM_NAME)).state.messages == before
    await simulator.js.publish(subjects.JOB_PROGRESS, encode(progress()))  # what it owns, it may
    assert (await simulator.js.stream_info(subjects.STREAM_NAME)).state.messages == before + 1


async def test_only_the_operator_may_ask_for_a_swap_of_the_registry(as_user):
    for user in ("ui_gateway", "plan_service", "simulator"):
        client = await as_user(user)
        await client.refused(client.nc.request(subjects.CMD_REGISTRY_SWAP, b"{}", timeout=1), subjects.CMD_REGISTRY_SWAP)


async def test_a_large_object_written_by_one_service_is_read_by_another_through_flow_control(as_user):
    """Object reads are ordered consumers: the server asks for flow control on large objects."""
    simulator, gateway = await as_user("simulator"), await as_user("ui_gateway")
    data = os.urandom(12 * 1024**2)
    store = await simulator.js.create_object_store(subjects.RESULTS_BUCKET)
    await store.put("big.json.gz", data)
    reader = await gateway.js.object_store(subjects.RESULTS_BUCKET)
    assert (await asyncio.wait_for(reader.get("big.json.gz"), 30)).data == data  # stalls without flow control
    assert not [error for error in gateway.errors + simulator.errors if "Violation" in error]
