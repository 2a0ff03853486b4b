"""Running a service until SIGTERM/SIGINT, then draining its NATS connection."""

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable
from typing import Any


async def wait_for_shutdown(stop: asyncio.Event | None = None) -> None:
    """Return on SIGTERM/SIGINT, or when ``stop`` is set (in-process tests)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def freeze_start_up() -> None:
    """What the process made so far (its modules, the contracts' schemas, the app) lives as long
    as the process: moved out of the collector's sight, so a collection under load no longer
    walks it (the gateway's p99 under 32 clients fell from about 100 ms to about 45). Called by
    process entry points only, never in a test process, which would keep its garbage."""
    gc.collect()
    gc.freeze()


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Entry point of ``python -m services.<name>``."""
    freeze_start_up()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


async def serve(app: Any, stop: asyncio.Event | None = None) -> None:
    """Run a service's faststream app (``FastStream``: its lifespan, startup and shutdown hooks,
    its broker) until SIGTERM/SIGINT (faststream's own handlers) or ``stop`` (in-process tests)."""
    watcher: asyncio.Task | None = None
    if stop is not None:
        async def exit_when_stopped() -> None:
            await stop.wait()
            app.exit()

        watcher = asyncio.create_task(exit_when_stopped())
    try:
        await app.run()
    finally:
        if watcher is not None:
            watcher.cancel()
