"""Importing an original scpln database into the running system (``scpln legacy import``): the
shared database's scenarios, configs, plans, runs and approvals are found through the API under
the original's ids, as its manifest lists them; a second import adds nothing; a file that is no
such database is refused and nothing is written."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.system import System

pytestmark = pytest.mark.e2e
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed"
DB = SEED / "legacy-small.db"


def _import(system: System, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(system.scpln("legacy", "import", "--db", str(DB), "--json", *args).stdout)


@pytest.mark.skipif(not DB.exists(), reason="../shared/seed/legacy-small.db is not here")
def test_the_original_history_is_found_under_its_ids_and_a_second_import_adds_nothing(system: System) -> None:
    manifest = json.loads((SEED / "legacy-small.manifest.json").read_text())
    dry = _import(system, "--dry-run")
    assert {t: v["imported"] for t, v in dry["tables"].items()} == {
        "scenarios": 2, "canonical_config_versions": 2, "plan_versions": 3, "runs": 6, "runs_meta": 6}

    first = _import(system)
    assert first["imported_from"] == manifest["sha256"]
    assert first["ids"]["scenarios/2"] == "legacy-scenario-2"
    want = {r["run_id"]: r for r in manifest["runs"]}
    runs = system.wait_for("/runs?limit=100&archived=include",
                           lambda body: {r["run_id"] for r in body["runs"]} >= set(want))["runs"]
    for run in (r for r in runs if r["run_id"] in want):
        source = want[run["run_id"]]
        assert run["plan_version_id"] == (source["plan_version_id"] or "legacy-no-plan")
        assert run["config_version_id"] == f"legacy-config-{source['config_version_id']}"
        assert run["summary"]["fill_rate"] == pytest.approx(source["fill_rate"])
        assert run["summary"]["profit_total"] == pytest.approx(source["profit_total"])
        assert run["summary"]["planning_days"] == source["planning_days"]

    with system.client() as client:
        some = manifest["runs"][0]
        results = client.get(f"/runs/{some['run_id']}/results")
        assert results.status_code == 200 and results.json()["planning_days"] == some["planning_days"]
        assert client.get(f"/runs/{some['run_id']}/results", params={"format": "csv", "part": "pnl"}).status_code == 200

    meta = {m["run_id"]: m for m in manifest["runs_meta"]}
    approved = next(rid for rid, m in meta.items() if m["approved"] and m["baseline"])
    run_meta = system.wait_for(f"/runs/{approved}/meta", lambda body: body.get("approved"))
    assert run_meta["approved_by"] == meta[approved]["approved_by"]
    scenario = want[approved]["scenario_id"]
    baseline = system.wait_for(f"/runs/baseline?scenario_id=legacy-scenario-{scenario}", lambda body: True)
    assert approved in json.dumps(baseline)
    archived = next(rid for rid, m in meta.items() if m["archived"])
    assert system.wait_for(f"/runs/{archived}/meta", lambda body: body.get("archived"))

    locked = {s["id"]: s["locked"] for s in manifest["scenarios"]}
    for legacy_id, is_locked in locked.items():
        body = system.wait_for(f"/scenarios/legacy-scenario-{legacy_id}", lambda body: True)
        assert body["scenario"]["locked"] == bool(is_locked)
    for plan in manifest["plans"]:
        body = system.wait_for(f"/plans/{plan['version_id']}", lambda body: True)
        assert {r["run_id"] for r in body["runs"]} >= set(plan["run_ids"])
        assert body["plan"]["config_version_id"] == f"legacy-config-{plan['config_version_id']}"
    for config in manifest["canonical_configs"]:
        system.wait_for(f"/configs/legacy-config-{config['version_id']}", lambda body: True)

    again = _import(system)
    assert all(t["imported"] == 0 for t in again["tables"].values())
    assert again["tables"]["runs"]["already"] == 6


def test_a_file_of_another_application_or_a_truncated_database_is_refused(system: System, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(DB.read_bytes()[: DB.stat().st_size // 3])
    for path, says in ((other, "not an original scpln"), (truncated, "truncated")):
        result = subprocess.run([sys.executable, "-m", "scpln.cli", "legacy", "import", "--db", str(path),
                                 "--data-dir", str(system.data_dir)], capture_output=True, text=True, timeout=60,
                                check=False)
        assert result.returncode == 1
        assert "refused, nothing written" in result.stderr and says in result.stderr
