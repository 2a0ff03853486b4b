"""The gateway and the bus: 503 while NATS is unreachable, healthy once it appears; the
registry's status through the gateway; a request larger than the bus carries."""

import asyncio
import socket

import httpx
import nats

from contracts.identity import TokenIssued, UserAdded
from runtime import bus as bus_runtime
from runtime import identity, nats_server
from services.run_registry.app import main as registry_main
from services.run_registry.settings import Settings as RegistrySettings
from services.ui_gateway.app import create_app
from services.ui_gateway.bus import NatsBus
from services.ui_gateway.settings import Settings
from tests.integration.conftest import Running
from tests.integration.test_registry_operations import publish_runs


async def test_healthz_is_503_until_nats_is_reachable_then_200(tmp_path):
    """Until the bus answers and the identity facts are read, nothing is served (a token cannot
    be checked yet); then the token issued in the log works and the registry is asked."""
    port = nats_server.free_port()
    bus = NatsBus(f"nats://127.0.0.1:{port}", timeout=1)
    app = create_app(Settings(scpln_data_dir=tmp_path), bus=bus)
    transport = httpx.ASGITransport(app=app)
    proc = None
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        bus.start()
        try:
            response = await client.get("/healthz")
            assert response.status_code == 503 and response.json()["nats"] is False
            runs = await client.get("/runs", headers={"Authorization": "Bearer scpln_x"})
            assert runs.status_code == 503
            proc = nats_server.start(tmp_path / "js", port)
            assert nats_server.wait_listening(port)
            nc = await nats.connect(f"nats://127.0.0.1:{port}")
            js = nc.jetstream()
            await bus_runtime.declare_stream(js, max_bytes=64 * 1024**2)
            token = await issue_token(js, "ana", "viewer")
            for _ in range(100):
                if (await client.get("/healthz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await client.get("/healthz")).json() == {"status": "ok", "nats": True, "identities": True,
                                                            "trouble": [], "storage": []}
            # the follower may have caught up before the token was stored: it learns it live
            for _ in range(100):
                no_registry = await client.get("/runs", headers={"Authorization": f"Bearer {token}"})
                if no_registry.status_code != 401:
                    break
                await asyncio.sleep(0.1)
            assert no_registry.status_code == 503 and "no answer" in no_registry.json()["detail"]
            await nc.close()
        finally:
            await bus.close()
            if proc:
                proc.terminate()
                proc.wait(5)


async def issue_token(js, username: str, role: str) -> str:  # type: ignore[no-untyped-def]
    """A user and a token of theirs, stored in the log as ``scpln users add`` / ``tokens create`` do."""
    known = await identity.load(js)
    seq = await identity.publish(js, UserAdded(username=username, role=role, password_hash=identity.hash_password("x"),
                                               added_by="test", correlation_id=username, producer="test"), known.last_seq)
    token_id, secret, sha = identity.new_token()
    await identity.publish(js, TokenIssued(token_id=token_id, username=username, token_sha256=sha, issued_by="test",
                                           correlation_id=username, producer="test"), seq)
    return secret


def test_the_port_check_sees_a_port_in_use():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert nats_server.port_in_use(sock.getsockname()[1])


async def test_the_gateway_shows_what_retention_dropped_and_refuses_a_request_too_large_for_the_bus(fresh_nats, js, tmp_path):
    settings = RegistrySettings(nats_url=fresh_nats, scpln_db=tmp_path / "registry.db", runs_db_max_rows=2, fetch_timeout_s=0.2)
    registry = Running(registry_main, settings)
    bus = NatsBus(fresh_nats, timeout=5)
    transport = httpx.ASGITransport(app=create_app(Settings(scpln_auth="off"), bus=bus))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        bus.start()
        try:
            seq = await publish_runs(js, range(3))
            for _ in range(100):  # until the registry has started and answers
                status = await client.get("/registry/status", params={"min_seq": seq})
                if status.status_code != 503:
                    break
                await asyncio.sleep(0.1)
            assert status.status_code == 200, status.text
            assert (status.json()["runs"], status.json()["runs_dropped_by_retention"]) == (2, 1)
            assert "1 older run(s) dropped" in (await client.get("/ui/runs", params={"min_seq": seq})).text
            # within the gateway's 1 MiB for a body, but larger than a message once it is a command
            big = {"base_scenario_id": "s" * (bus.nc.max_payload - 100), "config_version_id": "cfg_1"}
            refused = await client.post("/plans", json=big)
            assert refused.status_code == 413 and "the message bus carries at most" in refused.json()["detail"]
        finally:
            await bus.close()
            await registry.stop()


async def test_two_gateways_and_two_registries_each_answer_from_the_same_log(fresh_nats, js, tmp_path):
    """Registries answer queries as one queue group, each from its own read model of the whole
    log; gateways keep nothing of their own: either serves any request."""
    registries = [Running(registry_main, RegistrySettings(
        nats_url=fresh_nats, scpln_db=tmp_path / f"registry-{i}.db", scpln_data_dir=tmp_path / f"registry-{i}",
        fetch_timeout_s=0.2)) for i in range(2)]
    buses = [NatsBus(fresh_nats, timeout=5) for _ in range(2)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(Settings(scpln_auth="off"), bus=bus)),
                                 base_url="http://gateway") for bus in buses]
    for bus in buses:
        bus.start()
    try:
        seq = await publish_runs(js, range(3))
        answered: set[tuple[int, str]] = set()  # (gateway, the data directory of the registry that answered)
        for _ in range(400):
            for n, client in enumerate(clients):
                status = await client.get("/registry/status", params={"min_seq": seq})
                if status.status_code == 200:
                    assert status.json()["runs"] == 3  # each registry projected every run
                    answered.add((n, status.json()["storage"][0]["data_dir"]))
            if {n for n, _ in answered} == {0, 1} and len({d for _, d in answered}) == 2:
                break
            if not answered:
                await asyncio.sleep(0.05)  # no registry answers yet: they are starting
        assert {n for n, _ in answered} == {0, 1} and len({d for _, d in answered}) == 2, answered
    finally:
        for client, bus in zip(clients, buses, strict=True):
            await client.aclose()
            await bus.close()
        for registry in registries:
            await registry.stop()
