"""Importing an original scpln database into the running system (``scpln legacy import``): the
shared database's scenarios, configs, plans, runs and approvals are found through the API under
the original's ids, as its manifest lists them; a second import adds nothing; an imported config
version can be planned and its run completes; two databases whose integer ids overlap are two id
spaces here; a file that is no such database is refused and nothing is written."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.system import System

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed"
DB = SEED / "legacy-small.db"


def _import(system: System, *args: str, db: Path = DB) -> dict:  # type: ignore[type-arg]
    return json.loads(system.scpln("legacy", "import", "--db", str(db), "--json", *args).stdout)


@pytest.mark.skipif(not DB.exists(), reason="../shared/seed/legacy-small.db is not here")
def test_the_original_history_is_found_under_its_ids_and_a_second_import_adds_nothing(system: System) -> None:
    manifest = json.loads((SEED / "legacy-small.manifest.json").read_text())
    dry = _import(system, "--dry-run")
    assert {t: v["imported"] for t, v in dry["tables"].items()} == {
        "scenarios": 2, "canonical_config_versions": 2, "plan_versions": 3, "runs": 6, "runs_meta": 6}

    first = _import(system)
    assert first["imported_from"] == manifest["sha256"] and first["source"] == dry["source"]
    src = first["source"]
    assert first["ids"]["scenarios/2"] == f"legacy-{src}-scenario-2"
    want = {r["run_id"]: r for r in manifest["runs"]}
    runs = system.wait_for("/runs?limit=100&archived=include",
                           lambda body: {r["run_id"] for r in body["runs"]} >= set(want))["runs"]
    for run in (r for r in runs if r["run_id"] in want):
        source = want[run["run_id"]]
        assert run["plan_version_id"] == (source["plan_version_id"] or "legacy-no-plan")
        assert run["config_version_id"] == f"legacy-{src}-config-{source['config_version_id']}"
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
    baseline = system.wait_for(f"/runs/baseline?scenario_id=legacy-{src}-scenario-{scenario}", lambda body: True)
    assert approved in json.dumps(baseline)
    archived = next(rid for rid, m in meta.items() if m["archived"])
    assert system.wait_for(f"/runs/{archived}/meta", lambda body: body.get("archived"))

    locked = {s["id"]: s["locked"] for s in manifest["scenarios"]}
    for legacy_id, is_locked in locked.items():
        body = system.wait_for(f"/scenarios/legacy-{src}-scenario-{legacy_id}", lambda body: True)
        assert body["scenario"]["locked"] == bool(is_locked)
        assert body["imported"]["scenario"]["original_id"] == str(legacy_id)
    for plan in manifest["plans"]:
        body = system.wait_for(f"/plans/{plan['version_id']}", lambda body: True)
        assert {r["run_id"] for r in body["runs"]} >= set(plan["run_ids"])
        assert body["plan"]["config_version_id"] == f"legacy-{src}-config-{plan['config_version_id']}"
    for config in manifest["canonical_configs"]:
        system.wait_for(f"/configs/legacy-{src}-config-{config['version_id']}", lambda body: True)

    some = manifest["runs"][0]
    found = system.wait_for(f"/runs?legacy_scenario_id={some['scenario_id']}&legacy_config_version_id="
                            f"{some['config_version_id']}&legacy_source={src}&archived=include", lambda body: True)
    assert some["run_id"] in {r["run_id"] for r in found["runs"]}
    detail = system.wait_for(f"/runs/{some['run_id']}", lambda body: True)
    assert detail["imported"]["run"] | {"imported_from": manifest["sha256"]} == detail["imported"]["run"]
    assert detail["imported"]["config"]["original_id"] == str(some["config_version_id"])

    again = _import(system)
    assert all(t["imported"] == 0 for t in again["tables"].values())
    assert again["tables"]["runs"]["already"] == 6


@pytest.mark.skipif(not DB.exists(), reason="../shared/seed/legacy-small.db is not here")
def test_an_imported_config_version_is_planned_and_its_run_completes(system: System) -> None:
    src = _import(system)["source"]
    config = system.wait_for(f"/configs/legacy-{src}-config-1", lambda body: True)["config"]
    assert config["warnings"][0]["code"] == "imported_original" and config["planning_days"] == 59
    with system.client() as client:
        accepted = client.post("/plans", json={"base_scenario_id": f"legacy-{src}-scenario-1",
                                               "config_version_id": config["config_version_id"]})
        assert accepted.status_code == 202, accepted.text
    plan = system.wait_for(f"/plans/{accepted.json()['plan_version_id']}",
                           lambda body: [r for r in body["runs"] if r["status"] == "succeeded"], timeout=90)
    assert plan["runs"][0]["config_version_id"] == config["config_version_id"]


def test_two_databases_whose_integer_ids_overlap_are_two_id_spaces(system: System, tmp_path: Path) -> None:
    generate = [sys.executable, str(ROOT / "bench" / "legacy_db.py"), "generate", "--runs", "30"]
    sites = []
    for seed in (11, 12):
        out = tmp_path / f"site-{seed}.db"
        subprocess.run([*generate, "--seed", str(seed), "--out", str(out)], check=True, capture_output=True)
        sites.append(out)
    first, second = (_import(system, db=site) for site in sites)
    assert first["source"] != second["source"]
    for report in (first, second):
        assert report["tables"]["scenarios"]["imported"] == report["tables"]["scenarios"]["rows"]
        assert report["tables"]["runs"]["imported"] == 30 and not report["conflicts"]
        assert report["ids"]["scenarios/1"] == f"legacy-{report['source']}-scenario-1"
    again = _import(system, db=sites[1])
    assert sum(t["imported"] for t in again["tables"].values()) == 0
    for report in (first, second):
        runs = system.wait_for(f"/runs?legacy_scenario_id=1&legacy_source={report['source']}&archived=include&limit=100",
                               lambda body: body["total"] > 0)
        assert {r["scenario_id"] for r in runs["runs"]} == {f"legacy-{report['source']}-scenario-1"}


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
