"""What the simulator's handler works with."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from runtime.objects import ObjectStore
from runtime.publisher import EventPublisher

PRODUCER = "simulator"
SIMULATOR_VERSION = "1.0.0"


@dataclass
class Ports:
    publisher: EventPublisher
    objects: ObjectStore
    stub: bool = False
    job_state: Callable[[str], Awaitable[str | None]] | None = None
    """The registry's view of a job (None when unknown or unreachable): a job cancelled while
    queued is skipped."""
    progress_interval_s: float = 0.5
    """A run publishes its progress at most once per this many seconds (and its final state)."""
