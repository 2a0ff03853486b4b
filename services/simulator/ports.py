"""What the simulator's handler works with."""

from collections.abc import Container
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
    cancelled: Container[str] = frozenset()
    """The jobs the log says were cancelled while queued (``cancellations.Cancellations``): such
    a job is skipped."""
    progress_interval_s: float = 0.5
    """A run publishes its progress at most once per this many seconds (and its final state)."""
