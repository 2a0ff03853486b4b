"""The ``LogReader`` on nats-py's public API only: an ephemeral pull consumer and ``fetch``.

One ``fetch`` is on its way at a time, of ``batch`` messages or of as many as fit in
``FETCH_BYTES`` at the size of the largest message read so far, whichever is fewer: a reader
whose event loop blocks while it writes a batch never has more waiting for it at the server
than that (nats-server cuts a connection off as a slow consumer past its ``max_pending``,
64 MiB by default). nats-py's ordered push consumer reads about 1.6 times as fast, but
nothing bounds what the server pushes while the reader is blocked (the contract's large-event
test cuts it off as a slow consumer). The direct reader is about eight times as fast as this
one (``bench/registry_replay.py``: no ``Msg``, header parsing or queue hand-over per message).

Each message's stream sequence, store time and how many are still pending are read from its
reply subject (``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time
ns>.<pending>``, the JetStream protocol), so the time is the same integer the direct reader
gives. A consumer sequence that skips, or a consumer gone, starts a new consumer right after
the last message read.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import subjects
from runtime.bus import last_stream_seq
from runtime.log_reader import LogMessage

FETCH_BYTES = 16 * 1024**2
FIRST_FETCH = 64
"""Messages asked for before any size is known."""


class _Pace:
    """How many messages one fetch asks for, from the largest message read so far."""

    def __init__(self, batch: int) -> None:
        self.batch, self.largest = max(batch, 1), 0

    def count(self) -> int:
        return max(min(self.batch, FETCH_BYTES // self.largest if self.largest else FIRST_FETCH), 1)


class _Resume(Exception):
    """The consumer skipped a message or went away: read on from the last sequence on a new one."""


class PublicLogReader:
    """Reads the log through ephemeral pull consumers, one ``fetch`` at a time."""

    name = "public"

    def __init__(self, js: JetStreamContext, *, stall_s: float = 5.0) -> None:
        self.js, self.stall_s = js, stall_s

    async def read(self, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,), start_seq: int = 1,
                   until_seq: int | None = None, batch: int = 1000) -> AsyncIterator[list[LogMessage]]:
        until = until_seq if until_seq is not None else await last_stream_seq(self.js)
        next_seq, pace = max(start_seq, 1), _Pace(batch)
        while next_seq <= until:
            config = ConsumerConfig(
                filter_subjects=list(filter_subjects), deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=next_seq, ack_policy=AckPolicy.NONE, max_deliver=1, mem_storage=True,
                num_replicas=1, inactive_threshold=60.0)
            info = await self.js.add_consumer(subjects.STREAM_NAME, config)
            sub = await self.js.pull_subscribe_bind(info.name, stream=subjects.STREAM_NAME)
            try:
                if info.num_pending == 0:
                    return
                async for msgs in self._fetched(sub, until, pace):
                    next_seq = msgs[-1].seq + 1
                    yield msgs
                return
            except _Resume:
                continue
            finally:
                with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                    await sub.unsubscribe()
                    await self.js.delete_consumer(subjects.STREAM_NAME, info.name)

    async def _fetched(self, sub: JetStreamContext.PullSubscription, until: int,
                       pace: _Pace) -> AsyncIterator[list[LogMessage]]:
        cseq, names = 0, {}
        while True:
            try:
                fetched = await sub.fetch(pace.count(), timeout=self.stall_s)
            except (TimeoutError, nats.js.errors.APIError) as gone:  # nats-py raises asyncio's and its own
                raise _Resume(str(gone) or "no message for a while") from gone
            msgs: list[LogMessage] = []
            finished = False
            for msg in fetched:
                tokens = msg.reply.split(".")
                if len(tokens) > 9:  # v2 ack subject: domain and account hash come first
                    tokens = tokens[2:]
                seq, delivered = int(tokens[5]), int(tokens[6])
                if delivered != cseq + 1:
                    if msgs:
                        yield msgs
                    raise _Resume(f"consumer sequence {delivered} after {cseq}")
                cseq = delivered
                if seq > until:
                    finished = True
                    break
                pace.largest = max(pace.largest, len(msg.data))
                msgs.append(LogMessage(seq, names.setdefault(msg.subject, msg.subject), msg.data, int(tokens[7])))
                if seq == until or tokens[8] == "0":
                    finished = True
                    break
            if msgs:
                yield msgs
            if finished:
                return
