"""Raw delivery of one subscription's messages, taken straight from the connection's parser.

Bulk readers of the event log (start-up folds, registry rebuilds) receive hundreds of
thousands of messages in a row; nats-py would build a ``Msg`` object, parse the headers and
pass an ``asyncio.Queue`` for each. A ``DirectInbox`` instead receives ``(reply, subject,
data, headers)`` as the parser produced them (bytes, headers unparsed) into a plain list,
and the reader takes them all at once.

nats-py has no public hook for this; two of its internals are wrapped, once per connection:

- the parser's ``parse(data)``: the complete ``MSG``/``HMSG`` messages of registered
  subscriptions at the front of the buffer are cut out of one copy of it, by the offsets in
  their control lines, and put in their inbox. An incomplete one waits in the buffer for the
  next read; anything else (another subscription's message, ``PING``, ``INFO``, an error, a
  malformed line) is left, with everything after it, to nats-py's own parser. That is most
  of a bulk read's CPU: nats-py's parser matches two regular expressions and copies the
  buffer twice per message.
- the connection's ``_process_msg(sid, subject, reply, data, headers)``, which nats-py's
  parser calls: a registered subscription's message goes to its inbox, any other to nats-py.

Checked against nats-py 2.16.0 (``CHECKED_NATS_PY``; ``tests/unit/test_direct_delivery.py``
and the log readers' contract tests cover it). ``missing_internals`` names what a connection
lacks of what is wrapped; the log reader reads publicly on any other version or when something
is missing.
"""

import asyncio
import contextlib
import re
from typing import Any

from nats.aio.client import Client

try:
    from nats.protocol.parser import AWAITING_CONTROL_LINE
except ImportError:  # another nats-py: missing_internals says so, and nothing here is used
    AWAITING_CONTROL_LINE = None  # type: ignore[assignment]

CHECKED_NATS_PY = "2.16.0"

RawMessage = tuple[bytes, bytes, bytes, bytes | None]
"""(reply subject, subject, payload, raw headers or None) as the protocol parser read them."""

_ROUTES = "_scpln_direct_routes"


class DirectInbox:
    """Messages of one subscription, kept in arrival order until taken."""

    def __init__(self) -> None:
        self._messages: list[RawMessage] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, message: RawMessage) -> None:
        self._messages.append(message)
        self.wake()

    def arrivals(self) -> list[RawMessage]:
        """The list new messages are appended to, in place (``wake`` the reader after)."""
        return self._messages

    def wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self, wait_s: float) -> list[RawMessage]:
        """Every message received so far, waiting up to ``wait_s`` for the first one."""
        if not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._waiter, wait_s)
            self._waiter = None
        taken, self._messages = self._messages, []
        return taken


def missing_internals(nc: Client) -> list[str]:
    """The nats-py internals wrapped here that ``nc`` lacks (none on the version checked)."""
    parser = getattr(nc, "_ps", None)
    wanted = {
        "nats.protocol.parser.AWAITING_CONTROL_LINE": AWAITING_CONTROL_LINE is not None,
        "Client._process_msg": callable(getattr(nc, "_process_msg", None)),
        "Client._ps": parser is not None,
        "Parser.parse": callable(getattr(parser, "parse", None)),
        "Parser.buf": isinstance(getattr(parser, "buf", None), bytearray),
        "Parser.state": hasattr(parser, "state"),
    }
    return [name for name, present in wanted.items() if not present]


def _routes(nc: Client) -> dict[int, DirectInbox]:
    routes: dict[int, DirectInbox] | None = getattr(nc, _ROUTES, None)
    if routes is None:
        routes = {}
        _route_processed_messages(nc, routes)
        _route_parsed_messages(nc, routes)
        setattr(nc, _ROUTES, routes)
    return routes


def _route_processed_messages(nc: Client, routes: dict[int, DirectInbox]) -> None:
    default = nc._process_msg

    async def process_msg(sid: int, subject: bytes, reply: bytes, data: bytes, headers: Any) -> None:
        inbox = routes.get(sid)
        if inbox is None:
            await default(sid, subject, reply, data, headers)
        else:
            inbox.put((reply, subject, data, headers))

    nc._process_msg = process_msg  # type: ignore[method-assign]


def _route_parsed_messages(nc: Client, routes: dict[int, DirectInbox]) -> None:
    parser = nc._ps  # one per connection; a reconnect resets it in place
    default = parser.parse

    async def parse(data: bytes = b"") -> None:
        parser.buf.extend(data)
        if parser.state == AWAITING_CONTROL_LINE and routes:
            taken, incomplete = deliver_routed(bytes(parser.buf), routes)
            del parser.buf[:taken]
            if incomplete or not parser.buf:
                return
        await default()

    parser.parse = parse  # type: ignore[method-assign]


_HMSG = re.compile(rb"HMSG (\S+) (\d+) (?:(\S+) )?(\d+) (\d+)\r\n")
_MSG = re.compile(rb"MSG (\S+) (\d+) (?:(\S+) )?(\d+)\r\n")
"""Control lines as nats-server writes them (single spaces); nats-py's parser takes any other.
Names are ``\\S+``, as nats-py's own parser reads them: sre matches that class a quarter
faster than ``[^ \\r\\n]+``, and the control line is a bulk read's largest single cost."""


def _starts_message(head: bytes) -> bool:
    return head.startswith((b"HMSG ", b"MSG ")) or b"HMSG ".startswith(head) or b"MSG ".startswith(head)


def deliver_routed(buffer: bytes, routes: dict[int, DirectInbox]) -> tuple[int, bool]:
    """Put the complete messages of routed subscriptions at the front of ``buffer`` (NATS
    protocol) in their inboxes. Return the bytes they took, and whether what follows them is
    the start of a message still being received (else it is for nats-py's parser)."""
    received: list[DirectInbox] = []
    try:
        return _cut(buffer, routes, received)
    finally:
        for inbox in received:
            inbox.wake()


def _cut(buffer: bytes, routes: dict[int, DirectInbox], received: list[DirectInbox]) -> tuple[int, bool]:
    at, size = 0, len(buffer)
    sid, arrivals = b"", None
    while at < size:
        frame = _HMSG.match(buffer, at)
        if frame is not None:
            subject, frame_sid, reply, header_size, total_size = frame.groups()
        else:
            frame = _MSG.match(buffer, at)
            if frame is None:  # a message's control line still arriving, or anything else: nats-py's
                return at, buffer.find(b"\r\n", at) < 0 and _starts_message(buffer[at:at + 5])
            subject, frame_sid, reply, total_size = frame.groups()
            header_size = None
        if frame_sid != sid:
            inbox = routes.get(int(frame_sid))
            if inbox is None:
                return at, False
            sid, arrivals = frame_sid, inbox.arrivals()
            received.append(inbox)
        start = frame.end()
        end = start + int(total_size)
        if end + 2 > size:
            return at, True
        if header_size is None:
            arrivals.append((reply or b"", subject, buffer[start:end], None))  # type: ignore[union-attr]
        else:
            split = start + int(header_size)
            if split > end:
                return at, False  # nats-py's parser reports it
            arrivals.append((reply or b"", subject, buffer[split:end], buffer[start:split]))  # type: ignore[union-attr]
        at = end + 2
    return at, False


async def subscribe_direct(nc: Client, subject: str) -> tuple[Any, DirectInbox]:
    """Subscribe to ``subject``; its messages go to the returned inbox, not to nats-py's queue."""
    inbox = DirectInbox()
    subscription = await nc.subscribe(subject)
    _routes(nc)[subscription._id] = inbox
    return subscription, inbox


async def unsubscribe_direct(nc: Client, subscription: Any) -> None:
    _routes(nc).pop(subscription._id, None)
    await subscription.unsubscribe()
