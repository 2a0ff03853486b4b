"""Working on a message of a shared durable pull consumer (a work queue) for longer than its
ack wait: the server is told, while the work lasts, that the message is still in hand, so it
is not delivered to another replica meanwhile; if the process dies, it is, once the ack wait
has passed."""

import asyncio
import contextlib
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def held(msg, every_s: float) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Signal ``msg`` in progress every ``every_s`` (a third of its ack wait) while the block runs."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    keeping = asyncio.create_task(keep())
    try:
        yield
    finally:
        keeping.cancel()
