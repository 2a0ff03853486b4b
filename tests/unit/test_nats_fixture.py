"""The tests' one NATS server: which one is used, and that testcontainers' container is really
started (with JetStream, the binary's version) when a Docker daemon answers."""

from pathlib import Path
from typing import ClassVar, Self

from tests.nats_fixture import choose, image, session_server


class FakeContainer:
    started: ClassVar[list[dict]] = []

    def __init__(self, **options: object) -> None:
        self.options = options

    def __enter__(self) -> Self:
        FakeContainer.started.append(self.options)
        return self

    def __exit__(self, *exc: object) -> None:
        FakeContainer.started.append({"stopped": True})

    def nats_uri(self) -> str:
        return "nats://container:4222"


def never_asked() -> bool:
    raise AssertionError("the Docker daemon is asked only when no test server is named")


def test_a_named_test_server_comes_first_then_a_container_when_docker_answers_else_the_binary():
    assert choose("nats://ci:4222", never_asked) == "env"
    assert choose(None, lambda: True) == "container"
    assert choose(None, lambda: False) == "binary"
    assert choose("", lambda: False) == "binary"


def test_the_container_is_started_with_jetstream_and_stopped_after_the_session(tmp_path: Path):
    FakeContainer.started = []
    with session_server("container", tmp_path, container=FakeContainer) as url:
        assert url == "nats://container:4222"
        assert FakeContainer.started == [{"jetstream": True}]
    assert FakeContainer.started[-1] == {"stopped": True}


def test_a_named_server_is_used_as_it_is(tmp_path: Path):
    with session_server("env", tmp_path, "nats://ci:4222", container=FakeContainer) as url:
        assert url == "nats://ci:4222"


def test_the_container_runs_the_binarys_version():
    assert image().startswith("nats:2.") and image().count(".") == 2
