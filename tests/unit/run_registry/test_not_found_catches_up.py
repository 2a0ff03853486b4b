"""A query for something not in the read model yet is asked again once the read model holds
every event stored when it was asked: what a client was just told is accepted is found,
without a ``min_seq``; what does not exist is still not found, after one look at the log."""

import asyncio
from types import SimpleNamespace

from sqlalchemy import create_engine

from contracts.commands import ErrorReply
from contracts.envelope import Contract
from services.run_registry import handlers, queries
from services.run_registry.position import Position


class Found(Contract):
    seq: int


def live_at(seq: int, tail: int):  # type: ignore[no-untyped-def]
    """A read model at ``seq`` whose log holds ``tail`` events; its projection applies the rest soon."""
    position = Position(seq)
    asked = []

    async def caught_up_with_log(timeout: float) -> bool:
        asked.append(timeout)
        if tail <= position.last_seq:
            return False
        asyncio.get_running_loop().call_later(0.01, lambda: asyncio.ensure_future(position.advance(tail, 0)))
        return await position.reached(tail, timeout)

    return SimpleNamespace(engine=create_engine("sqlite://"), position=position,
                           caught_up_with_log=caught_up_with_log, asked=asked, sweeper=None)


def plan_stored_at(live, seq: int):  # type: ignore[no-untyped-def]
    def get(_conn, _query):  # type: ignore[no-untyped-def]
        if live.position.last_seq < seq:
            raise queries.NotFound("plan", "plan p1 does not exist")
        return Found(seq=live.position.last_seq)
    return get


async def test_a_plan_whose_event_is_still_on_its_way_is_found():
    live = live_at(5, tail=7)
    reply = await handlers.run_query(SimpleNamespace(), plan_stored_at(live, 7), live, wait_s=2.0)
    assert reply == Found(seq=7) and live.asked == [2.0]


async def test_what_does_not_exist_is_not_found_after_one_look_at_the_log():
    live = live_at(7, tail=7)
    reply = await handlers.run_query(SimpleNamespace(), plan_stored_at(live, 99), live, wait_s=2.0)
    assert isinstance(reply, ErrorReply) and reply.error == "plan_not_found" and live.asked == [2.0]


async def test_without_a_wait_the_read_model_answers_as_it_stands():
    live = live_at(5, tail=7)
    reply = await handlers.run_query(SimpleNamespace(), plan_stored_at(live, 7), live, wait_s=0)
    assert isinstance(reply, ErrorReply) and live.asked == []
