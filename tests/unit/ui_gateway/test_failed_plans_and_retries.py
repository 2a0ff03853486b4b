"""Failed plans are visible (list, filter, page, JSON) and every job that did not succeed has
its Retry button, on the Jobs page, the job page and a failed plan's page."""

import re

import pytest

from contracts import queries as q
from contracts import subjects
from contracts.commands import JobAccepted
from tests.unit.ui_gateway.fakes import job_row, plan_row

REASON = "tolerance must be a number in [0, 1), not 5"
FAILED = plan_row(plan_version_id="plan_bad", job_id="job_bad", status="failed", failed_step="options", reason=REASON,
                  options={"tolerance": 5}, artifacts=[], kpis={}, run_count=0, latest_run_id=None,
                  latest_fill_rate=None)


@pytest.fixture()
def failed_plan(bus):  # type: ignore[no-untyped-def]
    bus.replies[subjects.QRY_PLAN_GET] = lambda r: q.PlanDetail(plan=FAILED, runs=[])
    bus.replies[subjects.QRY_PLANS_LIST] = lambda r: q.PlansPage(plans=[FAILED] if r.status in (None, "failed") else [],
                                                                 total=1 if r.status in (None, "failed") else 0)
    return bus


def test_a_failed_plans_page_says_which_step_failed_and_why_and_offers_retry(client, failed_plan):
    page = client.get("/ui/plans/plan_bad")
    assert page.status_code == 200
    banner = re.search(r'<div class="banner error" role="alert" id="plan-failed">(.*?)</div>', page.text, re.DOTALL).group(1)
    assert "Planning failed" in banner and "<code>options</code>" in banner and "not 5" in banner
    assert re.search(r'<form method="post" action="/ui/jobs/job_bad/retry" class="inline">\s*'
                     r'<input type="hidden" name="csrf_token"', banner)
    assert 'id="simulate-again"' not in page.text and "the plan was never made" in page.text
    assert '<code>{"tolerance": 5}</code>' in page.text


def test_failed_plans_are_listed_with_their_reason_and_filtered_by_status(client, failed_plan):
    listed = client.get("/ui/plans?status=failed")
    assert listed.status_code == 200 and "plan_bad" in listed.text and "at options" in listed.text
    assert REASON in listed.text
    assert failed_plan.requests(subjects.QRY_PLANS_LIST)[-1].status == "failed"
    assert '<option selected>failed</option>' in listed.text
    none_ready = client.get("/ui/plans?status=ready")
    assert "No ready plans." in none_ready.text
    assert client.get("/ui/plans?status=broken").status_code == 422


def test_the_json_api_answers_a_failed_plan_with_its_status_step_and_reason(client, failed_plan):
    answer = client.get("/plans/plan_bad")
    assert answer.status_code == 200
    plan = answer.json()["plan"]
    assert (plan["status"], plan["failed_step"], plan["reason"]) == ("failed", "options", REASON)
    assert client.get("/plans?status=failed").json()["total"] == 1
    assert client.get("/plans?status=nope").status_code == 422


def test_a_ready_plan_can_be_simulated_again_and_has_no_failure_banner(client):
    page = client.get("/ui/plans/plan_1").text
    assert 'id="simulate-again"' in page and 'id="plan-failed"' not in page and 'id="retry-plan"' not in page


@pytest.mark.parametrize(("state", "job_type", "cancel", "retry"), [
    ("queued", "simulation", True, True),
    ("running", "planning", False, True),
    ("failed", "aggregate", False, True),
    ("cancelled", "simulation", False, True),
    ("succeeded", "planning", False, False),
    ("running", "rebuild", False, False),
])
def test_every_job_that_did_not_succeed_has_a_retry_button(client, bus, state, job_type, cancel, retry):
    job = job_row(job_id="job_x", state=state, job_type=job_type)
    bus.replies[subjects.QRY_JOBS_LIST] = q.JobsPage(jobs=[job], total=1, last_seq=7)
    bus.replies[subjects.QRY_JOB_GET] = q.JobDetail(job=job, last_seq=7)
    for path in ("/ui/jobs", "/ui/jobs/job_x"):
        page = client.get(path).text
        assert ('action="/ui/jobs/job_x/cancel"' in page) is cancel, path
        assert ('action="/ui/jobs/job_x/retry"' in page) is retry, path


def test_retrying_from_a_page_or_the_api_is_done_as_the_signed_in_user(client, bus):
    bus.replies[subjects.CMD_JOB_RETRY] = JobAccepted(job_id="job_new")
    page = client.post("/ui/jobs/job_bad/retry", follow_redirects=False)
    assert page.status_code == 303 and "created=job_new" in page.headers["location"]
    api = client.post("/jobs/job_running/retry")
    assert api.status_code == 202 and api.json() == {"job_id": "job_new"}
    assert [(r.job_id, r.by) for r in bus.requests(subjects.CMD_JOB_RETRY)] == [
        ("job_bad", "admin"), ("job_running", "admin")]
