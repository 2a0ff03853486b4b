"""Upcasters: pure functions turning an old schema version of an event into the current one.

Register one per (event_type, from_version). Stored events are never rewritten; they are
upcast each time they are read.
"""

import json
from collections.abc import Callable
from typing import Any

Raw = dict[str, Any]
UPCASTERS: dict[tuple[str, int], Callable[[Raw], Raw]] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Callable[[Raw], Raw]], Callable[[Raw], Raw]]:
    def register(fn: Callable[[Raw], Raw]) -> Callable[[Raw], Raw]:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


def upcast(raw: Raw) -> Raw:
    """Apply registered upcasters until none matches the event's version."""
    while (step := UPCASTERS.get((raw.get("event_type", ""), raw.get("schema_version", 1)))) is not None:
        raw = step(raw)
    return raw


def upcast_json(data: bytes | str) -> Raw:
    raw = json.loads(data)
    if not isinstance(raw, dict):
        from contracts.events import UnknownEvent

        raise UnknownEvent("an event is a JSON object")
    return upcast(raw)
