"""Declaring the event log against a real nats-server: the embedded server holds its full
reservation whatever the free disk space; a server that cannot says so, naming the settings;
a cluster keeps as many copies as asked."""

import asyncio
import json
import subprocess

import nats
import pytest
from nats.js.errors import APIError

from contracts import subjects
from runtime import bus, nats_server
from runtime.objects import bucket_config, declare_buckets


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


def _cluster(tmp_path) -> tuple[list[subprocess.Popen], list[int]]:  # type: ignore[no-untyped-def]
    """Three JetStream servers routed to each other on loopback; their client ports."""
    ports = [nats_server.free_port() for _ in range(6)]
    clients, routes = ports[:3], ports[3:]
    servers = []
    for n in range(3):
        conf = tmp_path / f"n{n}.conf"
        conf.write_text(f"server_name: n{n}\nlisten: 127.0.0.1:{clients[n]}\n"
                        f"jetstream {{ store_dir: {json.dumps(str(tmp_path / f'n{n}'))}, max_file_store: 1GB }}\n"
                        f"cluster {{ name: scpln, listen: 127.0.0.1:{routes[n]}, routes: ["
                        + ", ".join(f"nats-route://127.0.0.1:{r}" for r in routes) + "] }\n")
        servers.append(subprocess.Popen([nats_server.binary(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT))
    return servers, clients


async def test_on_a_three_node_cluster_the_event_log_is_kept_on_every_node(tmp_path):
    """deploy/nats-cluster.conf's cluster, on loopback: plan_service's STREAM_REPLICAS=3."""
    servers, clients = _cluster(tmp_path)
    try:
        assert all(nats_server.wait_listening(port) for port in clients)
        nc = await nats.connect([f"nats://127.0.0.1:{port}" for port in clients])
        try:
            js = nc.jetstream()
            for _ in range(100):  # until the cluster has elected its JetStream meta leader
                try:
                    await bus.declare_stream(js, 64 * 1024**2, replicas=3)
                    break
                except (APIError, nats.errors.TimeoutError):
                    await asyncio.sleep(0.2)
            info = await js.stream_info(subjects.STREAM_NAME)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
            # the object buckets keep as many copies, also one made before with a single copy
            await js.create_object_store(subjects.RESULTS_BUCKET, config=bucket_config(subjects.RESULTS_BUCKET))
            await declare_buckets(js, replicas=3)
            for bucket in subjects.OBJECT_BUCKETS:
                assert (await js.stream_info(f"OBJ_{bucket}")).config.num_replicas == 3, bucket
        finally:
            await nc.close()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(10)
