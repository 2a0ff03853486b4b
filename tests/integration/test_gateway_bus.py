"""The gateway and the bus: 503 while NATS is unreachable, healthy once it appears."""

import asyncio
import socket

import httpx

from runtime import nats_server
from services.ui_gateway.app import create_app
from services.ui_gateway.bus import NatsBus
from services.ui_gateway.settings import Settings


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
