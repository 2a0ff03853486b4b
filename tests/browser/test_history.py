"""The run history in the browser: filter by plan version and scenario name, compare two runs;
the retired scenario-run path leads to the Plan UI."""

import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def runs(system):  # type: ignore[no-untyped-def]
    """Two plans from different scenarios, each with its run."""
    made = {}
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = next(c["config_version_id"] for c in configs if c["planning_days"] == 90)
        for scenario in ("scn_baseline", "scn_peak_season"):
            body = {"base_scenario_id": scenario, "config_version_id": config_id, "seed": 11}
            made[scenario] = client.post("/plans", json=body).json()["plan_version_id"]
    for scenario, plan_id in made.items():
        page = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] >= 1)
        made[scenario] = page["runs"][0]
    return made


def run_ids(page) -> set[str]:  # type: ignore[no-untyped-def]
    return set(page.locator('#runs tbody input[name="run_id"]').evaluate_all("boxes => boxes.map(b => b.value)"))


def test_filtering_the_history_by_plan_version_and_by_scenario_name(context, runs):
    base, peak = runs["scn_baseline"], runs["scn_peak_season"]
    page = context.new_page()
    page.goto("/ui/runs")
    page.fill('input[name="plan_version_id"]', base["plan_version_id"])
    page.click("#run-filters button[type=submit]")
    page.wait_for_url(f"**plan_version_id={base['plan_version_id']}**")
    assert run_ids(page) == {base["run_id"]}

    page.goto("/ui/runs")
    page.fill('input[name="scenario_name"]', "PEAK")
    page.click("#run-filters button[type=submit]")
    page.wait_for_url("**scenario_name=PEAK**")
    found = run_ids(page)
    assert peak["run_id"] in found and base["run_id"] not in found
    assert page.locator('input[name="scenario_name"]').input_value() == "PEAK"
    page.click("a.sort:text('Fill rate')")
    page.wait_for_url("**sort=fill_rate**")
    assert "scenario_name=PEAK" in page.url
    shot(page, "runs-filtered")


def test_comparing_two_selected_runs(context, runs):
    base, peak = runs["scn_baseline"], runs["scn_peak_season"]
    page = context.new_page()
    page.goto("/ui/runs")
    assert page.is_disabled("#compare-selected") and page.is_disabled("#delete-selected")
    page.check(f'#runs input[value="{base["run_id"]}"]')
    assert page.is_disabled("#compare-selected") and page.is_enabled("#delete-selected")
    page.check(f'#runs input[value="{peak["run_id"]}"]')
    assert page.is_enabled("#compare-selected")
    page.click("#compare-selected")
    page.wait_for_url("**/ui/runs/compare?**")
    header = page.locator("#comparison thead").inner_text()
    assert base["run_id"] in header and peak["run_id"] in header
    assert page.locator("#comparison tbody tr").count() >= 10
    page.wait_for_selector('#overlay[data-ready="1"] canvas')
    shot(page, "compare")


def test_the_retired_scenario_run_path_leads_to_plan_creation(context):
    page = context.new_page()
    answer = page.goto("/ui/scenarios/scn_peak_season/run")
    assert answer.status == 403
    assert "retired" in page.locator(".banner").inner_text()
    shot(page, "retired")
    page.click("#plan-link")
    page.wait_for_url("**/ui/plans?base_scenario_id=scn_peak_season")
    assert page.locator('select[name="base_scenario_id"]').input_value() == "scn_peak_season"


@pytest.mark.parametrize("path", ["/ui/scenarios", "/ui/scenarios/scn_baseline", "/ui/configs", "/ui/jobs"])
def test_the_other_pages_render(context, path):
    page = context.new_page()
    assert page.goto(path).status == 200
    assert page.locator("nav.nav a.active").count() == 1
    shot(page, path.strip("/").replace("/", "-"))


def test_an_input_set_uploaded_on_the_configs_page_becomes_a_config(context, tmp_path):
    seed = Path(__file__).resolve().parents[3] / "shared" / "seed" / "input_set"
    if not seed.is_dir():
        pytest.skip("../shared/seed/input_set is not here")
    archive = tmp_path / "input_set.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(seed.iterdir()):
            zipped.write(path, f"input_set/{path.name}")
    broken = tmp_path / "mix_share.csv"
    broken.write_text("family,sku,share\nF1,SKU1,sixty\n")
    page = context.new_page()
    page.goto("/ui/configs")
    page.set_input_files('#import-input-set input[name="files"]', [str(seed / "demand_family.csv"), str(broken)])
    page.click("#import-input-set button[type=submit]")
    assert "mix_share.csv row 2 column share" in page.locator(".banner.error").inner_text()
    shot(page, "configs-input-set-refused")
    page.set_input_files('#import-input-set input[name="files"]', str(archive))
    page.fill('#import-input-set input[name="name"]', "seed input set (browser)")
    page.click("#import-input-set button[type=submit]")
    page.wait_for_url("**/ui/configs/cfg_*")
    assert "Read from the input set" in page.locator("#input-set").inner_text()
    shot(page, "config-from-input-set")


def test_an_aggregate_job_from_the_form_runs_to_success(context, runs):
    base = runs["scn_baseline"]
    page = context.new_page()
    page.goto(f"/ui/jobs?plan_version_id={base['plan_version_id']}")
    page.fill('#aggregate-form input[name="run_id"]', base["run_id"])
    page.select_option('#aggregate-form select[name="bucket"]', "month")
    page.select_option('#aggregate-form select[name="group_by"]', "node")
    page.click("#aggregate-form button[type=submit]")
    page.wait_for_url("**/ui/jobs?created=job_*")
    job_id = page.url.split("created=")[1].split("&")[0]
    page.locator(f'tr[data-job-id="{job_id}"] [data-field="state"]:text("succeeded")').wait_for()
    assert page.locator(f'tr[data-job-id="{job_id}"] [data-field="job_type"]').inner_text() == "aggregate"
    shot(page, "jobs-aggregate")
