"""Folding one kind of fact of the log and following it live: an ordered consumer over one
subject filter (nats-py re-creates it after a gap or a reconnect). The gateway follows the
identity facts and maintenance mode this way; the ``scpln`` commands fold them once.
"""

import asyncio
from collections.abc import Callable, Sequence

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subjects


async def follow(js: JetStreamContext, filter_subject: str | Sequence[str], apply: Callable[[Msg], None],
                 after_seq: int, ready: asyncio.Event, heartbeat_s: float = 5.0) -> None:
    """``apply`` every message on ``filter_subject`` (one filter or several) stored after
    ``after_seq`` (0: from the start), then every new one, for as long as it runs. ``ready`` is
    set once the messages stored when following began are applied. The server's consumer is
    made again when two ``heartbeat_s`` pass without a heartbeat (after a restart of the server)."""
    filters = [filter_subject] if isinstance(filter_subject, str) else list(filter_subject)
    config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    if after_seq:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_seq + 1)
    if len(filters) > 1:
        config.filter_subjects = filters
    sub = await js.subscribe(filters[0], stream=subjects.STREAM_NAME, ordered_consumer=True, config=config,
                             idle_heartbeat=heartbeat_s)
    try:
        info = await sub.consumer_info()  # nothing delivered yet and nothing pending: no fact at all
        if info.num_pending == 0 and not info.delivered.consumer_seq:
            ready.set()
        async for msg in sub.messages:
            apply(msg)
            if msg.metadata.num_pending == 0:
                ready.set()
    finally:
        await sub.unsubscribe()


async def fold_once(js: JetStreamContext, filter_subject: str | Sequence[str], apply: Callable[[Msg], None],
                    timeout: float = 10.0) -> None:
    """``apply`` every message on ``filter_subject`` stored now, then stop. ``TimeoutError``
    when the log does not deliver them within ``timeout``; the follower's own error when it
    cannot follow at all."""
    ready = asyncio.Event()
    following = asyncio.create_task(follow(js, filter_subject, apply, 0, ready))
    waiting = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({following, waiting}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if not ready.is_set():
            if following.done() and (error := following.exception()) is not None:
                raise error
            raise TimeoutError(f"the log did not deliver {filter_subject} within {timeout:.0f}s")
    finally:
        for task in (following, waiting):
            task.cancel()
        await asyncio.gather(following, waiting, return_exceptions=True)
