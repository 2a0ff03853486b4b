"""The live projection gathers a trickle of events into one batch, unless the batch is full or a
reader waits for the read model to move (read-your-writes)."""

import asyncio
from types import SimpleNamespace

from services.run_registry.follow import delivered_in_order, gathered
from services.run_registry.position import Position


class FakeSubscription:
    def __init__(self, waiting: list) -> None:
        self.waiting, self.fetches = waiting, []

    async def fetch(self, batch: int, timeout: float) -> list:
        self.fetches.append(batch)
        if not self.waiting:
            raise TimeoutError
        taken, self.waiting = self.waiting[:batch], self.waiting[batch:]
        return taken


async def test_a_batch_that_is_not_full_takes_what_came_meanwhile_up_to_the_batch_size():
    sub = FakeSubscription(["c", "d", "e", "f"])
    assert await gathered(sub, ["a", "b"], 5, 0.001, Position()) == ["a", "b", "c", "d", "e"]
    assert sub.fetches == [3]


async def test_nothing_more_came_the_batch_is_applied_as_it_is():
    sub = FakeSubscription([])
    assert await gathered(sub, ["a"], 5, 0.001, Position()) == ["a"]


async def test_a_full_batch_and_a_waiting_reader_are_not_held_back():
    sub = FakeSubscription(["c"])
    assert await gathered(sub, ["a", "b"], 2, 10.0, Position()) == ["a", "b"]
    position = Position(last_seq=1)
    reader = asyncio.create_task(position.reached(2, timeout=10.0))
    await asyncio.sleep(0)
    assert position.readers_waiting
    assert await asyncio.wait_for(gathered(sub, ["a"], 5, 10.0, position), 5.0) == ["a"]
    assert sub.fetches == []
    await position.advance(2, 0)
    assert await reader and not position.readers_waiting


async def test_a_reader_that_comes_while_the_batch_is_gathered_ends_the_wait():
    sub, position = FakeSubscription(["b"]), Position(last_seq=0)
    gathering = asyncio.create_task(gathered(sub, ["a"], 5, 10.0, position))
    await asyncio.sleep(0)
    reader = asyncio.create_task(position.reached(1, timeout=10.0))
    assert await asyncio.wait_for(gathering, 5.0) == ["a", "b"]
    await position.advance(1, 0)
    assert await reader


def delivered(consumer_seq: int):  # type: ignore[no-untyped-def]
    return SimpleNamespace(metadata=SimpleNamespace(sequence=SimpleNamespace(consumer=consumer_seq)))


def test_deliveries_lost_while_the_bus_was_away_cut_the_batch_before_the_gap():
    msgs = [delivered(n) for n in (4, 5, 7, 8)]  # 6 was sent to the connection that went away
    assert delivered_in_order(msgs, 3) == msgs[:2]
    assert delivered_in_order(msgs, 2) == []
    assert delivered_in_order(msgs[:2], 3) == msgs[:2]
