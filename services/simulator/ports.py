"""What the simulator's handler works with."""

import asyncio
from collections.abc import Container
from dataclasses import dataclass, field

from runtime.objects import ObjectStore
from runtime.publisher import EventPublisher
from services.simulator.configs import ConfigCache

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
    configs: ConfigCache = field(default_factory=ConfigCache)
    """The configs read last, kept parsed."""
    computing: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by the run that simulates and encodes its results: one at a time in a process (both
    hold the interpreter), while the runs beside it read their inputs or store their results."""
