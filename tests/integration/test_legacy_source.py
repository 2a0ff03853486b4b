"""Reading an original scpln database (real SQLite files): the shared database becomes the facts
its manifest describes, under the same ids, with the same event ids every time; a file that is
not such a database, a truncated one, or one of a schema revision the importer does not know is
refused before anything is read into facts."""

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from contracts import events as ev
from contracts.legacy import IMPORTED_TAG, LEGACY_RUN_TAG
from contracts.results import DailyResultsV2
from scpln.legacy.importer import context, rows, run_import
from scpln.legacy.source import NotLegacyDatabase, open_legacy

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed"
DB = SEED / "legacy-small.db"
pytestmark = pytest.mark.skipif(not DB.exists(), reason="../shared/seed/legacy-small.db is not here")


@pytest.fixture
def manifest() -> dict:  # type: ignore[type-arg]
    return json.loads((SEED / "legacy-small.manifest.json").read_text())


def _facts() -> list:  # type: ignore[type-arg]
    src = open_legacy(DB, "seed")
    try:
        return list(rows(src, context(src)))
    finally:
        src.db.close()


def test_the_shared_database_becomes_the_facts_of_its_manifest(manifest) -> None:  # type: ignore[no-untyped-def]
    facts = _facts()
    events = [e for row in facts for e in row.events]
    of = lambda kind: [e for e in events if isinstance(e, kind)]
    assert {e.scenario_id for e in of(ev.ScenarioCreated)} == {f"legacy-seed-scenario-{s['id']}" for s in manifest["scenarios"]}
    assert {e.scenario_id for e in of(ev.ScenarioLocked)} == {
        f"legacy-seed-scenario-{s['id']}" for s in manifest["scenarios"] if s["locked"]}
    assert {e.config_version_id for e in of(ev.ConfigVersionCreated)} == {
        f"legacy-seed-config-{c['version_id']}" for c in manifest["canonical_configs"]}
    assert {e.plan_version_id for e in of(ev.PlanCreated)} == {p["version_id"] for p in manifest["plans"]}
    runs = {e.run_id: e for e in of(ev.RunCompleted)}
    assert set(runs) == {r["run_id"] for r in manifest["runs"]}
    for source in manifest["runs"]:
        run = runs[source["run_id"]]
        assert run.plan_version_id == (source["plan_version_id"] or "legacy-no-plan")
        assert run.config_version_id == f"legacy-seed-config-{source['config_version_id']}"
        assert run.scenario_id == f"legacy-seed-scenario-{source['scenario_id']}"
        assert (run.summary.fill_rate, run.summary.profit_total, run.summary.planning_days) == pytest.approx(
            (source["fill_rate"], source["profit_total"], source["planning_days"]))
        assert run.duration_ms == source["duration_ms"]
        assert int(run.started_at.timestamp() * 1000) == source["started_at"]
    meta = manifest["runs_meta"]
    assert {e.run_id: e.approved_by for e in of(ev.RunApproved)} == {
        m["run_id"]: m["approved_by"] for m in meta if m["approved"]}
    assert {e.run_id for e in of(ev.BaselinePromoted)} == {m["run_id"] for m in meta if m["baseline"]}
    assert {e.run_id for e in of(ev.RunArchived)} == {m["run_id"] for m in meta if m["archived"]}
    assert {e.run_id: e.text for e in of(ev.RunNoteAdded)} == {m["run_id"]: m["note"] for m in meta if m["note"]}
    assert all(IMPORTED_TAG in e.added for e in of(ev.RunTagsChanged))
    no_plan = {r["run_id"] for r in manifest["runs"] if r["plan_version_id"] is None}
    assert {e.run_id for e in of(ev.RunTagsChanged) if LEGACY_RUN_TAG in e.added} == no_plan
    markers = [row.marker(manifest["sha256"], DB.name) for row in facts]
    assert all(m.imported_from == manifest["sha256"] for m in markers)
    assert len({e.event_id for e in events} | {m.event_id for m in markers}) == len(events) + len(markers)


def test_daily_results_are_kept_in_this_systems_layout_and_their_pnl_adds_up_to_the_summary(manifest) -> None:  # type: ignore[no-untyped-def]
    days = {r["run_id"]: r["planning_days"] for r in manifest["runs"]}
    for row in (r for r in _facts() if r.table == "runs"):
        run = row.events[0]
        assert run.results is not None and run.results.content_type == "application/gzip"
        results = DailyResultsV2.model_validate_json(gzip.decompress(row.objects[0].data))
        assert results.run_id == run.run_id and results.planning_days == days[run.run_id]
        assert all(len(s.end) == results.planning_days for s in results.series)
        assert sum(results.pnl["profit"]) == pytest.approx(run.summary.profit_total)
        assert sum(results.pnl["revenue"]) == pytest.approx(run.summary.revenue_total)


def test_the_same_rows_give_the_same_event_ids() -> None:
    assert [e.event_id for row in _facts() for e in row.events] == [e.event_id for row in _facts() for e in row.events]


async def test_a_dry_run_counts_without_a_bus() -> None:
    src = open_legacy(DB, "seed")
    try:
        report = await run_import(src, None, dry_run=True)
    finally:
        src.db.close()
    assert report["tables"]["runs"] == {"rows": 6, "imported": 6, "already": 0, "conflicts": 0, "events": 18}
    assert report["source"] == "seed"
    assert report["ids"] == {"scenarios/1": "legacy-seed-scenario-1", "scenarios/2": "legacy-seed-scenario-2",
                             "canonical_config_versions/1": "legacy-seed-config-1",
                             "canonical_config_versions/2": "legacy-seed-config-2"}


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    shutil.copyfile(DB, copy)
    return copy


def test_refused_a_file_that_is_no_sqlite_a_database_of_another_application_a_truncated_one(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(DB.read_bytes()[: DB.stat().st_size // 3])
    for path, says in ((text, "not an SQLite database"), (other, "not an original scpln RunRegistry database"),
                       (truncated, "truncated"), (tmp_path / "absent.db", "no such file")):
        with pytest.raises(NotLegacyDatabase, match=says):
            open_legacy(path)


def test_refused_a_schema_revision_it_does_not_know_or_a_table_without_its_columns(tmp_path: Path) -> None:
    newer = _copy(tmp_path)
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = 'a1b2c3d4e5f6'")
    with pytest.raises(NotLegacyDatabase, match="schema revision a1b2c3d4e5f6 is not one this importer knows"):
        open_legacy(newer)
    changed = _copy(tmp_path)
    with sqlite3.connect(changed) as db:
        db.execute("ALTER TABLE runs_meta RENAME COLUMN note TO notes")
    with pytest.raises(NotLegacyDatabase, match="runs_meta has no column note"):
        open_legacy(changed)


def test_the_source_file_is_not_changed(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    before = copy.read_bytes()
    src = open_legacy(copy)
    src.db.close()
    assert copy.read_bytes() == before and not Path(f"{copy}-wal").exists()
