"""Fixtures shared by every test level.

``nats_url`` is the session's one nats-server with JetStream (``tests/nats_fixture``):
``SCPLN_TEST_NATS_URL`` when set, else testcontainers' NATS container when a Docker daemon
answers, else the ``nats-server`` binary of the virtualenv. ``fresh_nats`` is that server with
an empty JetStream, for a test that needs an empty event log. ``settled`` records how the
wiring tests' ``TestNatsBroker`` deliveries were acknowledged.
"""

import os
from collections.abc import Iterator

import pytest

from tests.nats_fixture import choose, docker_answers, empty_jetstream, session_server


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    test_url = os.environ.get("SCPLN_TEST_NATS_URL")
    with session_server(choose(test_url, docker_answers), tmp_path_factory.mktemp("nats"), test_url) as url:
        yield url


@pytest.fixture()
def fresh_nats(nats_url: str) -> str:
    """The session's server with every stream a test before left deleted: the event log, its
    consumers and the object store's buckets start empty, as on a server of this test's own."""
    empty_jetstream(nats_url)
    return nats_url


@pytest.fixture()
def settled(monkeypatch):  # type: ignore[no-untyped-def]
    """How each message delivered through ``TestNatsBroker`` was settled: ("ack",) or ("nak", delay)."""
    from faststream.nats.testing import PatchedMessage

    outcomes: list[tuple] = []

    async def ack(self) -> None:  # type: ignore[no-untyped-def]
        outcomes.append(("ack",))

    async def nak(self, delay=None) -> None:  # type: ignore[no-untyped-def]
        outcomes.append(("nak", delay))

    monkeypatch.setattr(PatchedMessage, "ack", ack)
    monkeypatch.setattr(PatchedMessage, "nak", nak)
    return outcomes

