"""The original scpln's runbook works as written: ``python scripts/rebuild_run_registry.py``
rebuilds the registry, ``make smoke-plan-run`` makes a plan on a sample and finds its run,
``scpln configs import`` takes the original's canonical JSON, and a clean stop leaves the
registry's file a complete backup."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.nats_server import free_port
from tests.e2e.system import ROOT, start_system, stop_system

pytestmark = pytest.mark.e2e

SEED = ROOT.parent / "shared" / "seed" / "canonical"
INPUT_SET = ROOT.parent / "shared" / "seed" / "input_set"


def env_of(system, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DB", "SCPLN_DATA_DIR", "SCPLN_URL")}
    return {**env, "SCPLN_DATA_DIR": str(system.data_dir), "SCPLN_URL": system.base_url,
            "SCPLN_OPERATOR": "e2e-tests", **system.cli_env, **extra}


def run(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_make_smoke_plan_run_finds_the_run_of_a_new_plan(system):
    done = run(["make", "--no-print-directory", "smoke-plan-run", f"BIN={Path(sys.executable).parent}"], env_of(system))
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout.strip().splitlines()[-1]
    assert said.startswith("smoke-plan-run OK:") and "found in the run history" in said
    plan_id = said.split(", plan ")[1].split(" ")[0]
    run_id = said.split("→ run ")[1].split(" ")[0]
    with system.client() as client:
        assert [r["run_id"] for r in client.get("/runs", params={"plan_version_id": plan_id}).json()["runs"]] == [run_id]


def test_the_smoke_target_says_why_it_fails(system):
    nobody = f"http://127.0.0.1:{free_port()}"
    done = run([sys.executable, "scripts/smoke_plan_run.py"], env_of(system, SCPLN_URL=nobody, SCPLN_TOKEN="x"))
    assert done.returncode == 1 and "smoke-plan-run FAILED" in done.stderr and nobody in done.stderr
    no_user = run([sys.executable, "scripts/smoke_plan_run.py"], env_of(system, SMOKE_USER="nobody-here"))
    assert no_user.returncode == 1 and "scpln tokens create --user nobody-here failed" in no_user.stderr


def test_the_runbook_rebuild_script_runs_the_registry_rebuild(system):
    done = run([sys.executable, "scripts/rebuild_run_registry.py", "--verify"], env_of(system))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "rebuild_run_registry.py runs: scpln registry rebuild --verify"
    bad = run([sys.executable, "scripts/rebuild_run_registry.py", "--until-seq", "0"], env_of(system))
    assert bad.returncode == 2 and "a stream sequence is 1 or more" in bad.stderr


@pytest.mark.skipif(not SEED.is_dir(), reason="../shared/seed/canonical is not here")
def test_scpln_configs_import_takes_the_originals_canonical_json(system):
    path = min(SEED.glob("*.json"))
    said = system.scpln("configs", "import", str(path)).stdout
    assert ": imported as a new version: " in said or "already a version" in said
    assert "mapped from the original scpln format:" in said and "$.hierarchies[*].node_key: → key" in said
    assert "kept but not used:" in said and "$.calendars" in said
    version = said.splitlines()[0].rsplit(": ", 1)[1]
    with system.client() as client:
        page = client.get(f"/ui/configs/{version}")
        assert page.status_code == 200 and 'id="original-format"' in page.text
        stored = client.get(f"/configs/{version}/document").json()
    assert stored["hierarchies"][0]["key"] == json.loads(path.read_text())["hierarchies"][0]["node_key"]


@pytest.mark.skipif(not SEED.is_dir(), reason="../shared/seed/canonical is not here")
def test_post_configs_and_the_configs_page_take_the_originals_canonical_json(system):
    path = max(SEED.glob("*.json"))
    with system.client() as client:
        imported = client.post("/configs", json=json.loads(path.read_text()))
        assert imported.status_code == 201, imported.text
        codes = {w["code"] for w in imported.json()["warnings"]}
        assert {"original_mapped", "original_unused"} <= codes
        again = client.post("/ui/configs", files={"file": (path.name, path.read_bytes(), "application/json")},
                            follow_redirects=True)
        assert again.status_code == 200 and 'id="original-format"' in again.text and "already a version" in again.text


@pytest.mark.skipif(not INPUT_SET.is_dir(), reason="../shared/seed/input_set is not here")
def test_an_original_input_set_imported_by_the_cli_and_the_api_is_planned_and_run(system):
    said = system.scpln("configs", "import-input-set", str(INPUT_SET), "--name", "seed input set (cli)").stdout
    assert "read from the input set:" in said and "derived (the input set does not give it):" in said, said
    from_cli = said.splitlines()[0].rsplit(": ", 1)[1]
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(INPUT_SET.iterdir())]
    with system.client() as client:
        broken = [f if f[1][0] != "item.csv" else ("files", ("item.csv", b"item,lt,lot,moq\nSKU1,x,1,0\n", "text/csv"))
                  for f in files]
        refused = client.post("/configs/input-sets", files=broken)
        assert refused.status_code == 422, refused.text
        assert [(e["file"], e["row"], e["column"]) for e in refused.json()["detail"]["errors"]] == [("item.csv", 2, "lt")]
        imported = client.post("/configs/input-sets", files=files)
        assert imported.status_code == 201, imported.text
        version = imported.json()["config_version_id"]
        assert version != from_cli and "input_set_derived" in {w["code"] for w in imported.json()["warnings"]}
        system.wait_for_status(client, f"/ui/configs/{version}", 200)  # once the registry has the new version
        assert 'id="input-set"' in client.get(f"/ui/configs/{version}").text
        small = next(c for c in client.get("/configs").json()["configs"] if c["name"] == "Small network")
        over = client.post("/configs/input-sets", data={"name": "over small", "base": small["config_version_id"]}, files=[
            ("files", ("demand_family.csv", b"family,period,demand\nFAM1,2025-01,300\n", "text/csv")),
            ("files", ("mix_share.csv", b"family,sku,share\nFAM1,P1,1\n", "text/csv"))])
        assert over.status_code == 201, over.text
        assert any("laid over 'Small network'" in w["message"] for w in over.json()["warnings"])
        plan = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": version})
        assert plan.status_code == 202, plan.text
        plan_id = plan.json()["plan_version_id"]
    found = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1, timeout=60)
    summary = found["runs"][0]["summary"]
    assert summary["store_demand_total"] == pytest.approx(3780.0) and summary["fill_rate"] > 0.5


def test_after_a_clean_stop_a_copy_of_the_database_file_is_a_backup(tmp_path):
    system = start_system(tmp_path)
    try:
        with system.client() as client:
            configs = client.get("/configs").json()["configs"]
            config = min(configs, key=lambda c: c["planning_days"])["config_version_id"]
            plan = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
            assert plan.status_code == 202, plan.text
            plan_id = plan.json()["plan_version_id"]
        system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1, timeout=60)
    finally:
        stop_system(system)
    assert system.proc.returncode == 0
    db = tmp_path / "scpln.db"
    wal = db.with_name("scpln.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.db"
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE plan_version_id = ?", (plan_id,)).fetchone()[0] == 1
