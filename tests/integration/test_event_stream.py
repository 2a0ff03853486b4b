"""Declaring the event log against a real nats-server: the embedded server holds its full
reservation whatever the free disk space; a server that cannot says so, naming the settings."""

import nats
import pytest

from contracts import subjects
from runtime import bus, nats_server


async def _declared(store, max_file_store: str, max_bytes: int):  # type: ignore[no-untyped-def]
    port = nats_server.free_port()
    server = nats_server.start(store, port, max_file_store=max_file_store)
    try:
        assert nats_server.wait_listening(port)
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        try:
            js = nc.jetstream()
            await bus.declare_stream(js, max_bytes)
            return (await js.stream_info(subjects.STREAM_NAME)).config.max_bytes
        finally:
            await nc.close()
    finally:
        server.terminate()
        server.wait(5)


async def test_the_embedded_server_reserves_the_whole_event_log(tmp_path):
    assert await _declared(tmp_path, nats_server.MAX_FILE_STORE, bus.MAX_STORAGE_BYTES) == bus.MAX_STORAGE_BYTES


async def test_a_server_with_less_storage_refuses_with_what_to_change(tmp_path):
    with pytest.raises(bus.StreamStorageError, match="STREAM_MAX_BYTES") as refused:
        await _declared(tmp_path, "64MB", 1024**3)
    assert "max_file_store" in str(refused.value)
