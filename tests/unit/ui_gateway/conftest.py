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
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(nats_url="nats://fake:4222", scpln_data_dir=tmp_path)


@pytest.fixture()
def client(bus: FakeBus, settings: Settings):  # type: ignore[no-untyped-def]
    """Signed in as an admin through an API token (the routes' own tests); see test_auth for the rest."""
    with TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {bus.tokens['admin']}"}) as test_client:
        yield test_client
