"""The fast ``LogReader``: raw protocol messages taken in bulk, through nats-py internals.

An ephemeral pull consumer (no acks, in memory) is asked for two large batches ahead, in
requests bounded in bytes as well as in messages, and the delivered messages are taken in bulk
from a ``DirectInbox`` (raw protocol messages: no ``Msg``, callback, task or header parsing per
message). Delivery is checked to be gap-free (consumer sequence +1 each time); on a gap, a
lost consumer or a stall the read resumes on a new consumer right after the last sequence
read. The pull requests go out on the context's connection (``js._nc``).

Private names used: ``JetStreamContext._nc`` here, and those ``runtime.direct_delivery`` wraps;
``unsupported(js)`` says why they cannot be relied on (another nats-py version than the one
they were checked against, or one of them missing), and ``log_reader`` then reads publicly.
"""

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from importlib import metadata

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import subjects
from runtime.bus import last_stream_seq
from runtime.direct_delivery import (
    CHECKED_NATS_PY,
    DirectInbox,
    RawMessage,
    missing_internals,
    subscribe_direct,
    unsubscribe_direct,
)
from runtime.log_reader import LogMessage

_ACK_PREFIX = b"$JS.ACK."
REQUEST_BYTES = 4 * 1024**2
"""Most bytes one pull request may bring; a server that takes messages over 3 MiB gets 1 MiB
more than its largest, so one always fits. At most three requests are bringing messages at
once (two asked ahead of the one being brought): 12 MiB at most on its way to a reader (27 MiB
with ``deploy/``'s 8 MB max_payload), under the 64 MiB that nats-server lets wait for a
connection by default (``max_pending``) before it cuts the connection off as a slow consumer.
A rebuild blocks its event loop while it writes a batch; a log of large events asked for by
count alone would overrun that."""
_PENDING_MESSAGES = re.compile(rb"\r\nNats-Pending-Messages: *(\d+)")


class _Resume(Exception):
    """The consumer lost messages or went away: read on from the last sequence on a new one."""


class _Consumer:
    """One ephemeral pull consumer and the inbox its messages arrive on."""

    def __init__(self, js: JetStreamContext, batch: int) -> None:
        self.js, self.nc, self.batch = js, js._nc, batch
        self.max_bytes = max(REQUEST_BYTES, self.nc.max_payload + 1024**2)
        self.name, self.cseq = "", 0
        self.owed = 0  # messages the open pull requests may still bring
        self.sub, self.inbox, self.inbox_subject = None, DirectInbox(), ""
        self.names: dict[bytes, str] = {}  # one str per subject: less to build, pickle and keep

    async def open(self, filter_subjects: Sequence[str], start_seq: int) -> int:
        """Create the consumer at ``start_seq``; return how many messages it has to deliver."""
        config = ConsumerConfig(
            filter_subjects=list(filter_subjects), deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start_seq, ack_policy=AckPolicy.NONE, max_deliver=1, mem_storage=True,
            num_replicas=1, inactive_threshold=60.0)
        info = await self.js.add_consumer(subjects.STREAM_NAME, config)
        self.name, self.inbox_subject = info.name, self.nc.new_inbox()
        self.sub, self.inbox = await subscribe_direct(self.nc, self.inbox_subject)
        return info.num_pending

    async def ask(self) -> None:
        """Keep ``2 * batch`` messages asked for, in pull requests of ``batch`` messages or
        ``max_bytes`` bytes, whichever comes first. The server serves them in turn."""
        while self.owed < 2 * self.batch:
            request = json.dumps({"batch": self.batch, "max_bytes": self.max_bytes, "expires": 10_000_000_000})
            await self.nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{subjects.STREAM_NAME}.{self.name}",
                                  request.encode(), reply=self.inbox_subject)
            self.owed += self.batch

    async def take(self, wait_s: float) -> list[RawMessage]:
        """Every message delivered so far (waiting up to ``wait_s`` for the first one)."""
        return await self.inbox.take(wait_s)

    def accept(self, msgs: list[RawMessage], until: int, into: list[LogMessage]) -> bool:
        """Append the data messages among ``msgs`` up to stream sequence ``until`` to ``into``,
        in order; return whether the read is finished (``until`` reached, or nothing left)."""
        names, make, append = self.names, tuple.__new__, into.append  # make: the named tuple, minus its __new__
        cseq, taken = self.cseq, 0
        try:
            for reply, subject, data, headers in msgs:
                if not reply.startswith(_ACK_PREFIX):
                    self._status(headers)
                    continue
                tokens = reply.split(b".")
                if len(tokens) > 9:  # v2 ack subject: domain and account hash come first
                    tokens = tokens[2:]
                delivered = int(tokens[6])
                if delivered != cseq + 1:
                    raise _Resume(f"consumer sequence {delivered} after {cseq}")
                cseq, taken = delivered, taken + 1
                seq = int(tokens[5])
                if seq > until:
                    return True
                name = names.get(subject)
                if name is None:
                    name = names[subject] = subject.decode()
                append(make(LogMessage, (seq, name, data, int(tokens[7]))))
                if seq == until or tokens[8] == b"0":
                    return True
            return False
        finally:
            self.cseq, self.owed = cseq, self.owed - taken

    def _status(self, headers: bytes | None) -> None:
        """A status message (``NATS/1.0 408 Request Timeout``): a request ended before it
        brought all it asked for (expired, or its bytes used up), or the consumer is gone.
        The server may send it after messages of the requests behind, so what the request
        still owed is taken from its ``Nats-Pending-Messages``, not from the order."""
        head = headers or b""
        status = head[9:12]
        if status in (b"404", b"408") or (status == b"409" and b"Exceeds MaxBytes" in head):
            unbrought = _PENDING_MESSAGES.search(head)
            self.owed = max(self.owed - int(unbrought[1]), 0) if unbrought else 0
        elif status == b"409":
            raise _Resume(head.decode(errors="replace").strip() or "consumer gone")

    async def close(self) -> None:
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            if self.sub is not None:
                await unsubscribe_direct(self.nc, self.sub)
            if self.name:
                await self.js.delete_consumer(subjects.STREAM_NAME, self.name)


def unsupported(js: JetStreamContext) -> str | None:
    """Why the direct reader cannot be relied on with this nats-py, or None."""
    installed = metadata.version("nats-py")
    if installed != CHECKED_NATS_PY:
        return f"nats-py {installed} is installed and direct delivery was checked against {CHECKED_NATS_PY}"
    nc = getattr(js, "_nc", None)
    missing = ["JetStreamContext._nc"] if nc is None else missing_internals(nc)
    return f"nats-py {installed} lacks {', '.join(missing)}" if missing else None


class DirectLogReader:
    """Reads the log through an ephemeral pull consumer asked two batches ahead, its messages
    taken raw from the connection's parser (see the module's docstring)."""

    name = "direct"

    def __init__(self, js: JetStreamContext, *, idle_s: float = 0.05, stall_s: float = 5.0) -> None:
        self.js, self.idle_s, self.stall_s = js, idle_s, stall_s

    async def read(self, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,), start_seq: int = 1,
                   until_seq: int | None = None, batch: int = 1000) -> AsyncIterator[list[LogMessage]]:
        until = until_seq if until_seq is not None else await last_stream_seq(self.js)
        next_seq = max(start_seq, 1)
        while next_seq <= until:
            consumer = _Consumer(self.js, max(batch, 256))
            try:
                async for msgs in _read(consumer, filter_subjects, next_seq, until, batch, self.idle_s, self.stall_s):
                    next_seq = msgs[-1].seq + 1
                    yield msgs
                return
            except _Resume:
                continue
            finally:
                await consumer.close()


async def _read(consumer: _Consumer, filter_subjects: Sequence[str], start: int, until: int, batch: int,
                idle_s: float, stall_s: float) -> AsyncIterator[list[LogMessage]]:
    if await consumer.open(filter_subjects, start) == 0:
        return
    pending: list[LogMessage] = []
    finished, idle = False, 0.0
    while not finished:
        await consumer.ask()
        msgs = await consumer.take(idle_s)
        idle = 0.0 if msgs else idle + idle_s
        if idle >= stall_s:
            if pending:
                yield pending
            raise _Resume("no message for a while")
        finished = consumer.accept(msgs, until, pending)
        if pending and (finished or len(pending) >= batch or not msgs):
            yield pending
            pending = []
