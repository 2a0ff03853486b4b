"""A bus outage is said once when it starts, once a minute while it lasts, once when it ends."""

import logging

from nats.errors import SlowConsumerError, UnexpectedEOF

from runtime.outage import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    return [record.getMessage() for record in caplog.records if record.name == "test.outage"]


async def test_an_outage_is_one_line_then_one_a_minute_then_one_when_it_ends(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    outage = OutageLog(logging.getLogger("test.outage"), clock=clock)
    await outage.on_disconnected()
    for _ in range(100):  # nats-py tries again every 0.5 s, on each connection of the service
        await outage.on_error(ConnectionRefusedError(111, "Connect call failed"))
        clock.now += 0.5
    assert len(lines(caplog)) == 1 and "unreachable (ConnectionRefusedError" in lines(caplog)[0]
    for _ in range(30):
        await outage.on_error(UnexpectedEOF())
        clock.now += 0.5
    assert len(lines(caplog)) == 2 and "is still unreachable after 60 s (121 failed attempts" in lines(caplog)[1]
    await outage.on_reconnected()
    assert len(lines(caplog)) == 3 and "is back after 65.0 s" in lines(caplog)[2]
    assert not outage.down


async def test_a_reconnection_without_failed_attempts_says_nothing_and_other_errors_are_said_once_a_minute(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    outage = OutageLog(logging.getLogger("test.outage"), clock=clock)
    await outage.on_disconnected()
    await outage.on_reconnected()
    assert lines(caplog) == []
    for _ in range(10):
        await outage.on_error(SlowConsumerError("scpln.events.>", 7, 1, None))
    assert len(lines(caplog)) == 1 and lines(caplog)[0].startswith("bus error: SlowConsumerError")
    clock.now += 61
    await outage.on_error(SlowConsumerError("scpln.events.>", 7, 1, None))
    assert len(lines(caplog)) == 2


async def test_no_traceback_is_logged(caplog):
    outage = OutageLog(logging.getLogger("test.outage"))
    await outage.on_error(ConnectionRefusedError(111, "Connect call failed"))
    assert all(record.exc_info is None for record in caplog.records)
