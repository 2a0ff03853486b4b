"""A run's governance in Chromium: an approver approves a run and promotes it to its scenario's
baseline from the run page (confirming), a note is written in Markdown and shown rendered, tags
are added, the history shows and filters it, and the preset compares the latest run of the
scenario with its baseline. A planner's run page has no approve button. A run imported from the
original scpln says where it came from, and the history's origin filter finds its legacy runs."""

import json
from pathlib import Path

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def run(system):  # type: ignore[no-untyped-def]
    with system.client() as client:
        config_id = min(client.get("/configs").json()["configs"], key=lambda c: c["planning_days"])["config_version_id"]
        plan_id = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id,
                                              "seed": 5}).json()["plan_version_id"]
    return system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] >= 1, timeout=120)["runs"][0]


def test_approve_promote_note_and_tag_a_run_from_its_page(context, run):
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/ui/runs/{run['run_id']}")
    assert "not approved" in page.locator("#meta-approved").inner_text()
    page.click("#approve-run")
    page.wait_for_url(f"**/ui/runs/{run['run_id']}?**")
    assert "approved" in page.locator("#meta-approved").inner_text() and page.locator("#approve-run").count() == 0
    page.click("#promote-baseline")
    page.wait_for_url(f"**/ui/runs/{run['run_id']}?**")
    assert "baseline" in page.locator("#meta-baseline").inner_text()
    page.fill('#run-note textarea[name="note"]', "Agreed in **S&OP** <script>alert(1)</script>")
    page.click('#run-note button[type="submit"]')
    page.wait_for_url(f"**/ui/runs/{run['run_id']}?**")
    note = page.locator("#run-notes .note").last
    assert note.locator("strong").inner_text() == "S&OP" and "<script>alert(1)</script>" in note.inner_text()
    page.fill('#run-tags input[name="add"]', "q3, board")
    page.click('#run-tags button[type="submit"]')
    page.wait_for_url(f"**/ui/runs/{run['run_id']}?**")
    assert page.locator("#meta-tags .tag").all_inner_texts() == ["board", "q3"]
    shot(page, "run-governance")

    page.goto("/ui/runs")
    page.select_option('select[name="baseline"]', "yes")
    page.click("#run-filters button[type=submit]")
    page.wait_for_url("**baseline=yes**")
    row = page.locator(f'#runs tbody tr:has(input[value="{run["run_id"]}"])')
    assert "baseline" in row.locator("td.governance").inner_text()
    page.click("#compare-latest-vs-baseline")
    page.wait_for_url("**/ui/runs/compare?**base=baseline**")
    assert page.locator("#compare-bases").count() == 1
    shot(page, "compare-vs-baseline")


def test_a_planner_sees_no_approve_button_but_may_note(browser, system, run):  # type: ignore[no-untyped-def]
    password = system.add_user("browser-planner", "planner")
    ctx = browser.new_context(base_url=system.base_url)
    try:
        page = ctx.new_page()
        sign_in(page, "browser-planner", password)
        page.goto(f"/ui/runs/{run['run_id']}")
        assert page.locator("#approve-run").count() == 0 and page.locator("#promote-baseline").count() == 0
        assert page.locator("#run-note").count() == 1 and "can't approve" in page.locator("#governance").inner_text()
    finally:
        ctx.close()


SEED_DB = Path(__file__).resolve().parents[3] / "shared" / "seed" / "legacy-small.db"


@pytest.mark.skipif(not SEED_DB.exists(), reason="../shared/seed/legacy-small.db is not here")
def test_an_imported_run_says_where_it_came_from_and_the_history_finds_legacy_runs(context, system):  # type: ignore[no-untyped-def]
    report = json.loads(system.scpln("legacy", "import", "--db", str(SEED_DB), "--json").stdout)
    manifest = json.loads((SEED_DB.parent / "legacy-small.manifest.json").read_text())
    imported = next(r for r in manifest["runs"] if r["plan_version_id"])
    system.wait_for(f"/runs/{imported['run_id']}", lambda body: body["imported"].get("run"))
    page = context.new_page()
    page.goto(f"/ui/runs/{imported['run_id']}")
    origin = page.locator("#import-origin").inner_text()
    assert f"Imported from the original scpln: {SEED_DB.name}, sha256 {manifest['sha256'][:12]}" in origin
    assert f"original id {imported['run_id']}" in origin and report["source"] in origin
    shot(page, "run-imported")

    page.goto("/ui/runs")
    page.select_option('select[name="origin"]', "legacy")
    page.select_option('select[name="archived"]', "include")
    page.click("#run-filters button[type=submit]")
    page.wait_for_url("**origin=legacy**")
    legacy = {r["run_id"] for r in manifest["runs"] if not r["plan_version_id"]}
    shown = set(page.locator('#runs tbody input[name="run_id"]').evaluate_all("els => els.map(e => e.value)"))
    assert shown == legacy
