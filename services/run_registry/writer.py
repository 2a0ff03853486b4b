"""The read-model writer: applies projection changes and the checkpoint in ONE transaction.

A batch is first projected without the database (``batch_projection.project``; a replay
does it in another process and hands the result in), then written on a fast path (commuting
changes grouped into executemany, job changes one row per job).
If anything in it fails, that attempt is rolled back to a savepoint and the batch is replayed
message by message, each in its own savepoint, retrying a failing message ``max_attempts``
times before recording it in ``dead_letters``; the checkpoint then moves past it. A message
that is no event the registry reads (not JSON, an unknown type, the wrong subject, a schema
version it does not know) is recorded there at once, with why, and never applied.
A database that cannot be written (locked, full, I/O: ``OperationalError``) is no fault of a
message: the whole batch raises, nothing is committed, and redelivery brings it back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import OperationalError

from contracts.events import decode
from services.run_registry import db, projections
from services.run_registry.batch_projection import (
    Apply,
    Message,
    ProjectedBatch,
    Unreadable,
    project,
    unreadable_reason,
)
from services.run_registry.change_runner import ChangeRunner
from services.run_registry.run_counts import UNDECODABLE, RunCounts

log = logging.getLogger("run_registry.writer")


@dataclass
class BatchOutcome:
    """What a batch did. ``skipped``: at or below the checkpoint, or undecodable (also counted
    in ``undecodable`` and kept as dead letters); ``dead_lettered``: events that failed to
    apply; ``duplicates``: final facts of runs that had one, which changed nothing (seq,
    run_id, status); ``last_seq``: the checkpoint after the batch."""

    applied: int = 0
    skipped: int = 0
    undecodable: int = 0
    first_undecodable: Unreadable | None = None
    dead_lettered: int = 0
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    last_seq: int = 0
    runs_completed: int = 0
    """Runs new to the read model in this batch (for ``runs_total``; a rebuild ignores it)."""


class ReadModelWriter:
    """The single writer of the registry's read models (live path and rebuild alike)."""

    def __init__(self, engine: Engine, *, projection: str = "registry", max_runs: int | None = None,
                 max_attempts: int = 3, apply: Apply = projections.apply) -> None:
        self.engine, self.projection, self.max_runs = engine, projection, max_runs
        self.max_attempts, self.apply = max_attempts, apply
        self._analyzed_runs = 0

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return _checkpoint(conn, self.projection)

    def apply_batch(self, messages: Sequence[Message], projected: ProjectedBatch | None = None) -> BatchOutcome:
        """Apply the messages above the checkpoint. ``projected``: their projection, made
        elsewhere; used only when it covers exactly those messages."""
        with self.engine.begin() as conn:
            outcome = BatchOutcome(last_seq=_checkpoint(conn, self.projection))
            fresh = self._after_checkpoint(messages, outcome)
            counts = RunCounts.load(conn)
            if fresh:
                if projected is None or not projected.covers(fresh):
                    projected = project(fresh, self.apply)
                if projected.failed or not self._fast(conn, fresh, projected, counts, outcome):
                    self._careful(conn, fresh, counts, outcome)
            if outcome.undecodable:
                counts.add(UNDECODABLE, outcome.undecodable)
            counts.save(conn)
            self._write_checkpoint(conn, outcome.last_seq)
            self._maybe_analyze(conn, counts.total)
        _report(outcome)
        return outcome

    def _after_checkpoint(self, messages: Sequence[Message], outcome: BatchOutcome) -> list[Message]:
        """The messages above the checkpoint, in sequence order; the checkpoint moves past them."""
        fresh = []
        for message in sorted(messages, key=_seq):
            if message[0] <= outcome.last_seq:
                outcome.skipped += 1
            else:
                outcome.last_seq = message[0]
                fresh.append(message)
        return fresh

    def _fast(self, conn: Connection, fresh: list[Message], projected: ProjectedBatch, counts: RunCounts,
              outcome: BatchOutcome) -> bool:
        """The whole batch's changes at once."""
        trial = counts.copy()
        try:
            with conn.begin_nested():
                runner = ChangeRunner(conn, trial, self.max_runs)
                runner.run(projected.changes)
                runner.add_jobs(projected.jobs)
                runner.flush()
        except OperationalError:
            raise
        except Exception:  # noqa: BLE001 - replayed message by message below
            return False
        counts.restore(trial)
        unreadable = len(projected.unreadable)
        outcome.applied += projected.count - unreadable
        outcome.runs_completed += runner.new_runs
        outcome.duplicates += runner.duplicates
        if unreadable:
            data_of = {message[0]: message[2] for message in fresh}
            for seq, subject, why in projected.unreadable:
                self._set_aside(conn, seq, subject, data_of[seq], why, outcome)
        return True

    def _careful(self, conn: Connection, fresh: list[Message], counts: RunCounts, outcome: BatchOutcome) -> None:
        for seq, subject, data, *_ in fresh:
            try:
                event = decode(data, subject)
            except Exception as exc:  # noqa: BLE001 - not an event we know: a dead letter, move on
                self._set_aside(conn, seq, subject, data, unreadable_reason(exc), outcome)
                continue
            error = self._try_event(conn, event, seq, counts, outcome)
            if error is None:
                outcome.applied += 1
            else:
                _dead_letter(conn, seq, subject, data, error, self.max_attempts)
                outcome.dead_lettered += 1
                log.warning("event at seq %d on %s failed %d times and is kept in dead_letters: %s",
                            seq, subject, self.max_attempts, error)

    def _set_aside(self, conn: Connection, seq: int, subject: str, data: bytes, why: str,
                   outcome: BatchOutcome) -> None:
        """A message that is no event the registry reads: a dead letter, never applied."""
        _dead_letter(conn, seq, subject, data, why, 0)
        outcome.skipped += 1
        outcome.undecodable += 1
        outcome.first_undecodable = outcome.first_undecodable or (seq, subject, why)

    def _try_event(self, conn: Connection, event: Any, seq: int, counts: RunCounts,
                   outcome: BatchOutcome) -> str | None:
        error = ""
        for _attempt in range(self.max_attempts):
            trial = counts.copy()
            try:
                with conn.begin_nested():
                    runner = ChangeRunner(conn, trial, self.max_runs)
                    runner.run(self.apply(event, seq))
                    runner.flush()
            except OperationalError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                error = f"{type(exc).__name__}: {exc}"
                continue
            counts.restore(trial)
            outcome.runs_completed += runner.new_runs
            outcome.duplicates += runner.duplicates
            return None
        return error

    def _write_checkpoint(self, conn: Connection, last_seq: int) -> None:
        stmt = insert(db.checkpoint).values(
            projection=self.projection, last_seq=last_seq, schema_version=db.READ_MODEL_VERSION)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["projection"],
            set_={"last_seq": stmt.excluded.last_seq, "schema_version": stmt.excluded.schema_version}))

    def _maybe_analyze(self, conn: Connection, runs: int) -> None:
        if runs >= 1000 and runs >= 2 * self._analyzed_runs:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            self._analyzed_runs = runs


def _seq(message: Message) -> int:
    return message[0]


def _checkpoint(conn: Connection, projection: str) -> int:
    row = conn.execute(select(db.checkpoint.c.last_seq).where(db.checkpoint.c.projection == projection))
    return row.scalar() or 0


_EVENT_OF_STATUS = {"succeeded": "RunCompleted", "failed": "RunFailed"}


def _report(outcome: BatchOutcome) -> None:
    """One line for what a batch set aside, and one for the final facts it left out."""
    if outcome.first_undecodable is not None:
        seq, subject, why = outcome.first_undecodable
        log.warning("kept %d message(s) that are no event the registry reads as dead letters, the first at seq %d "
                    "on %s: %s", outcome.undecodable, seq, subject, why)
    if outcome.duplicates:
        seq, run_id, status = min(outcome.duplicates)
        log.warning("%d RunCompleted/RunFailed event(s) for runs that already had their final fact changed nothing "
                    "(the first fact stands); the first: a %s at seq %d for run %s", len(outcome.duplicates),
                    _EVENT_OF_STATUS.get(status, status), seq, run_id)


def _dead_letter(conn: Connection, seq: int, subject: str, data: bytes, error: str, attempts: int) -> None:
    row = {"seq": seq, "subject": subject, "error": error[:2000], "data": data,
           "attempts": attempts, "recorded_at": datetime.now(UTC)}
    conn.execute(insert(db.dead_letters).values(row).on_conflict_do_nothing())
