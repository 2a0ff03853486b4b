"""A planner creates a plan through the form, watches its jobs finish live, and follows the
links from the job to the plan, to its run and its charts."""

import re

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def small_config(page) -> str:  # type: ignore[no-untyped-def]
    """The value of the config option with the shortest horizon under 100 days."""
    options = page.locator('select[name="config_version_id"] option').all()
    labelled = [(o.get_attribute("value"), o.inner_text()) for o in options if o.get_attribute("value")]
    return next(value for value, label in labelled if re.search(r"· 90 days", label))


def job_row(page, plan_id: str, job_type: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#jobs tbody tr:has([data-field="plan"]:has-text("{plan_id}")):has([data-field="job_type"]:text-is("{job_type}"))')


def test_a_plan_made_in_the_form_is_followed_live_to_its_run_and_chart(context):
    watcher = context.new_page()
    watcher.goto("/ui/jobs")
    watcher.wait_for_selector("#live-status:text('connected')")
    watcher.evaluate("window.notReloaded = true")

    planner = context.new_page()
    planner.goto("/ui/plans?base_scenario_id=scn_baseline")
    assert planner.locator('select[name="base_scenario_id"]').input_value() == "scn_baseline"
    planner.select_option('select[name="config_version_id"]', small_config(planner))
    planner.fill('input[name="seed"]', "7")
    shot(planner, "plans")
    planner.click("#create-plan button[type=submit]")
    planner.wait_for_url(re.compile(r"/ui/jobs\?created=job_\w+&plan=plan_\w+"))
    plan_id = re.search(r"plan=(plan_\w+)", planner.url).group(1)

    for job_type in ("planning", "simulation"):
        row = job_row(watcher, plan_id, job_type)
        row.locator('[data-field="state"]:text("succeeded")').wait_for()
    assert watcher.evaluate("window.notReloaded") is True
    run_link = job_row(watcher, plan_id, "simulation").locator('[data-field="run"] a')
    run_id = run_link.inner_text()
    shot(watcher, "jobs-live")

    planner.reload()
    job_row(planner, plan_id, "planning").locator(f'a[href="/ui/plans/{plan_id}"]').click()
    planner.wait_for_url(f"**/ui/plans/{plan_id}")
    assert planner.locator("h1").inner_text().startswith(f"Plan {plan_id}")
    planner.wait_for_selector("details.artifact table")
    shot(planner, "plan")

    planner.click(f'#plan-runs a[href="/ui/runs/{run_id}"]')
    planner.wait_for_url(f"**/ui/runs/{run_id}")
    planner.wait_for_selector('#charts[data-ready="1"]')
    assert planner.locator("#psi-chart canvas").count() == 1 and planner.locator("#pnl-chart canvas").count() == 1
    planner.select_option("#pair", index=0)
    planner.wait_for_function("document.querySelector('#psi-chart .u-title').textContent.includes('·')")
    shot(planner, "run")
    assert planner.get_by_text("Simulate again").count() == 0


def test_simulate_again_adds_a_run_to_the_plan(context, system):
    with system.client() as client:
        plan_id = client.get("/plans?status=ready").json()["plans"][0]["plan_version_id"]
    page = context.new_page()
    page.goto(f"/ui/plans/{plan_id}")
    before = int(page.locator("#plan-run-total").inner_text().replace(",", ""))  # the table shows a page of them
    page.click("#simulate-again")
    page.wait_for_url(re.compile(r"/ui/jobs\?created="))
    job_row(page, plan_id, "simulation").first.wait_for()
    system.wait_for(f"/plans/{plan_id}", lambda body: len(body["runs"]) == before + 1)


def test_without_the_event_stream_the_job_table_polls(context, system):
    page = context.new_page()
    page.route("**/ui/jobs/events**", lambda route: route.abort())
    page.goto("/ui/jobs")
    page.wait_for_selector("#live-status:text('polling')", timeout=30_000)
    with system.client() as client:
        plan_id = client.get("/plans?status=ready").json()["plans"][0]["plan_version_id"]
        job_id = client.post(f"/plans/{plan_id}/runs").json()["job_id"]
    page.locator(f'tr[data-job-id="{job_id}"] [data-field="state"]:text("succeeded")').wait_for()


def test_a_filtered_job_table_takes_in_only_the_jobs_that_match(context, system):
    page = context.new_page()
    page.goto("/ui/jobs?state=failed&job_type=planning")
    page.wait_for_selector("#live-status:text('connected')")
    before = page.locator("#job-total").inner_text()
    with system.client() as client:
        config = min(client.get("/configs").json()["configs"], key=lambda c: c["planning_days"])
        job_id = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                             "config_version_id": config["config_version_id"]}).json()["job_id"]
        system.wait_for(f"/jobs/{job_id}", lambda body: body["job"]["state"] == "succeeded")
        # then a planning job that fails (its scenario's what-if names a family the config lacks): the
        # filtered table takes it in, so it has read the stream past the job that succeeded
        scenario = client.post("/scenarios", json={"name": "Unplannable what-if", "overrides": [
            {"type": "demand_scale", "factor": 1.5, "family": "NO_SUCH_FAMILY"}]}).json()["scenario_id"]
        failing = client.post("/plans", json={"base_scenario_id": scenario,
                                              "config_version_id": config["config_version_id"]}).json()["job_id"]
    page.locator(f'tr[data-job-id="{failing}"] [data-field="state"]:text("failed")').wait_for()
    assert page.locator(f'tr[data-job-id="{job_id}"]').count() == 0
    assert page.locator("#job-total").inner_text() == str(int(before) + 1)


def test_a_double_click_on_create_plan_makes_one_plan(context, system):
    with system.client() as client:
        before = client.get("/plans").json()["total"]
    page = context.new_page()
    page.goto("/ui/plans?base_scenario_id=scn_peak_season")
    config_id = small_config(page)
    page.select_option('select[name="config_version_id"]', config_id)
    page.evaluate("""() => {  // two clicks before the next page arrives, as an impatient planner does
        const button = document.querySelector('#create-plan button[type=submit]');
        button.click(); setTimeout(() => button.click(), 50);
    }""")
    page.wait_for_url(re.compile(r"/ui/jobs\?created="))
    plan_id = re.search(r"plan=(plan_\w+)", page.url).group(1)
    with system.client() as client:  # a plan asked for after the clicks: once it is listed, a second plan of theirs would be
        later = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id}).json()
        system.wait_for(f"/plans/{later['plan_version_id']}", lambda body: True)
        listed = {p["plan_version_id"] for p in client.get("/plans", params={"limit": 200}).json()["plans"]}
        assert client.get("/plans").json()["total"] == before + 2 and {plan_id, later["plan_version_id"]} <= listed
