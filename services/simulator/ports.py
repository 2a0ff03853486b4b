"""What the simulator's handler works with."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.objects import ObjectStore
from runtime.publisher import EventPublisher

PRODUCER = "simulator"
SIMULATOR_VERSION = "1.0.0"


@dataclass
class Ports:
    publisher: EventPublisher
    objects: ObjectStore
    stub: bool = False
    publish_from_thread: Callable[[Any], None] | None = None
