"""Where the read model stands in the log, and waiting for it (read-your-writes)."""

import asyncio


class Position:
    def __init__(self, last_seq: int = 0) -> None:
        self.last_seq = last_seq
        self.counted_through = last_seq
        self.pending = 0
        self._moved = asyncio.Condition()

    @property
    def lag(self) -> int:
        return self.pending

    async def advance(self, last_seq: int, pending: int) -> None:
        self.last_seq, self.pending = max(self.last_seq, last_seq), pending
        async with self._moved:
            self._moved.notify_all()

    async def reached(self, seq: int, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the read model has applied ``seq``."""
        if self.last_seq >= seq:
            return True
        try:
            async with self._moved:
                await asyncio.wait_for(self._moved.wait_for(lambda: self.last_seq >= seq), timeout)
        except TimeoutError:
            return False
        return True
