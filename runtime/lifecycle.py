"""Running a service until SIGTERM/SIGINT, then draining its NATS connection."""

import asyncio
import signal
from collections.abc import Awaitable, Callable


async def wait_for_shutdown(stop: asyncio.Event | None = None) -> None:
    """Return on SIGTERM/SIGINT, or when ``stop`` is set (in-process tests)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Entry point of ``python -m services.<name>``."""
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
