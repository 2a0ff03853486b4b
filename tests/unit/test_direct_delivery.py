"""Direct delivery on a nats-py connection that is not connected: protocol bytes go into its
parser in chunks cut anywhere; routed subscriptions' messages reach their inbox, everything
else reaches nats-py, each in the order sent."""

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nats.aio.client import Client
from nats.errors import ProtocolError

from runtime.direct_delivery import DirectInbox, _routes, deliver_routed

ROUTED, OTHER = 7, 9


def frame(sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> bytes:
    args = [subject, str(sid).encode()] + ([reply] if reply else [])
    if headers is None:
        return b"MSG " + b" ".join([*args, str(len(data)).encode()]) + b"\r\n" + data + b"\r\n"
    sizes = [str(len(headers)).encode(), str(len(headers) + len(data)).encode()]
    return b"HMSG " + b" ".join([*args, *sizes]) + b"\r\n" + headers + data + b"\r\n"


messages = st.tuples(
    st.sampled_from([ROUTED, ROUTED, ROUTED, OTHER]),
    st.sampled_from([b"scpln.events.run.completed", b"_INBOX.abc"]),
    st.sampled_from([b"", b"$JS.ACK.SCPLN.c.1.5.5.1700000000000000000.0"]),
    st.binary(max_size=40).map(lambda b: b.replace(b"\r\n", b"..")),
    st.one_of(st.none(), st.just(b"NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n"), st.just(b"NATS/1.0 404 No Messages\r\n\r\n")),
)


def connection() -> tuple[Client, DirectInbox, list[tuple[Any, ...]], list[str]]:
    nc, to_nats, other_ops = Client(), [], []

    async def process_msg(sid: int, subject: bytes, reply: bytes, data: bytes, headers: Any) -> None:
        to_nats.append((sid, subject, reply, data, headers))

    async def process_ping() -> None:
        other_ops.append("PING")

    nc._process_msg = process_msg  # type: ignore[method-assign]
    nc._process_ping = process_ping  # type: ignore[method-assign]
    inbox = DirectInbox()
    _routes(nc)[ROUTED] = inbox
    return nc, inbox, to_nats, other_ops


def expected(sent: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    routed = [(reply, subject, data, headers) for sid, subject, reply, data, headers in sent if sid == ROUTED]
    others = [m for m in sent if m[0] != ROUTED]
    return routed, others


@settings(max_examples=300, deadline=None)
@given(st.lists(messages, max_size=12), st.lists(st.integers(min_value=1, max_value=60), max_size=30),
       st.booleans())
def test_chunks_cut_anywhere_deliver_every_message_once_in_order(sent, cuts, ping):
    stream = b"".join(frame(*m) for m in sent)
    if ping:
        stream = b"PING\r\n" + stream
    chunks, at = [], 0
    for cut in cuts:
        chunks.append(stream[at:at + cut])
        at += cut
    chunks.append(stream[at:])

    async def feed() -> tuple[list[Any], list[Any], list[str]]:
        nc, inbox, to_nats, other_ops = connection()
        for chunk in chunks:
            await nc._ps.parse(chunk)
        return await inbox.take(0), to_nats, other_ops

    routed, to_nats, other_ops = asyncio.run(feed())
    assert (routed, to_nats) == expected(sent)
    assert other_ops == (["PING"] if ping else [])


def test_a_whole_message_is_cut_out_of_the_buffer_by_offsets():
    inbox = DirectInbox()
    buffer = frame(ROUTED, b"scpln.events.x", b"$JS.ACK.a", b"{}", b"NATS/1.0\r\n\r\n") + frame(ROUTED, b"s", b"", b"x", None)
    assert deliver_routed(buffer, {ROUTED: inbox}) == (len(buffer), False)
    assert inbox._messages == [(b"$JS.ACK.a", b"scpln.events.x", b"{}", b"NATS/1.0\r\n\r\n"), (b"", b"s", b"x", None)]


def test_an_incomplete_routed_message_waits_and_anything_else_is_left_to_nats_py():
    inbox = DirectInbox()
    whole = frame(ROUTED, b"s", b"", b"payload", None)
    for cut in range(1, len(whole)):
        assert deliver_routed(whole[:cut], {ROUTED: inbox}) == (0, True)
    assert deliver_routed(whole + b"PING\r\n", {ROUTED: inbox}) == (len(whole), False)
    assert deliver_routed(frame(OTHER, b"s", b"", b"x", None), {ROUTED: inbox}) == (0, False)
    assert deliver_routed(b"MSG s notanumber 1\r\nx\r\n", {ROUTED: inbox}) == (0, False)
    assert deliver_routed(b"HMSG s 7 x 1\r\nx\r\n", {ROUTED: inbox}) == (0, False)
    assert inbox._messages == [(b"", b"s", b"payload", None)]


async def test_a_malformed_line_is_reported_by_nats_py():
    nc, *_ = connection()
    with pytest.raises(ProtocolError):
        await nc._ps.parse(b"MSG s 7 notanumber\r\nx\r\n")
