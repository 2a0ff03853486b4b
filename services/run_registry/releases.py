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

from sqlalchemy import Connection, and_, bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert

from services.run_registry import db, driver_sql

_pending = db.pending_object_deletions
_INSERT = insert(_pending).on_conflict_do_nothing()
_KEEP_PLAN = delete(_pending).where(and_(_pending.c.plan_version_id == bindparam("p"),
                                         _pending.c.reason == "plan_without_runs"))
_RUN_AGGREGATES = select(db.aggregates.c.run_id, db.aggregates.c.artifact).where(
    db.aggregates.c.run_id.in_(bindparam("ids", expanding=True)), db.aggregates.c.artifact.is_not(None))
_PLANS_WITH_RUNS = select(db.runs.c.plan_version_id).where(
    db.runs.c.plan_version_id.in_(bindparam("ids", expanding=True))).distinct()
_PLAN_ARTIFACTS = select(db.plans.c.plan_version_id, db.plans.c.artifacts).where(
    db.plans.c.plan_version_id.in_(bindparam("ids", expanding=True)))
_PLAN_AGGREGATES = select(db.aggregates.c.plan_version_id, db.aggregates.c.artifact).where(
    db.aggregates.c.plan_version_id.in_(bindparam("ids", expanding=True)), db.aggregates.c.artifact.is_not(None))


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
    for run_id, artifact in _chunked(conn, _RUN_AGGREGATES, run_ids):
        rows.append(_row(artifact, reason, run_id, plan_of[run_id], at))
    plans = sorted({run.plan_version_id for run in removed})
    kept = {plan for (plan,) in _chunked(conn, _PLANS_WITH_RUNS, plans)}
    orphans = [plan for plan in plans if plan not in kept]
    for plan, artifacts in _chunked(conn, _PLAN_ARTIFACTS, orphans):
        rows += [_row(artifact, "plan_without_runs", None, plan, at) for artifact in artifacts or []]
    for plan, artifact in _chunked(conn, _PLAN_AGGREGATES, orphans):
        rows.append(_row(artifact, "plan_without_runs", None, plan, at))
    driver_sql.executemany(conn, _INSERT, rows)


def keep_plans(conn: Connection, plan_ids: Iterable[str]) -> None:
    """Plans that have a run again need their artifacts: no longer pending."""
    if plans := [{"p": plan} for plan in sorted(set(plan_ids))]:
        conn.execute(_KEEP_PLAN, plans)


def _row(ref: dict[str, Any], reason: str, run_id: str | None, plan: str, at: datetime) -> dict[str, Any]:
    return {"bucket": ref["bucket"], "key": ref["key"], "reason": reason, "run_id": run_id,
            "plan_version_id": plan, "since": at}


def _chunked(conn: Connection, stmt: Any, ids: list[str]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), 500):
        if chunk := ids[start:start + 500]:
            found += conn.execute(stmt, {"ids": chunk}).all()
    return found
