"""Fixtures of the end-to-end tests."""

from collections.abc import Iterator

import pytest

from tests.e2e.system import System, permission_violations, start_system, stop_system


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The system as ``scpln up`` runs it; afterwards, its bus refused nothing it was asked
    (the default permissions are enough for every feature the module's tests used)."""
    data_dir = tmp_path_factory.mktemp("scpln-data")
    running = start_system(data_dir)
    try:
        yield running
    finally:
        stop_system(running)
    assert not permission_violations(running), permission_violations(running)
