"""A job's steps and messages, folded from its changes as they came (``db.job_events``, in log order).

Reports in a row whose step has the same name make one step; a trailing counter is not part of the
name ('day 3/90', 'seq 500/9000'). The first report that ends the job closes the step it was in;
reports after it changed nothing (job states only move forward) and are kept only as messages.
"""

import re
from collections.abc import Iterable
from typing import Any

from contracts.events import FINAL_JOB_STATES
from contracts.queries import JobMessage, JobStep

MESSAGES_SHOWN = 200
_COUNTER = re.compile(r"\s*\d+\s*/\s*\d+\s*$")


def step_name(step: str, state: str) -> str:
    return _COUNTER.sub("", step).strip() or ("queued" if state == "queued" else state)


def _closed(step: dict[str, Any], at: Any) -> dict[str, Any]:
    return step | {"ended_at": at, "duration_ms": max(0.0, (at - step["started_at"]).total_seconds() * 1000)}


def job_history(rows: Iterable[Any]) -> tuple[list[JobStep], list[JobMessage], int]:
    """(steps, the newest ``MESSAGES_SHOWN`` messages, how many messages in all) of rows with ``state``,
    ``progress``, ``step``, ``message`` and ``at``, in log order."""
    steps: list[dict[str, Any]] = []
    messages: list[JobMessage] = []
    ended = False
    for row in rows:
        state = str(row.state)
        if row.message and not (messages and messages[-1].message == row.message):
            messages.append(JobMessage(at=row.at, state=state, step=row.step, message=row.message, after_end=ended))
        if ended:
            continue
        name = step_name(row.step, state)
        final = state in FINAL_JOB_STATES
        current = steps[-1] if steps else None
        report = {"state": state, "progress": row.progress, "message": row.message or (current or {}).get("message", "")}
        if current is not None and (current["step"] == name or final):
            last = row.step if current["step"] == name else current["last"]
            current.update(report, last=last, reports=current["reports"] + 1)
        else:
            if current is not None:
                steps[-1] = _closed(current, row.at)
            steps.append({"step": name, "first": row.step, "last": row.step, "started_at": row.at, "reports": 1,
                          **report, "message": row.message})
        if final:
            steps[-1] = _closed(steps[-1], row.at)
            ended = True
    return [JobStep(**step) for step in steps], messages[-MESSAGES_SHOWN:], len(messages)
