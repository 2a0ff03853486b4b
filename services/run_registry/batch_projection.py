"""A batch of log messages projected into changes, without the database: the pure half of
``ReadModelWriter.apply_batch``.

Every message is decoded and applied as it comes (the event is dropped at once); row changes
are kept in order and each job's changes are summarized (``job_fold.summarize``). A message
that is no event the registry reads is noted with why (``unreadable``), for the dead letters.
Nothing here reads the read model, so a replay runs it in a process of its own while the
writer writes the batch before.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from contracts.events import decode
from runtime.logs import first_line
from services.run_registry.job_fold import JobSummary, Row, summarize
from services.run_registry.projections import AdvanceJob, Change

Message = Sequence[Any]
"""(stream sequence, subject, payload, …): a tuple, or the log reader's ``LogMessage``."""
Apply = Callable[[Any, int], list[Change]]
Unreadable = tuple[int, str, str]
"""(stream sequence, subject, why) of a message that is no event the registry reads."""


@dataclass
class ProjectedBatch:
    """The changes of messages ``first_seq``..``last_seq`` (``count`` of them). ``failed``:
    an event could not be applied; the writer then takes the batch message by message."""

    first_seq: int
    last_seq: int
    count: int
    changes: list[Change] = field(default_factory=list)
    jobs: dict[str, JobSummary] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)
    failed: bool = False

    def covers(self, messages: Sequence[Message]) -> bool:
        return bool(messages) and (self.first_seq, self.last_seq, self.count) == (
            messages[0][0], messages[-1][0], len(messages))


def project(messages: Sequence[Message], apply: Apply) -> ProjectedBatch:
    """Messages in sequence order; an event whose apply raises marks the batch failed."""
    batch = ProjectedBatch(messages[0][0], messages[-1][0], len(messages)) if messages else ProjectedBatch(0, 0, 0)
    job_changes: dict[str, list[Row]] = {}
    for message in messages:
        try:
            event = decode(message[2], message[1])
        except Exception as exc:  # noqa: BLE001 - not an event we know: a dead letter, the checkpoint moves
            batch.unreadable.append((message[0], message[1], unreadable_reason(exc)))
            continue
        try:
            changes = apply(event, message[0])
        except Exception:  # noqa: BLE001 - the writer retries it alone, then dead-letters it
            batch.failed = True
            return batch
        split_into(changes, batch.changes, job_changes)
    batch.jobs = {job_id: summarize(rows) for job_id, rows in job_changes.items()}
    return batch


def unreadable_reason(exc: Exception) -> str:
    """Why a message is no event the registry reads, in one line that is the same each time
    the same message is read (live and rebuild give the same dead letters)."""
    if isinstance(exc, UnicodeDecodeError | json.JSONDecodeError):  # decoded before validation (upcasting)
        return f"not JSON: {first_line(exc)}"
    if not isinstance(exc, ValidationError):
        return f"{type(exc).__name__}: {first_line(exc)}"
    errors = exc.errors(include_url=False)
    if errors[0]["type"] == "json_invalid":
        return f"not JSON: {errors[0]['msg']}"
    if errors[0]["type"] == "union_tag_invalid":  # its message lists every known type: not stable
        return f"unknown event type {errors[0]['ctx']['tag']!r}"
    problems = [f"{'.'.join(map(str, e['loc'])) or '$'}: {e['msg']}" for e in errors[:3]]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"not a valid event: {'; '.join(problems)}{more}"[:1000]


def split_into(changes: list[Change], rows: list[Change], jobs: dict[str, list[Row]]) -> None:
    """Row changes to ``rows`` in order; job changes to their job's list."""
    for change in changes:
        if type(change) is AdvanceJob:
            job = jobs.get(change.row["job_id"])
            if job is None:
                jobs[change.row["job_id"]] = [change.row]
            else:
                job.append(change.row)
        else:
            rows.append(change)
