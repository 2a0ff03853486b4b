"""Slowing down password guessing: failures per user and address, and per address alone."""

import math
import time
from dataclasses import dataclass, field

FREE_FAILURES = 5
"""Failures allowed (per user and address) before each further try waits."""
ADDRESS_FREE_FAILURES = 20
"""Failures allowed from one address over any users (password spraying)."""
WINDOW_S = 15 * 60
MAX_WAIT_S = 15 * 60


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    records: dict[tuple[str, str], _Record] = field(default_factory=dict)

    def wait_s(self, username: str, address: str, now: float | None = None) -> int:
        """Seconds to wait before the next try is looked at (0: go ahead)."""
        now = time.monotonic() if now is None else now
        return max(self._wait(("user", f"{username.lower()}|{address}"), FREE_FAILURES, now),
                   self._wait(("address", address), ADDRESS_FREE_FAILURES, now))

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in (("user", f"{username.lower()}|{address}"), ("address", address)):
            record = self._fresh(key, now)
            record.failures += 1
            record.last = now
        if len(self.records) > 100_000:
            self._forget_old(now)

    def succeeded(self, username: str, address: str) -> None:
        self.records.pop(("user", f"{username.lower()}|{address}"), None)

    def _fresh(self, key: tuple[str, str], now: float) -> _Record:
        record = self.records.setdefault(key, _Record())
        if now - record.last > WINDOW_S:
            record.failures = 0
        return record

    def _wait(self, key: tuple[str, str], free: int, now: float) -> int:
        record = self.records.get(key)
        if record is None or now - record.last > WINDOW_S or record.failures < free:
            return 0
        wait = min(MAX_WAIT_S, 2 ** (record.failures - free))
        return max(0, math.ceil(record.last + wait - now))

    def _forget_old(self, now: float) -> None:
        for key in [k for k, r in self.records.items() if now - r.last > WINDOW_S]:
            del self.records[key]
