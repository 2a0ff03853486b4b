"""A plan whose pipeline fails: its job turns failed live and gains a Retry button, its link
leads to a page saying at which step and why, and that page's Retry starts it again."""

import json
import re
from pathlib import Path

import pytest

from tests.browser.conftest import shot, sign_in
from tests.e2e.system import start_system, stop_system

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def system(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A system of its own: the config that cannot be planned stays out of the other tests' lists."""
    running = start_system(tmp_path_factory.mktemp("browser-failed-plans"))
    yield running
    stop_system(running)


@pytest.fixture()
def watcher(browser, system):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=system.base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, "admin", system.admin_password)
    yield page
    context.close()


def test_a_failed_plan_is_followed_live_to_its_page_and_retried_from_there(watcher, system):
    watcher.goto("/ui/jobs")
    watcher.wait_for_selector("#live-status:text('connected')")
    document = json.loads((SAMPLES / "small.json").read_text())
    document["planning_inputs"] = {"family_demand": [{"family": "NOBODY", "period": "W1", "demand": 5}]}
    with system.client() as client:
        config_id = client.post("/configs", json=document).json()["config_version_id"]
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id}).json()
    job_id, plan_id = accepted["job_id"], accepted["plan_version_id"]
    early = watcher.context.new_page()  # the plan page opened while it is being planned
    early.goto(f"/ui/plans/{plan_id}")  # turns into its failure by itself (data-live-reload-job)

    row = watcher.locator(f'tr[data-job-id="{job_id}"]')
    row.locator('[data-field="state"]:text("failed")').wait_for()
    row.locator(f'form[action="/ui/jobs/{job_id}/retry"] button').wait_for()
    assert row.locator('[data-field="step"]').inner_text() == "allocate"
    shot(watcher, "jobs-failed-plan")

    row.locator(f'a[href^="/ui/plans/{plan_id}?min_seq="]').click()
    watcher.wait_for_url(f"**/ui/plans/{plan_id}?min_seq=*")
    banner = watcher.locator("#plan-failed")
    assert "Planning failed at step allocate" in banner.inner_text() and "NOBODY" in banner.inner_text()
    assert "Planning failed at step allocate" in early.locator("#plan-failed").inner_text()
    early.close()
    assert watcher.locator("#simulate-again").count() == 0
    shot(watcher, "plan-failed")

    watcher.click("#retry-plan")
    watcher.wait_for_url(re.compile(r"/ui/jobs\?created=job_\w+"))
    retried = re.search(r"created=(job_\w+)", watcher.url).group(1)
    assert retried != job_id
    system.wait_for(f"/jobs/{retried}", lambda body: body["job"]["state"] == "failed", timeout=60)
