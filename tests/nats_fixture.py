"""The tests' NATS server, one per session: where it comes from, and an empty JetStream per test.

- ``SCPLN_TEST_NATS_URL``: a server the tests may empty (not ``NATS_URL``, which may name a
  server whose data matters);
- else testcontainers' NATS module when a Docker daemon answers;
- else the ``nats-server`` binary of the virtualenv on a free port.

A test that needs an empty event log gets the session's server with every stream deleted
(``empty_jetstream``: the event log, its consumers, the object store's buckets) instead of a
server of its own; tests that need a server configured otherwise (users, limits, a cluster) or
that stop it start their own (``running_nats``).
"""

import asyncio
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import nats

from runtime import nats_server

Source = Literal["env", "container", "binary"]


def choose(test_url: str | None, docker_answers: Callable[[], bool]) -> Source:
    """Where the session's server comes from (the daemon is asked only when no URL is given)."""
    if test_url:
        return "env"
    return "container" if docker_answers() else "binary"


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - no daemon, no client config: no container
        return False


def image() -> str:
    """The NATS image of the binary's version (``nats-server: v2.15.1`` → ``nats:2.15.1``): the
    same server whichever way it runs."""
    said = subprocess.run([nats_server.binary(), "--version"], capture_output=True, text=True, check=True).stdout
    return "nats:" + said.strip().rsplit("v", 1)[1]


def _container(**options: Any) -> Any:
    from testcontainers.community.nats import NatsContainer

    return NatsContainer(image(), **options)


@contextmanager
def session_server(source: Source, store: Path, test_url: str | None = None,
                   container: Callable[..., Any] = _container) -> Iterator[str]:
    """The URL of the session's server, started (and stopped) as ``source`` says."""
    if source == "env":
        assert test_url
        yield test_url
    elif source == "container":
        with container(jetstream=True) as running:
            yield running.nats_uri()
    else:
        with running_nats(store) as url:
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


async def _delete_streams(url: str) -> list[str]:
    nc = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
    try:
        js = nc.jetstream()
        names = [info.config.name for info in await js.streams_info()]
        for name in names:
            await js.delete_stream(name)
        return names
    finally:
        await nc.close()


def empty_jetstream(url: str) -> list[str]:
    """Delete every stream of the server (on a thread of its own: callable from any fixture,
    whether an event loop runs or not); the names deleted."""
    deleted: list[str] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            deleted.extend(asyncio.run(_delete_streams(url)))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name="empty-jetstream")
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]
    return deleted
