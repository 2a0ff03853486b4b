"""What nats-server does when its disk is full, and what the services make of it: a real server
with its store on a small tmpfs (skipped where a tmpfs cannot be mounted).

nats-server answers an event it cannot store with no reply at all, an object with a 500 naming
"no space left on device"; then it refuses every write to those streams, also once space is
back, and its health check names the write error, until it is restarted."""

import subprocess
from pathlib import Path

import nats
import pytest

from contracts.events import JobProgress, JobState, JobType
from runtime import bus, nats_server
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from runtime.storage import Storage, StorageFull
from tests.e2e.faults import MB, Tmpfs

RESERVE = 2 * MB


def progress(n: int) -> JobProgress:
    return JobProgress(correlation_id=f"job_{n}", producer="test", job_id=f"job_{n}", job_type=JobType.planning,
                       state=JobState.running, progress=0.5, message="x" * 200_000)


@pytest.fixture()
def disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    disk = Tmpfs(tmp_path / "disk", 24)
    if not disk.mount():
        pytest.skip(f"cannot mount a tmpfs here ({disk.reason}): run as root to try a full disk")
    yield disk
    disk.unmount()


def start(store: Path, port: int, monitor: int) -> subprocess.Popen:
    server = nats_server.start(store, port, monitor_port=monitor, log_file=store.parent / "nats.log")
    assert nats_server.wait_listening(port)
    return server


async def test_a_full_disk_is_named_refused_and_nats_server_stays_stuck_until_restarted(disk):
    port, monitor = nats_server.free_port(), nats_server.free_port()
    store, monitor_url = disk.where / "jetstream", f"http://127.0.0.1:{monitor}"
    server = start(store, port, monitor)
    try:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await bus.declare_stream(js, max_bytes=64 * MB)
        storage = Storage("test", disk.where, RESERVE, nats_monitor_url=monitor_url)
        publisher, objects = JetStreamPublisher(js, 2.0, storage), NatsObjectStore(js, storage)
        await objects.put("config", "scpln-configs", "small.json", b"{}")
        filler = disk.fill(leave=3 * MB)
        with pytest.raises(StorageFull) as full:
            for n in range(40):
                await publisher.publish(progress(n))
        assert "the event log's disk is full" in str(full.value) and storage.report().writes_failing
        assert storage.refusal() is not None and storage.refusal().error == "storage_full"  # type: ignore[union-attr]
        with pytest.raises(StorageFull) as object_full:
            await objects.put("big", "scpln-configs", "big.bin", b"\1" * (4 * MB))
        assert str(object_full.value).startswith("the object store's disk is full")
        assert "no space left on device" in str(object_full.value)

        filler.unlink()
        assert disk.free() > 10 * MB
        error = nats_server.write_error(monitor_url)
        assert error and "no space left on device" in error, "space is back, the server still refuses"
        with pytest.raises(StorageFull) as still:
            await publisher.publish(progress(99))
        assert "write error" in str(still.value) or "no space left" in str(still.value)
        await nc.close()

        server.terminate()
        server.wait(10)
        server = start(store, port, monitor)
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        publisher = JetStreamPublisher(nc.jetstream(), 2.0, storage)
        assert await publisher.publish(progress(100)) > 0
        assert nats_server.write_error(monitor_url) is None and not storage.report().writes_failing
        await nc.close()
    finally:
        server.terminate()
        server.wait(10)
