"""Plan review in Chromium: a planner edits the PSI grid of a draft in place (an aggregate cell,
distributed to the detail), locks a detail row and submits; an approver approves on the same
page; the audit trail names them both. The page runs no inline script: static/psi.js."""

import pytest

from tests.browser.conftest import SCREENSHOTS, shot, sign_in

pytestmark = pytest.mark.browser
SAMPLE_NAMES = ("Small network", "Medium network", "Large network")


@pytest.fixture()
def fresh(browser, system):  # type: ignore[no-untyped-def]
    contexts = []

    def signed_in(user: str, password: str):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(base_url=system.base_url, viewport={"width": 1366, "height": 900})
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        page = ctx.new_page()
        sign_in(page, user, password)
        return page

    yield signed_in
    for ctx in contexts:
        ctx.close()


def made_plan(system) -> str:  # type: ignore[no-untyped-def]
    with system.client() as admin:
        configs = admin.get("/configs").json()["configs"]  # the samples loaded at first start, not what
        samples = [c for c in configs if c["name"] in SAMPLE_NAMES]  # other tests imported meanwhile
        config = max(samples, key=lambda c: c["planning_days"])["config_version_id"]
        plan_id = admin.post("/plans", json={"base_scenario_id": "scn_peak_season", "config_version_id": config}
                             ).json()["plan_version_id"]
    system.wait_for(f"/plans/{plan_id}/psi/state", lambda body: body["state"].get("opened"), timeout=60)
    return plan_id


def test_a_planner_edits_the_grid_and_submits_and_an_approver_approves(fresh, system):
    plan_id = made_plan(system)
    planner = fresh("pia-browser", system.add_user("pia-browser", "planner"))
    errors: list[str] = []
    planner.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    planner.goto(f"/ui/plans/{plan_id}")
    cell = planner.locator('#psi-grid tr[data-key="agg:period=M2,family=FAM1"] input[data-field="supply"]')
    cell.wait_for()
    assert planner.locator("#review-state").inner_text() == "draft"
    cell.fill("1500")
    planner.fill("#psi-note", "supplier capacity in March")
    planner.fill("#psi-step", "1")
    planner.click("#psi-save")
    planner.locator("#psi-status", has_text="Saved 1 cell").wait_for()
    edited = planner.locator('#psi-grid tr[data-key="agg:period=M2,family=FAM1"] td.edited input[data-field="supply"]')
    assert edited.input_value() == "1500"
    assert "revision 1" in planner.locator("#review-revision").inner_text()

    planner.select_option("#psi-level", "det")
    planner.fill("#psi-q", "W10 P3")
    row = planner.locator('#psi-grid tr[data-key="det:week=W10,sku=P3"]')
    row.wait_for()
    row.locator("input.psi-pick").check()
    planner.click("#psi-lock")
    planner.locator("#psi-status", has_text="Locked 1 row").wait_for()
    assert planner.locator('#psi-grid tr[data-key="det:week=W10,sku=P3"] td.locked').count() == 2
    planner.locator('#review-audit tr[data-event="lock"]').first.wait_for()
    shot(planner, "plan-review-draft")
    planner.locator("#plan-review").screenshot(path=str(SCREENSHOTS / "plan-review-section.png"))

    planner.fill('#review-submit-form input[name="note"]', "ready for S&OP")
    planner.click("#review-submit")
    planner.wait_for_url(f"**/ui/plans/{plan_id}?**")
    assert planner.locator("#review-state").inner_text() == "submitted"
    assert planner.locator("#psi-edit-tools").count() == 0 and planner.locator("#review-approve").count() == 0
    planner.locator('#psi-grid tbody tr').first.wait_for()
    assert planner.locator("#psi-grid input.psi-cell").count() == 0, "a submitted plan's grid is read-only"

    approver = fresh("ada-browser", system.add_user("ada-browser", "approver"))
    approver.goto(f"/ui/plans/{plan_id}")
    approver.fill('#review-approve-form input[name="note"]', "agreed")
    approver.click("#review-approve")
    approver.wait_for_url(f"**/ui/plans/{plan_id}?**")
    assert approver.locator("#review-state").inner_text() == "approved"
    audit = approver.locator("#review-audit").inner_text()
    assert "pia-browser" in audit and "ada-browser" in audit and "supplier capacity in March" in audit
    shot(approver, "plan-review-approved")
    assert not errors, errors
    with system.client() as admin:
        state = admin.get(f"/plans/{plan_id}/psi/state").json()["state"]
    assert (state["status"], state["submitted_by"], state["approved_by"]) == ("approved", "pia-browser", "ada-browser")
