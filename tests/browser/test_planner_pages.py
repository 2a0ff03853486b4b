"""Planner-grade pages in Chromium at a laptop's 1280 px and a phone's 390 px: a plan's artifacts as
dated grids that scroll inside their card with the first column in place, searched as one types;
its runs a page at a time, new ones appearing without a reload; the Jobs table within the page with
Cancel and Retry in view; a job page with its steps, their durations and its messages."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import nats
import pytest

from contracts.events import JobProgress, JobState, JobType
from runtime.publisher import JetStreamPublisher
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
WIDTHS = [1280, 390]
RUNS = 22


@pytest.fixture(scope="module")
def plan(system):  # type: ignore[no-untyped-def]
    """A plan of the 90-day config with RUNS runs (more than a page of them)."""
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = next(c["config_version_id"] for c in configs if c["planning_days"] == 90)
        plan_id = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id,
                                              "seed": 5}).json()["plan_version_id"]
        system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] >= 1)
        for _ in range(RUNS - 1):
            assert client.post(f"/plans/{plan_id}/runs").status_code == 202
    system.wait_for(f"/runs?plan_version_id={plan_id}&status=succeeded", lambda body: body["total"] >= RUNS,
                    timeout=120)
    return plan_id


def page_at(context, width: int):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_plans_artifacts_are_dated_grids_that_scroll_inside_their_card(context, plan, width):
    page = page_at(context, width)
    page.goto(f"/ui/plans/{plan}")
    aggregate = page.locator("#view-aggregate thead th[title^='M']")
    assert aggregate.evaluate_all("ths => ths.map(th => th.firstChild.textContent.trim())") == ["Jan 2025", "Feb", "Mar"]
    assert page.locator("#plan-horizon").inner_text() == "1 Jan – 31 Mar 2025 (90 days)"
    detail = page.locator("#view-plan_final")
    assert detail.locator("thead th[title^='W1:']").inner_text().startswith("1–7 Jan 2025")
    assert no_sideways_scroll(page), "the page itself never scrolls sideways"
    scroller = detail.locator(".grid-scroll")
    if width == 390:
        assert scroller.evaluate("el => el.scrollWidth > el.clientWidth"), "13 weeks scroll inside the card"
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    first = detail.locator("tbody tr:not(.group-head) th.sticky").first.bounding_box()
    box = scroller.bounding_box()
    assert abs(first["x"] - box["x"]) <= 2, "the measure column stays at the left while the weeks scroll"
    last_week = detail.locator("thead th[title^='W13:']").bounding_box()
    assert last_week["x"] + last_week["width"] <= box["x"] + box["width"] + 2
    shot(page, f"plan-grids-{width}")

    groups = detail.locator("tbody[data-search]")
    total = groups.count()
    detail.locator("[data-grid-filter]").fill("p2")
    shown = detail.locator("tbody[data-search]:not([hidden])")
    assert 0 < shown.count() < total
    assert all("p2" in s for s in shown.evaluate_all("bodies => bodies.map(b => b.dataset.search)"))
    assert re.fullmatch(r"\d+ of \d+ shown", detail.locator("[data-grid-count]").inner_text())
    detail.locator("[data-grid-filter]").press("Enter")
    page.wait_for_url(re.compile(r"plan_final_q=p2"))
    assert page.locator("#view-plan_final tbody[data-search]").count() == shown.count()
    assert page.locator("#artifact-plan_final").get_attribute("open") is not None
    shot(page, f"plan-grid-search-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_plans_runs_are_paged_and_new_ones_appear_without_a_reload(context, system, plan, width):
    page = page_at(context, width)
    page.goto(f"/ui/plans/{plan}")
    page.wait_for_selector("#plan-live-status:text('connected')")
    page.evaluate("window.notReloaded = true")
    rows = page.locator("#plan-runs tbody tr[data-live-key]")
    assert rows.count() == 20
    total = int(page.locator("#plan-run-total").inner_text())
    assert total >= RUNS and page.locator("#plan-runs-pager").inner_text().startswith("1–20 of")
    assert no_sideways_scroll(page)
    with system.client() as client:
        job_id = client.post(f"/plans/{plan}/runs").json()["job_id"]
    page.wait_for_selector(f"#plan-run-total:text-is('{total + 1}')")
    new = page.locator("#plan-runs tbody tr.highlight")
    assert new.count() == 1 and rows.count() == 20
    run_id = new.get_attribute("data-live-key")
    assert run_id == system.wait_for(f"/jobs/{job_id}", lambda b: b["job"]["run_id"] is not None)["job"]["run_id"]
    assert page.evaluate("window.notReloaded") is True
    shot(page, f"plan-runs-live-{width}")
    page.click("#plan-runs-pager a[rel=next]")
    page.wait_for_url(re.compile(r"runs_page=2"))
    assert page.locator("#plan-runs tbody tr[data-live-key]").count() == min(20, total + 1 - 20)
    assert run_id not in page.locator("#plan-runs").inner_text()


async def publish(nats_url: str, events: list[JobProgress]) -> None:
    """As the operator, who may report job progress (as the registry CLI's rebuild does)."""
    nc = await nats.connect(nats_url)
    try:
        publisher = JetStreamPublisher(nc.jetstream())
        for event in events:
            await publisher.publish(event)
    finally:
        await nc.close()


@pytest.fixture(scope="module")
def stuck_jobs(system, plan):  # type: ignore[no-untyped-def]
    """A queued job (Cancel, Retry) and a failed one (Retry) with a long reason, on the plan."""
    long_reason = ("no progress for 600 s: plan_service did not finish it; the run's daily results could not be read "
                   "from the object store (ObjectNotFoundError: scpln-results/run_0123456789abcdef.json.gz)")
    events = [JobProgress(correlation_id=job, producer="browser-tests", job_id=job, job_type=JobType.aggregate,
                          state=state, progress=progress, step=step, message=message, plan_version_id=plan,
                          run_id="run_0123456789abcdef")
              for job, state, progress, step, message in (
                  ("job_layout_queued_0001", JobState.queued, 0.0, "queued", ""),
                  ("job_layout_failed_0002", JobState.failed, 0.4, "reading results", long_reason))]
    with ThreadPoolExecutor(1) as thread:  # Playwright's own event loop runs in this one
        thread.submit(asyncio.run, publish(system.nats_url, events)).result()
    system.wait_for("/jobs/job_layout_failed_0002", lambda body: body["job"]["state"] == "failed")
    return [e.job_id for e in events]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_jobs_table_fits_the_page_with_cancel_and_retry_in_view(context, stuck_jobs, width):
    page = page_at(context, width)
    page.goto("/ui/jobs")
    page.wait_for_selector("#live-status:text('connected')")
    buttons = page.locator("#jobs tbody tr[data-job-id^='job_layout'] button")
    assert sorted(buttons.evaluate_all("bs => bs.map(b => b.textContent)")) == ["Cancel", "Retry", "Retry"]
    for box in (buttons.nth(k).bounding_box() for k in range(buttons.count())):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert no_sideways_scroll(page)
    if width == 1280:
        assert page.locator(".jobs-scroll").evaluate("el => el.scrollWidth <= el.clientWidth"), \
            "at 1280 px the whole table fits: nothing to scroll"
    shot(page, f"jobs-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_job_page_tells_its_steps_their_durations_and_its_messages(context, system, plan, stuck_jobs, width):
    with system.client() as client:
        job_id = client.get(f"/runs?plan_version_id={plan}&limit=1").json()["runs"][0]["job_id"]
    page = page_at(context, width)
    page.goto(f"/ui/jobs/{job_id}")
    steps = page.locator("#job-steps tbody tr")
    assert steps.evaluate_all("rows => rows.map(r => r.dataset.step)")[:2] == ["queued", "starting"]
    assert all(re.fullmatch(r"\d+ ms|\d+\.\d\d s", d.strip())
               for d in page.locator("#job-steps tbody td.num").all_inner_texts())
    assert "run completed" in page.locator("#job-messages").inner_text()
    assert no_sideways_scroll(page)
    shot(page, f"job-{width}")
    page.goto(f"/ui/jobs/{stuck_jobs[1]}")
    assert "ObjectNotFoundError" in page.locator("#job-messages").inner_text()
    retry = page.locator("#jobs button:text('Retry')").bounding_box()
    assert retry["x"] + retry["width"] <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_a_plans_latest_run_is_aggregated_from_its_page_and_shown_as_a_dated_grid(context, system, plan, width):
    with system.client() as client:
        latest = client.get(f"/runs?plan_version_id={plan}&status=succeeded&limit=1").json()["runs"][0]["run_id"]
    page = page_at(context, width)
    page.goto(f"/ui/plans/{plan}")
    form = page.locator("#aggregate-latest")
    form.locator('select[name="bucket"]').select_option("month")
    form.locator('select[name="group_by"]').select_option("family")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ui/jobs\?created=(job_\w+)"))
    job_id = re.search(r"created=(job_\w+)", page.url).group(1)
    assert page.locator("#aggregated-run").inner_text() == f"It aggregates run {latest}, the plan's latest succeeded run."
    page.locator(f'tr[data-job-id="{job_id}"] [data-field="state"]:text("succeeded")').wait_for()
    shot(page, f"jobs-aggregate-latest-{width}")
    page.goto(f"/ui/jobs/{job_id}")
    assert f"aggregating run {latest}, the latest succeeded run of plan {plan}" in page.locator("#job-messages").inner_text()
    page.goto(f"/ui/plans/{plan}#aggregates")
    grid = page.locator(f"#view-results_{job_id}")
    assert grid.locator("thead th[title^='2025-01']").first.inner_text().startswith("Jan 2025")
    assert grid.locator("tbody[data-search]").count() >= 1
    assert no_sideways_scroll(page)
    grid.scroll_into_view_if_needed()
    shot(page, f"plan-aggregate-{width}")
