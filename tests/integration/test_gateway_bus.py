"""The gateway and the bus: 503 while NATS is unreachable, healthy once it appears; the
registry's status through the gateway; a request larger than the bus carries."""

import asyncio
import socket

import httpx

from runtime import nats_server
from services.run_registry.app import main as registry_main
from services.run_registry.settings import Settings as RegistrySettings
from services.ui_gateway.app import create_app
from services.ui_gateway.bus import NatsBus
from services.ui_gateway.settings import Settings
from tests.integration.conftest import Running
from tests.integration.test_registry_operations import publish_runs


async def test_healthz_is_503_until_nats_is_reachable_then_200(tmp_path):
    port = nats_server.free_port()
    bus = NatsBus(f"nats://127.0.0.1:{port}", timeout=1)
    app = create_app(Settings(), bus=bus)
    transport = httpx.ASGITransport(app=app)
    proc = None
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        bus.start()
        try:
            response = await client.get("/healthz")
            assert response.status_code == 503 and response.json()["nats"] is False
            runs = await client.get("/runs")
            assert runs.status_code == 503 and "not connected" in runs.json()["detail"]
            proc = nats_server.start(tmp_path / "js", port)
            for _ in range(100):
                if (await client.get("/healthz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await client.get("/healthz")).json() == {"status": "ok", "nats": True}
            no_registry = await client.get("/runs")
            assert no_registry.status_code == 503 and "no answer" in no_registry.json()["detail"]
        finally:
            await bus.close()
            if proc:
                proc.terminate()
                proc.wait(5)


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
