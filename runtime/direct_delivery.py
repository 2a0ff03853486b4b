"""Raw delivery of one subscription's messages, taken straight from the connection's parser.

Bulk readers of the event log (start-up folds, registry rebuilds) receive hundreds of
thousands of messages in a row; nats-py would build a ``Msg`` object, parse the headers and
pass an ``asyncio.Queue`` for each. A ``DirectInbox`` instead receives ``(reply, subject,
data, headers)`` as the parser produced them (bytes, headers unparsed) into a plain list,
and the reader takes them all at once.

nats-py has no public hook for this: the connection's ``_process_msg(sid, subject, reply,
data, headers)`` is wrapped, once per connection, by a dispatcher that hands the messages of
registered subscriptions to their inbox and every other message to nats-py as before.
Pinned to nats-py 2.16.0 (``tests/integration/test_log_reader.py`` covers it).
"""

import asyncio
import contextlib
from typing import Any

from nats.aio.client import Client

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


def _routes(nc: Client) -> dict[int, DirectInbox]:
    routes: dict[int, DirectInbox] | None = getattr(nc, _ROUTES, None)
    if routes is None:
        routes = {}
        default = nc._process_msg

        async def process_msg(sid: int, subject: bytes, reply: bytes, data: bytes, headers: Any) -> None:
            inbox = routes.get(sid)
            if inbox is None:
                await default(sid, subject, reply, data, headers)
            else:
                inbox.put((reply, subject, data, headers))

        nc._process_msg = process_msg  # type: ignore[method-assign]
        setattr(nc, _ROUTES, routes)
    return routes


async def subscribe_direct(nc: Client, subject: str) -> tuple[Any, DirectInbox]:
    """Subscribe to ``subject``; its messages go to the returned inbox, not to nats-py's queue."""
    inbox = DirectInbox()
    subscription = await nc.subscribe(subject)
    _routes(nc)[subscription._id] = inbox
    return subscription, inbox


async def unsubscribe_direct(nc: Client, subscription: Any) -> None:
    _routes(nc).pop(subscription._id, None)
    await subscription.unsubscribe()
