"""The input limits over a real socket: the gateway served by uvicorn with the options of
``python -m services.ui_gateway`` (the bus is the unit tests' fake). What a test client cannot
show: headers arriving in pieces, a 200 MB upload refused before it is sent, a chunked body cut
off while the client is still sending, and what uvicorn itself answers beyond its own bound."""

import asyncio
import contextlib
import json

import pytest
import uvicorn

from contracts import subjects
from contracts.commands import PlanAccepted
from services.ui_gateway.app import create_app
from services.ui_gateway.limits import HEAD_MAX, HEADERS_MAX, SERVER_OPTIONS, MiB
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import FakeBus, registry


@pytest.fixture()
async def gateway(tmp_path):  # type: ignore[no-untyped-def]
    """(port, token) of the gateway listening on 127.0.0.1."""
    bus = registry(FakeBus())
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_2", job_id="job_2")
    app = create_app(Settings(nats_url="nats://fake:4222", scpln_data_dir=tmp_path), bus)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on",
                                           proxy_headers=False, **SERVER_OPTIONS))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[1], bus.tokens["admin"]
    server.should_exit = True
    await asyncio.wait_for(task, 10)


def head(method: str, path: str, token: str, *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}", *extra, "", ""]
    return "\r\n".join(lines).encode()


async def status_of(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the response (read until the connection closes or the body ends)."""
    status_line = await asyncio.wait_for(reader.readline(), 10)
    rest = b""
    with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
        while chunk := await asyncio.wait_for(reader.read(65536), 2):
            rest += chunk
            if b"\r\n\r\n" in rest and b'"detail"' in rest and rest.rstrip().endswith(b"}"):
                break
    return int(status_line.split()[1]), rest


async def send_in_pieces(writer: asyncio.StreamWriter, data: bytes, piece: int = 1024) -> None:
    for start in range(0, len(data), piece):
        writer.write(data[start:start + piece])
        await writer.drain()
        await asyncio.sleep(0)


async def test_headers_over_the_limit_arriving_in_pieces_are_a_431_and_past_uvicorns_bound_a_400(gateway):
    port, token = gateway
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await send_in_pieces(writer, head("GET", "/runs", token, f"X-Padding: {'p' * (2 * HEADERS_MAX)}"))
    status, body = await status_of(reader)
    assert status == 431 and b"larger than the 16 KiB read" in body
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    unfinished = head("GET", "/runs", token, f"X-Padding: {'p' * (HEAD_MAX + 2048)}")[:-4]
    await send_in_pieces(writer, unfinished)  # (a client still sending past this point sees a reset)
    status_line = await asyncio.wait_for(reader.readline(), 10)
    assert status_line.startswith(b"HTTP/1.1 400 "), "uvicorn answers, and closes the connection"


async def test_a_200_mb_upload_is_refused_before_it_is_sent(gateway):
    port, token = gateway
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head("POST", "/configs", token, "Content-Type: application/json", f"Content-Length: {200 * MiB}",
                      "Expect: 100-continue"))
    await writer.drain()
    status, body = await status_of(reader)
    assert status == 413 and b"larger than the 50 MiB POST /configs takes" in body
    assert b"100 Continue" not in body
    writer.close()


async def test_a_chunked_body_is_cut_off_while_the_client_still_sends(gateway):
    port, token = gateway
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head("POST", "/plans", token, "Content-Type: application/json", "Transfer-Encoding: chunked"))
    sent = 0

    async def send_forever() -> None:
        nonlocal sent
        chunk = b"x" * 65536
        with contextlib.suppress(ConnectionError):
            while sent < 100 * MiB:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)

    sending = asyncio.create_task(send_forever())
    status, body = await status_of(reader)
    sending.cancel()
    assert status == 413 and b"larger than the 1 MiB POST /plans takes" in body
    assert sent < 20 * MiB, "refused long before the client finished"
    writer.close()


async def test_a_10_kb_idempotency_key_is_a_422_not_a_reset(gateway):
    port, token = gateway
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1"}).encode()
    writer.write(head("POST", "/plans", token, "Content-Type: application/json", f"Content-Length: {len(body)}",
                      f"Idempotency-Key: {'k' * 10_000}") + body)
    await writer.drain()
    status, answer = await status_of(reader)
    assert status == 422 and b"idempotency-key" in answer and b"at most 200 characters" in answer
    writer.close()
