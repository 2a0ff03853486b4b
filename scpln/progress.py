"""A one-line progress bar for long operator commands (events/s and ETA)."""

import sys
import time


class ProgressBar:
    def __init__(self, label: str, width: int = 30, every_s: float = 0.25, unit: str = "events",
                 rate_unit: str = "ev") -> None:
        self.label, self.width, self.every_s, self.unit, self.rate_unit = label, width, every_s, unit, rate_unit
        self._last = 0.0

    def update(self, done: int, total: int, elapsed: float, force: bool = False) -> None:
        """Redraw, at most every ``every_s`` seconds; the finished state is always drawn."""
        now = time.monotonic()
        if not force and done < total and now - self._last < self.every_s:
            return
        self._last = now
        fraction = done / total if total else 1.0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        bar = "█" * int(fraction * self.width)
        sys.stderr.write(f"\r{self.label} ▕{bar:<{self.width}}▏ {fraction:6.1%} {done:,}/{total:,} {self.unit} "
                         f"{rate:,.0f} {self.rate_unit}/s ETA {eta:.0f}s ")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
