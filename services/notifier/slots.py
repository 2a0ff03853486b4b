"""Which durable consumer serves which receiver (pure): a receiver keeps the durable that names
it, across restarts and reorderings of NOTIFY_WEBHOOK_URLS; a new receiver takes a free one and
starts from the events published after it was added."""

import hashlib
from dataclasses import dataclass

from contracts.notifications import NOTIFIER_DURABLES, RECEIVERS_MAX


@dataclass(frozen=True)
class Receiver:
    url: str
    durable: str
    fresh: bool
    """True: its durable is new, or served a receiver no longer configured (made again)."""


def mark(url: str) -> str:
    """What a durable's description records of its receiver: a digest, never the URL (it may hold a token)."""
    return "webhook " + hashlib.sha256(url.encode()).hexdigest()[:24]


def assign(urls: list[str], held: dict[str, str | None]) -> list[Receiver]:
    """``held``: durable → the description it has (None: there is no such durable yet)."""
    if len(urls) > RECEIVERS_MAX:
        raise ValueError(f"at most {RECEIVERS_MAX} receivers")
    serving = {description: durable for durable, description in held.items() if description}
    kept = {url: serving[mark(url)] for url in urls if mark(url) in serving}
    free = sorted((d for d in NOTIFIER_DURABLES if d not in kept.values()), key=lambda d: held.get(d) is not None)
    receivers = []
    for url in urls:
        if url in kept:
            receivers.append(Receiver(url, kept[url], fresh=False))
        else:
            receivers.append(Receiver(url, free.pop(0), fresh=True))
    return receivers
