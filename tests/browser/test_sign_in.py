"""Signing in through the login page in Chromium: a viewer sees no controls that change
anything and the server refuses them anyway; an approver's lock names the approver."""

import re

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture()
def fresh(browser, system):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=system.base_url, viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def test_a_page_without_a_session_leads_to_the_login_page_and_back(fresh, system):
    page = fresh.new_page()
    page.goto("/ui/runs?status=succeeded")
    assert "/login?next=" in page.url
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "not the password")
    page.click('button[type="submit"]')
    assert page.locator('[role="alert"]').inner_text().strip().startswith("Wrong user name or password")
    shot(page, "login-failed")
    page.fill('input[name="password"]', system.admin_password)
    page.click('button[type="submit"]')
    page.wait_for_url("**/ui/runs?status=succeeded")
    assert "admin" in page.locator("nav, header").first.inner_text()


def test_a_viewer_sees_no_delete_button_and_its_post_is_refused(fresh, system):
    password = system.add_user("vera-browser", "viewer")
    with system.client() as admin:
        configs = admin.get("/configs").json()["configs"]
        body = {"base_scenario_id": "scn_baseline", "config_version_id": configs[0]["config_version_id"], "seed": 5}
        plan_id = admin.post("/plans", json=body).json()["plan_version_id"]
    run_id = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda b: b["total"] == 1, timeout=60)["runs"][0]["run_id"]
    page = fresh.new_page()
    sign_in(page, "vera-browser", password)
    page.goto("/ui/runs")
    assert page.locator(f'#runs input[value="{run_id}"]').count() == 1  # selecting to compare stays
    assert page.locator("#delete-selected").count() == 0
    shot(page, "runs-as-viewer")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.content())
    form = {"run_id": run_id, **({"csrf_token": token.group(1)} if token else {})}
    refused = page.request.post("/ui/runs/delete", form=form, max_redirects=0)
    assert refused.status == 403
    with system.client() as admin:
        assert admin.get(f"/runs/{run_id}").status_code == 200


def test_an_approvers_lock_is_recorded_as_the_approver(fresh, system):
    password = system.add_user("abe-browser", "approver")
    with system.client() as admin:
        scenario_id = admin.post("/scenarios", json={"name": "Audit lock (browser)"}).json()["scenario_id"]
    page = fresh.new_page()
    sign_in(page, "abe-browser", password)
    page.goto(f"/ui/scenarios/{scenario_id}")
    page.click("form[action$='/lock'] button")
    page.wait_for_url(f"**/ui/scenarios/{scenario_id}**")
    assert "abe-browser" in page.content()
    with system.client() as admin:
        assert admin.get(f"/scenarios/{scenario_id}").json()["scenario"]["locked_by"] == "abe-browser"
