"""Two original scpln databases imported into one registry: their integer ids overlap, their ids
here do not; each run, plan, scenario and config says where it came from; runs are found by the
original's ids (with the source, or from any); imported config versions are canonical-1.0."""

import importlib.util
import json
from pathlib import Path

import pytest
from registry_helpers import engine_for, messages

from contracts.queries import GetConfig, GetRun, GetScenario, ListRuns
from scpln.legacy.importer import context, rows
from scpln.legacy.source import open_legacy
from services.run_registry import queries
from services.run_registry.writer import ReadModelWriter

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT.parent / "shared" / "seed" / "legacy-small.db"
pytestmark = pytest.mark.skipif(not SEED.exists(), reason="../shared/seed/legacy-small.db is not here")


def _generate(out: Path, seed: int) -> Path:
    spec = importlib.util.spec_from_file_location("legacy_db", ROOT / "bench" / "legacy_db.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(SEED, out, 24, seed=seed)
    return out


def _imported(path: Path):  # type: ignore[no-untyped-def]
    src = open_legacy(path)
    try:
        found = list(rows(src, context(src)))
        return src.source, src.path.name, src.sha256, [e for r in found for e in (*r.events, r.marker(src.sha256, src.path.name))]
    finally:
        src.db.close()


@pytest.fixture(scope="module")
def two(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("legacy")
    return [_imported(_generate(tmp / f"site-{n}.db", n)) for n in (1, 2)]


def test_two_databases_get_two_id_spaces_and_each_fact_says_where_it_came_from(two) -> None:  # type: ignore[no-untyped-def]
    (a, file_a, sha_a, events_a), (b, _, _, events_b) = two
    assert a != b
    assert not {e.event_id for e in events_a} & {e.event_id for e in events_b}
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(events_a + events_b))
    with engine.connect() as conn:
        for source in (a, b):
            scenario = queries.get_scenario(conn, GetScenario(scenario_id=f"legacy-{source}-scenario-1"))
            assert scenario.imported["scenario"].source == source and scenario.imported["scenario"].original_id == "1"
        config = queries.get_config(conn, GetConfig(config_version_id=f"legacy-{a}-config-2"))
        assert config.config.warnings[0]["code"] == "imported_original" and config.config.planning_days > 0

        of_a = queries.list_runs(conn, ListRuns(legacy_scenario_id=1, legacy_source=a, archived="include", limit=1000))
        of_both = queries.list_runs(conn, ListRuns(legacy_scenario_id=1, archived="include", limit=1000))
        assert of_a.total and {r.scenario_id for r in of_a.runs} == {f"legacy-{a}-scenario-1"}
        assert of_both.total > of_a.total
        by_config = queries.list_runs(conn, ListRuns(legacy_config_version_id=2, legacy_scenario_id=1, legacy_source=a,
                                                     archived="include", limit=1000))
        assert {r.config_version_id for r in by_config.runs} <= {f"legacy-{a}-config-2"}
        legacy = queries.list_runs(conn, ListRuns(origin="legacy", archived="include", limit=1000))
        assert legacy.total and all(r.plan_version_id == "legacy-no-plan" for r in legacy.runs)

        run = queries.get_run(conn, GetRun(run_id=of_a.runs[0].run_id))
        origin = run.imported["run"]
        assert (origin.source, origin.source_file, origin.imported_from, origin.original_id) == (
            a, file_a, sha_a, run.run.run_id)
        assert run.imported["scenario"].original_id == "1"


def test_the_source_key_stays_when_the_database_grows_and_a_name_can_be_given(tmp_path: Path) -> None:
    path = _generate(tmp_path / "grows.db", 3)
    before = open_legacy(path)
    key, sha = before.source, before.sha256
    before.db.close()
    import sqlite3
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO scenarios (id, name, locked, created_at, updated_at) VALUES (999, 'new', 0, 1, 1)")
    after = open_legacy(path)
    assert (after.source, after.sha256 != sha) == (key, True)
    after.db.close()
    named = open_legacy(path, "plant-eu")
    assert named.source == "plant-eu"
    named.db.close()


def test_an_imported_config_version_is_the_original_sample_as_post_configs_reads_it() -> None:
    from services.plan_service.domain.original_format import to_canonical
    _, _, _, events = _imported(SEED)
    created = [e for e in events if e.event_type == "ConfigVersionCreated"]
    assert [c.planning_days for c in created] == [59, 90]
    sample, _ = to_canonical(json.loads((SEED.parent / "canonical" / "mono_node_sample_2Mths.json").read_text()))
    src = open_legacy(SEED)
    try:
        first = next(r for r in rows(src, context(src)) if r.table == "canonical_config_versions")
    finally:
        src.db.close()
    doc = json.loads(first.objects[0].data)
    for section in ("items", "bom", "demands", "capacities", "calendars", "planning_inputs"):
        assert doc[section] == sample[section], section
    assert [n["code"] for n in doc["nodes"]] == [n["code"] for n in sample["nodes"]]
    assert doc["meta"]["attributes"]["original_meta"]["version_id"] == 1


def test_every_config_version_imported_from_the_database_runs_and_conserves_flow() -> None:
    """Imported configs are plannable canonical-1.0 documents: each one simulated (executing its
    plan) keeps every unit accounted for and nothing negative."""
    from contracts.canonical import CanonicalConfig
    from contracts.supply_plan import SupplyPlan
    from services.plan_service.domain.pipeline import run_pipeline
    from services.simulator.engine import simulate
    from tests.unit.simulator.sim_helpers import check_invariants

    src = open_legacy(SEED)
    try:
        documents = [json.loads(r.objects[0].data) for r in rows(src, context(src))
                     if r.table == "canonical_config_versions"]
    finally:
        src.db.close()
    assert len(documents) == 2
    for document in documents:
        config = CanonicalConfig.model_validate(document)
        plan = run_pipeline(config, options={}).artifacts["plan_final"]
        check_invariants(simulate(config, seed=7, run_id="imported", supply_plan=SupplyPlan.model_validate(plan)))
