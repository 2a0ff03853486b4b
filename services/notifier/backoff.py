"""When a failed delivery is tried again, and when it is given up (pure)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Waits double from ``base_s`` up to ``max_delay_s``; an event whose waits so far would pass
    ``give_up_after_s`` is given up. Counted from the delivery attempt (the consumer's count,
    kept by the server across restarts of the notifier), so the schedule is the same after one."""

    base_s: float
    max_delay_s: float
    give_up_after_s: float

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (from 1)."""
        return min(self.base_s * 2 ** min(attempt - 1, 60), self.max_delay_s)

    def waited(self, attempt: int) -> float:
        """The waits before attempt ``attempt``, added up."""
        return sum(self.delay(i) for i in range(1, attempt))

    def after_failure(self, attempt: int) -> float | None:
        """The wait before the next attempt, or None: give up."""
        wait = self.delay(attempt)
        return None if self.waited(attempt) + wait > self.give_up_after_s else wait
