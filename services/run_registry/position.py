"""Where the read model stands in the log, and waiting for it (read-your-writes)."""

import asyncio
import contextlib


class Position:
    def __init__(self, last_seq: int = 0) -> None:
        self.last_seq = last_seq
        self.counted_through = last_seq
        self.pending = 0
        self._moved = asyncio.Condition()
        self._waiting = 0
        self._awaited = asyncio.Event()

    @property
    def lag(self) -> int:
        return self.pending

    @property
    def readers_waiting(self) -> bool:
        """Whether a reader waits for the read model to reach a sequence (``reached``)."""
        return self._waiting > 0

    async def advance(self, last_seq: int, pending: int) -> None:
        self.last_seq, self.pending = max(self.last_seq, last_seq), pending
        async with self._moved:
            self._moved.notify_all()

    async def reached(self, seq: int, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the read model has applied ``seq``."""
        if self.last_seq >= seq:
            return True
        self._waiting += 1
        self._awaited.set()
        try:
            async with self._moved:
                await asyncio.wait_for(self._moved.wait_for(lambda: self.last_seq >= seq), timeout)
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._awaited.clear()
        return True

    async def until_a_reader_waits(self, seconds: float) -> None:
        """Sleep ``seconds``, or less: until a reader waits for the read model."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._awaited.wait(), seconds)
