"""Fixtures shared by every test level.

``nats_url`` provides a real nats-server with JetStream: ``NATS_URL`` when set, else
testcontainers' NATS container when a Docker daemon answers, else the ``nats-server`` binary
from the virtualenv on a random port with a temporary store.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from runtime import nats_server


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - no daemon, no client config: no container
        return False


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("NATS_URL"):
        yield url
        return
    if _docker_answers():
        from testcontainers.community.nats import NatsContainer

        with NatsContainer(jetstream=True) as container:
            yield container.nats_uri()
        return
    with running_nats(tmp_path_factory.mktemp("nats")) as url:
        yield url


@pytest.fixture()
def fresh_nats(tmp_path: Path) -> Iterator[str]:
    """A nats-server of this test's own, for tests that need an empty event log."""
    with running_nats(tmp_path / "nats") as url:
        yield url


@contextmanager
def running_nats(store: Path) -> Iterator[str]:
    """The virtualenv's nats-server with JetStream on a free port, stopped afterwards."""
    port = nats_server.free_port()
    proc = nats_server.start(store, port)
    try:
        if not nats_server.wait_listening(port):
            raise RuntimeError("nats-server did not start")
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
