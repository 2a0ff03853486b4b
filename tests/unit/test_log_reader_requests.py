"""The log reader's pull requests, against a fake connection: two batches asked ahead, in
requests bounded in messages and in bytes. A request that ended early (expired, or its bytes
used up) no longer owes what its status says it did not bring, whenever that status comes;
any other 409 restarts the read."""

import json

import pytest

from runtime.direct_log_reader import REQUEST_BYTES, _Consumer, _Resume
from runtime.log_reader import LogMessage


class FakeConnection:
    def __init__(self, max_payload: int = 1024**2) -> None:
        self.max_payload = max_payload
        self.requests: list[dict] = []

    async def publish(self, subject: str, payload: bytes, reply: str = "") -> None:
        assert subject == "$JS.API.CONSUMER.MSG.NEXT.SCPLN_EVENTS.reader"
        self.requests.append(json.loads(payload))


class FakeJetStream:
    def __init__(self, nc: FakeConnection) -> None:
        self._nc = nc


def _consumer(batch: int = 3, max_payload: int = 1024**2) -> tuple[_Consumer, FakeConnection]:
    nc = FakeConnection(max_payload)
    consumer = _Consumer(FakeJetStream(nc), batch)  # type: ignore[arg-type]
    consumer.name = "reader"
    return consumer, nc


def _data(seq: int, pending: int = 100) -> tuple[bytes, bytes, bytes, None]:
    reply = f"$JS.ACK.SCPLN_EVENTS.reader.1.{seq}.{seq}.1700000000000000000.{pending}".encode()
    return reply, b"scpln.events.run.completed", b"{}", None


def _status(line: str, unbrought: int | None = None) -> tuple[bytes, bytes, bytes, bytes]:
    pending = "" if unbrought is None else f"Nats-Pending-Messages: {unbrought}\r\nNats-Pending-Bytes: 9\r\n"
    return b"", b"_INBOX.x", b"", f"NATS/1.0 {line}\r\n{pending}\r\n".encode()


async def test_two_batches_are_asked_ahead_in_requests_bounded_in_messages_and_bytes():
    consumer, nc = _consumer(batch=3)
    await consumer.ask()
    await consumer.ask()
    assert nc.requests == [{"batch": 3, "max_bytes": REQUEST_BYTES, "expires": 10_000_000_000}] * 2


def test_a_request_always_has_room_for_the_largest_message_the_server_takes():
    consumer, _ = _consumer(max_payload=8 * 1024**2)
    assert consumer.max_bytes >= 8 * 1024**2 + 64 * 1024


async def test_what_was_brought_is_asked_for_again():
    consumer, nc = _consumer(batch=3)
    await consumer.ask()
    into: list[LogMessage] = []
    assert not consumer.accept([_data(1), _data(2)], 100, into)
    await consumer.ask()
    assert len(nc.requests) == 3  # two of six brought: four owed, a third request asked
    assert not consumer.accept([_data(3), _data(4), _data(5)], 100, into)
    await consumer.ask()
    assert len(nc.requests) == 4
    assert [m.seq for m in into] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("line", ["409 Message Size Exceeds MaxBytes", "408 Request Timeout"])
async def test_a_request_ended_early_owes_nothing_more_even_when_its_status_comes_late(line):
    consumer, nc = _consumer(batch=3)
    await consumer.ask()
    into: list[LogMessage] = []
    # the first request brought one of three and ended; its status came after the second's first message
    assert not consumer.accept([_data(1), _data(2), _status(line, unbrought=2)], 100, into)
    assert consumer.owed == 2  # what the second request has still to bring
    await consumer.ask()
    assert len(nc.requests) == 4
    assert [m.seq for m in into] == [1, 2]


async def test_a_status_without_the_count_asks_afresh():
    consumer, nc = _consumer(batch=3)
    await consumer.ask()
    consumer.accept([_status("408 Request Timeout")], 100, [])
    await consumer.ask()
    assert len(nc.requests) == 4


async def test_a_consumer_gone_restarts_the_read():
    consumer, _ = _consumer()
    await consumer.ask()
    with pytest.raises(_Resume, match="Consumer Deleted"):
        consumer.accept([_data(1), _status("409 Consumer Deleted")], 100, [])
