"""Facts imported from the original scpln: where each came from (the projection of
LegacyRowImported, pure like ``projections``; imported there to register), and the read-only
queries over it: a page's import origins, and the run history's filter by the original's ids."""

from typing import Any

from sqlalchemy import Connection, select

from contracts import queries as q
from contracts.legacy import (
    IMPORTED_TAG,
    LEGACY_RUN_TAG,
    LegacyRowImported,
    config_version_id_of,
    scenario_id_of,
)
from services.run_registry import db
from services.run_registry.projections import Change, Upsert, _applies

facts = db.imported_facts

KINDS = {"runs": ("run", "run_id"), "plan_versions": ("plan", "plan_version_id"),
         "scenarios": ("scenario", "scenario_id"), "canonical_config_versions": ("config", "config_version_id")}
"""The original's table → the kind of fact here and the id naming it (runs_meta rows change runs: no fact of their own)."""


@_applies(LegacyRowImported)
def _(event: LegacyRowImported, seq: int) -> list[Change]:
    kind = KINDS.get(event.table)
    if kind is None or not (here := event.ids.get(kind[1])):
        return []
    return [Upsert("imported_sources", {"source": event.source, "source_file": event.source_file}),
            Upsert("imported_facts", {
                "kind": kind[0], "id": here, "source": event.source, "source_file": event.source_file,
                "imported_from": event.imported_from, "source_table": event.table, "original_id": event.source_key})]


def origins(conn: Connection, **ids: str | None) -> dict[str, q.ImportOrigin]:
    """Kind → where that fact came from, for the given ids (``run=…, plan=…``) that were imported."""
    wanted = {(kind, here) for kind, here in ids.items() if here}
    if not wanted:
        return {}
    rows = conn.execute(select(facts).where(facts.c.id.in_([here for _, here in wanted])))
    return {r.kind: q.ImportOrigin.model_validate({k: v for k, v in r._mapping.items() if k not in ("kind", "id")})
            for r in rows if (r.kind, r.id) in wanted}


ORIGIN_TAGS = {"imported": IMPORTED_TAG, "legacy": LEGACY_RUN_TAG}


def selective(query: q.ListRuns) -> bool:
    return query.legacy_scenario_id is not None or query.legacy_config_version_id is not None


def run_filters(conn: Connection, query: q.ListRuns) -> list[Any]:
    """WHERE clauses of the history's filters by origin (the imported runs' tags) and by the
    original's scenario and config version ids. The ids here follow from the sources imported
    (``contracts.legacy``), so runs of a scenario the original deleted are found too; each clause
    is read by its column's index."""
    tags = db.run_tags
    implied = query.origin == "imported" and selective(query)  # runs of the original's ids are imported ones
    origin = ([db.runs.c.run_id.in_(select(tags.c.run_id).where(tags.c.tag == ORIGIN_TAGS[query.origin]))]
              if query.origin and not implied else [])
    if not selective(query):
        return origin
    known = db.imported_sources
    named = select(known.c.source)
    if query.legacy_source is not None:
        named = named.where(known.c.source == query.legacy_source)
    sources = list(conn.execute(named).scalars())
    clauses = origin
    if query.legacy_scenario_id is not None:
        clauses.append(db.runs.c.scenario_id.in_([scenario_id_of(s, query.legacy_scenario_id) for s in sources]))
    if query.legacy_config_version_id is not None:
        clauses.append(db.runs.c.config_version_id.in_(
            [config_version_id_of(s, query.legacy_config_version_id) for s in sources]))
    return clauses
