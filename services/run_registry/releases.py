"""Which stored objects a change of the run history leaves without use (the writer's side of
``storage``): a run deleted or dropped releases its results and aggregates; a plan whose last
run went releases its artifacts and aggregates; a new run of a plan keeps them again.

Rows go to ``pending_object_deletions``; the sweeper removes the objects after the grace period
and records it (``StoredObjectsDeleted``), which removes the rows. The same events give the same
rows, live and rebuilt; only ``since`` of a run dropped by retention depends on the batch it was
dropped in (the newest finished run of that batch: never before the drop), so the digest leaves
it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from pydantic_core import from_json
from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite import insert

from services.run_registry import db, driver_sql

_INSERT = insert(db.pending_object_deletions).on_conflict_do_nothing()
# Plain SQL with as many marks as ids: these run with every batch that removes or adds runs.
_RUN_AGGREGATES = "SELECT run_id, artifact FROM aggregates WHERE artifact IS NOT NULL AND run_id IN ({marks})"
_PLANS_WITH_RUNS = "SELECT DISTINCT plan_version_id FROM runs WHERE plan_version_id IN ({marks})"
_PLAN_ARTIFACTS = "SELECT plan_version_id, artifacts FROM plans WHERE plan_version_id IN ({marks})"
_PLAN_AGGREGATES = ("SELECT plan_version_id, artifact FROM aggregates WHERE artifact IS NOT NULL "
                    "AND plan_version_id IN ({marks})")
_KEEP_PLANS = ("DELETE FROM pending_object_deletions WHERE reason = 'plan_without_runs' "
               "AND plan_version_id IN ({marks})")


class RemovedRun(NamedTuple):
    run_id: str
    plan_version_id: str
    results: dict[str, Any] | None
    """The run's results reference (bucket, key, …), None for a failed run."""


def release(conn: Connection, removed: list[RemovedRun], reason: str, at: datetime) -> None:
    """Pending rows for what the removed runs leave without use (``reason``: run_deleted or
    run_dropped), and for the artifacts of their plans that have no run left."""
    if not removed:
        return
    rows = [_row(run.results, reason, run.run_id, run.plan_version_id, at) for run in removed if run.results]
    run_ids = [run.run_id for run in removed]
    plan_of = {run.run_id: run.plan_version_id for run in removed}
    for run_id, artifact in _where_in(conn, _RUN_AGGREGATES, run_ids):
        rows.append(_row(from_json(artifact), reason, run_id, plan_of[run_id], at))
    plans = sorted({run.plan_version_id for run in removed})
    kept = {plan for (plan,) in _where_in(conn, _PLANS_WITH_RUNS, plans)}
    orphans = [plan for plan in plans if plan not in kept]
    for plan, artifacts in _where_in(conn, _PLAN_ARTIFACTS, orphans):
        rows += [_row(artifact, "plan_without_runs", None, plan, at) for artifact in from_json(artifacts or "[]")]
    for plan, artifact in _where_in(conn, _PLAN_AGGREGATES, orphans):
        rows.append(_row(from_json(artifact), "plan_without_runs", None, plan, at))
    driver_sql.executemany(conn, _INSERT, rows)


def keep_plans(conn: Connection, plan_ids: Iterable[str]) -> None:
    """Plans that have a run again need their artifacts: no longer pending (one statement a
    batch: this runs with every batch of new runs, live and rebuilding)."""
    _where_in(conn, _KEEP_PLANS, sorted(set(plan_ids)))


def _row(ref: dict[str, Any], reason: str, run_id: str | None, plan: str, at: datetime) -> dict[str, Any]:
    return {"bucket": ref["bucket"], "key": ref["key"], "reason": reason, "run_id": run_id,
            "plan_version_id": plan, "since": at}


def _where_in(conn: Connection, sql: str, ids: list[str]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = tuple(ids[start:start + 500])
        result = conn.exec_driver_sql(sql.format(marks=",".join("?" * len(chunk))), chunk)
        found += result.all() if result.returns_rows else []
    return found
