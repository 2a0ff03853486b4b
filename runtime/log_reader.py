"""Reading the event log from a sequence onwards, in batches, up to the position it had when
reading began: start-up folds, registry rebuilds, imports and tests all read it this way.

Two readers keep one contract (``tests/integration/test_log_reader_contract.py``):

- ``PublicLogReader``: a pull consumer's ``fetch``, nats-py's public API only;
- ``DirectLogReader``: the same read about eight times faster, through nats-py internals
  (``runtime.direct_delivery``), used only on the nats-py version they were checked against.

``log_reader(js)`` picks one: ``SCPLN_LOG_READER=public|direct|auto`` (default ``auto``: the
direct one where its internals are as checked, else the public one, with a log line saying why).
"""

import logging
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from nats.js import JetStreamContext

from contracts import subjects

READER_ENV = "SCPLN_LOG_READER"
CHOICES = ("auto", "public", "direct")
log = logging.getLogger("scpln.log_reader")
_said: set[str] = set()


class LogMessage(NamedTuple):
    """One stored message: stream sequence, subject, payload, store time (ns since epoch)."""

    seq: int
    subject: str
    data: bytes
    time_ns: int

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.time_ns / 1e9, UTC)


class LogReader(Protocol):
    """Reads the log in order, every message of the filter once, without a gap."""

    name: str

    def read(self, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,), start_seq: int = 1,
             until_seq: int | None = None, batch: int = 1000) -> AsyncIterator[list[LogMessage]]:
        """Yield batches (of about ``batch`` messages, none empty) of the messages with stream
        sequence in [start_seq, until_seq] whose subject matches one of ``filter_subjects``.
        ``until_seq`` defaults to the stream's last sequence when reading starts, so the
        iteration ends even while new events keep arriving."""
        ...


def log_reader(js: JetStreamContext, choice: str | None = None) -> LogReader:
    """The reader ``choice`` (else ``SCPLN_LOG_READER``, else ``auto``) names for ``js``."""
    from runtime.direct_log_reader import DirectLogReader, unsupported
    from runtime.public_log_reader import PublicLogReader

    chosen = (choice or os.environ.get(READER_ENV) or "auto").strip().lower()
    if chosen not in CHOICES:
        raise ValueError(f"{READER_ENV}={chosen!r}: expected one of {', '.join(CHOICES)}")
    if chosen == "public":
        return PublicLogReader(js)
    why_not = unsupported(js)
    if chosen == "direct":
        if why_not:
            _say(logging.WARNING, f"log reader: direct, as {READER_ENV}=direct asks, although {why_not}")
        return DirectLogReader(js)
    if why_not:
        _say(logging.WARNING, f"log reader: public, because {why_not}")
        return PublicLogReader(js)
    return DirectLogReader(js)


def _say(level: int, line: str) -> None:
    if line not in _said:
        _said.add(line)
        log.log(level, line)


def read_log(js: JetStreamContext, *, filter_subjects: Sequence[str] = (subjects.EVENTS_WILDCARD,),
             start_seq: int = 1, until_seq: int | None = None, batch: int = 1000) -> AsyncIterator[list[LogMessage]]:
    """``log_reader(js).read(...)``: the log read by the reader the settings pick."""
    return log_reader(js).read(filter_subjects=filter_subjects, start_seq=start_seq, until_seq=until_seq, batch=batch)
