"""Fixtures of the end-to-end tests."""

from collections.abc import Iterator

import pytest

from tests.e2e.system import System, start_system, stop_system


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    data_dir = tmp_path_factory.mktemp("scpln-data")
    running = start_system(data_dir)
    try:
        yield running
    finally:
        stop_system(running)
