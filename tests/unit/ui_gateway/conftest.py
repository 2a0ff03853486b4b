"""Fixtures of the gateway's route tests: the app wired to a fake bus, no network."""

import pytest
from fastapi.testclient import TestClient

from services.ui_gateway.app import create_app
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import FakeBus, registry


@pytest.fixture()
def bus() -> FakeBus:
    return registry(FakeBus())


@pytest.fixture()
def client(bus: FakeBus):  # type: ignore[no-untyped-def]
    with TestClient(create_app(Settings(nats_url="nats://fake:4222"), bus)) as test_client:
        yield test_client
