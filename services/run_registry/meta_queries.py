"""Read-only queries over the runs' governance: approval, baselines, archive, notes, tags.

``annotate`` adds what a run row does not hold itself (baseline, tags) to rows read elsewhere;
``filters`` and ``hidden`` are the run history's governance filters (``queries.list_runs``).
"""

from typing import Any

from sqlalchemy import Connection, Row, false, func, literal_column, select, true, type_coerce

from contracts import queries as q
from services.run_registry import db

runs, baselines, notes, tags = db.runs, db.baselines, db.run_notes, db.run_tags
_BASELINE_RUNS = select(baselines.c.run_id)


def _unindexed(column: Any) -> Any:
    """The column behind SQLite's unary +: a filter that keeps most rows must not steer the planner."""
    return type_coerce(literal_column(f"+runs.{column.name}"), column.type)


def filters(query: q.ListRuns, indexed: bool = True) -> list[Any]:
    """WHERE clauses of the approved, baseline, archived ('only') and tag filters."""
    clauses = []
    if query.approved is not None:
        column = runs.c.approved if indexed and query.approved else _unindexed(runs.c.approved)
        clauses.append(column == (true() if query.approved else false()))
    if query.baseline is not None:
        is_baseline = runs.c.run_id.in_(_BASELINE_RUNS)
        clauses.append(is_baseline if query.baseline else ~is_baseline)
    if query.archived == "only":
        clauses.append(runs.c.archived == true())
    if query.tag is not None:
        clauses.append(runs.c.run_id.in_(select(tags.c.run_id).where(tags.c.tag == query.tag)))
    return clauses


def selective(query: q.ListRuns) -> bool:
    """A filter that keeps few runs, read by its own index rather than by walking the sort key's."""
    return bool(query.approved or query.baseline or query.archived == "only" or query.tag is not None)


def hidden(query: q.ListRuns) -> list[Any]:
    """Archived runs are left out unless asked for: tested row by row (most runs are not archived)."""
    return [_unindexed(runs.c.archived) == false()] if query.archived == "hide" else []


def archived_among(conn: Connection, where: list[Any], params: dict[str, Any]) -> int:
    """How many archived runs the filter keeps (read by the archived index: archived runs are few)."""
    return conn.execute(select(func.count()).select_from(runs).where(runs.c.archived == true(), *where),
                        params).scalar() or 0


def annotate(conn: Connection, found: list[q.RunRow]) -> list[q.RunRow]:
    """The rows with whether each is its scenario's baseline, and its tags."""
    if not found:
        return found
    ids = [run.run_id for run in found]
    is_baseline = set(conn.execute(select(baselines.c.run_id).where(baselines.c.run_id.in_(ids))).scalars())
    tagged: dict[str, list[str]] = {}
    for run_id, tag in conn.execute(select(tags.c.run_id, tags.c.tag).where(tags.c.run_id.in_(ids)).order_by(
            tags.c.run_id, tags.c.tag)):
        tagged.setdefault(run_id, []).append(tag)
    return [run.model_copy(update={"baseline": run.run_id in is_baseline, "tags": tagged.get(run.run_id, [])})
            if run.run_id in is_baseline or run.run_id in tagged else run for run in found]


def baselines_of(conn: Connection, scenario_ids: list[str]) -> dict[str, str]:
    """Scenario → its baseline run, for the scenarios that have one (a run no longer held is none)."""
    held = select(baselines.c.scenario_id, baselines.c.run_id).join(runs, runs.c.run_id == baselines.c.run_id)
    return {sid: rid for sid, rid in conn.execute(held.where(baselines.c.scenario_id.in_(scenario_ids)))}


def run_metas(conn: Connection, query: q.GetRunMeta) -> dict[str, q.RunMeta]:
    """Run id → its governance; a run the read model does not hold has an empty one."""
    ids = list(dict.fromkeys(query.run_ids))
    rows = {r.run_id: r for r in conn.execute(select(
        runs.c.run_id, runs.c.scenario_id, runs.c.approved, runs.c.approved_by, runs.c.approved_at,
        runs.c.archived, runs.c.archived_by, runs.c.archived_at).where(runs.c.run_id.in_(ids)))}
    promoted = {r.run_id: r for r in conn.execute(select(baselines).where(baselines.c.run_id.in_(ids)))}
    tagged: dict[str, list[str]] = {}
    for run_id, tag in conn.execute(select(tags.c.run_id, tags.c.tag).where(tags.c.run_id.in_(ids)).order_by(
            tags.c.run_id, tags.c.tag)):
        tagged.setdefault(run_id, []).append(tag)
    noted: dict[str, list[q.RunNote]] = {}
    for note in conn.execute(select(notes).where(notes.c.run_id.in_(ids)).order_by(
            notes.c.run_id, notes.c.created_at, notes.c.note_id)):
        noted.setdefault(note.run_id, []).append(q.RunNote(
            note_id=note.note_id, text=note.text, author=note.author, created_at=note.created_at))
    return {run_id: _meta(run_id, rows.get(run_id), promoted.get(run_id), tagged, noted) for run_id in ids}


def _meta(run_id: str, row: Row[Any] | None, promoted: Row[Any] | None, tagged: dict[str, list[str]],
          noted: dict[str, list[q.RunNote]]) -> q.RunMeta:
    if row is None:
        return q.RunMeta(run_id=run_id)
    values = dict(row._mapping)
    if promoted is not None:
        values |= {"baseline": True, "baseline_by": promoted.promoted_by, "baseline_at": promoted.promoted_at}
    return q.RunMeta(**values, tags=tagged.get(run_id, []), notes=noted.get(run_id, []))


def list_baselines(conn: Connection, query: q.ListBaselines) -> list[q.BaselineRow]:
    """Each scenario's baseline (held in the read model) with the scenario's newest succeeded,
    unarchived run."""
    other = runs.alias("other")
    newest = select(other.c.run_id).where(
        other.c.scenario_id == baselines.c.scenario_id, other.c.status == "succeeded", other.c.archived == false(),
    ).order_by(other.c.started_at.desc(), other.c.run_id.desc()).limit(1).correlate(baselines).scalar_subquery()
    stmt = select(baselines.c.scenario_id, runs.c.scenario_name, baselines.c.run_id, baselines.c.promoted_by,
                  baselines.c.promoted_at, newest.label("latest_run_id")).join(
        runs, runs.c.run_id == baselines.c.run_id).order_by(runs.c.scenario_name, baselines.c.scenario_id)
    if query.scenario_id is not None:
        stmt = stmt.where(baselines.c.scenario_id == query.scenario_id)
    return [q.BaselineRow.model_validate(dict(row._mapping)) for row in conn.execute(stmt)]


def approved_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(runs).where(runs.c.approved == true())).scalar() or 0
