"""Pages show each role only the controls it may use; every form that changes something
carries its CSRF token; the nav says who is signed in; the sign-in page is a plain form."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from contracts import subjects
from contracts.queries import JobsPage, ScenarioDetail
from services.ui_gateway.app import create_app
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import FakeBus, job_row, scenario_row

PASSWORD = "correct horse battery staple"
PAGES = ["/ui/plans", "/ui/plans/plan_1", "/ui/runs", "/ui/runs/run_a", "/ui/jobs", "/ui/jobs/job_plan", "/ui/scenarios",
         "/ui/scenarios/scn_baseline", "/ui/configs", "/ui/configs/cfg_1"]
POST_FORM = re.compile(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', re.DOTALL)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture()
def signed_in(bus: FakeBus, settings: Settings):  # type: ignore[no-untyped-def]
    """Sign in through the login page, as a browser does, as a user of this role."""

    @contextmanager
    def as_role(role: str) -> Iterator[TestClient]:
        username = f"web_{role}"
        bus.add_user(username, role, PASSWORD)
        with TestClient(create_app(settings, bus)) as client:
            form = client.get("/login").text
            answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(form),
                                                 "next": "/ui/plans"}, follow_redirects=False)
            assert answer.status_code == 303, answer.text
            yield client

    return as_role


@pytest.fixture()
def actionable(bus: FakeBus) -> FakeBus:
    """A queued and a failed job: each has its button."""
    bus.replies[subjects.QRY_JOBS_LIST] = JobsPage(jobs=[job_row(job_id="job_q", state="queued", progress=0.0),
                                                         job_row(job_id="job_f", state="failed", progress=0.5)],
                                                   total=2, last_seq=7)
    return bus


def post_forms(client: TestClient, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200, (path, page.text)
    return [body for body in POST_FORM.findall(page.text)]


def test_a_viewer_reads_every_page_and_finds_nothing_to_change_but_signing_out(actionable, signed_in):
    with signed_in("viewer") as client:
        for path in PAGES:
            page = client.get(path).text
            actions = re.findall(r'<form\b[^>]*method="post"[^>]*action="([^"]+)"', page)
            assert actions == ["/logout"], (path, actions)
            assert 'formmethod="post"' not in page and 'id="delete-selected"' not in page, path
        runs = client.get("/ui/runs").text
        assert 'id="compare-selected"' in runs and 'name="run_id" value="run_a"' in runs  # compare stays
        plans = client.get("/ui/plans").text
        assert "Your role (viewer) can't create plans." in plans and 'id="create-plan"' not in plans
        jobs = client.get("/ui/jobs").text
        assert "can't start aggregate jobs" in jobs and '<template id="job-cancel"></template>' in jobs


def test_a_planner_plans_and_runs_jobs_but_neither_locks_nor_deletes(actionable, signed_in):
    with signed_in("planner") as client:
        plans = client.get("/ui/plans").text
        assert 'id="create-plan"' in plans and "can't" not in plans
        jobs = client.get("/ui/jobs").text
        assert 'action="/ui/jobs/job_q/cancel"' in jobs and 'action="/ui/jobs/job_f/retry"' in jobs
        assert 'id="aggregate-form"' in jobs
        assert 'id="simulate-again"' in client.get("/ui/plans/plan_1").text
        scenarios = client.get("/ui/scenarios").text
        assert 'id="create-scenario"' in scenarios and "/lock" not in scenarios and "/unlock" not in scenarios
        scenario = client.get("/ui/scenarios/scn_baseline").text
        assert 'id="edit-scenario"' in scenario and "archive" not in scenario
        assert 'id="delete-selected"' not in client.get("/ui/runs").text


def test_an_approver_locks_and_archives_and_unarchives(actionable, signed_in):
    with signed_in("approver") as client:
        scenarios = client.get("/ui/scenarios").text
        assert 'action="/ui/scenarios/scn_baseline/lock"' in scenarios and 'action="/ui/scenarios/scn_locked/unlock"' in scenarios
        scenario = client.get("/ui/scenarios/scn_baseline").text
        assert 'id="archive-scenario"' in scenario and 'data-confirm="Archive this scenario?' in scenario
        actionable.replies[subjects.QRY_SCENARIO_GET] = ScenarioDetail(scenario=scenario_row(archived=True))
        archived = client.get("/ui/scenarios/scn_baseline").text
        assert 'action="/ui/scenarios/scn_baseline/unarchive"' in archived and 'id="archive-scenario"' not in archived
        assert 'id="delete-selected"' not in client.get("/ui/runs").text


def test_the_run_selection_of_an_admin_can_delete_after_asking(actionable, signed_in):
    with signed_in("admin") as client:
        runs = client.get("/ui/runs").text
        selection = re.search(r'<form method="get" action="/ui/runs/compare" id="run-select">(.*?)</form>', runs, re.DOTALL).group(1)
        assert 'name="csrf_token"' in selection
        assert 'data-confirm="Delete the selected runs from the run history?"' in selection


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_every_form_that_changes_something_carries_a_csrf_token(actionable, signed_in, role):
    with signed_in(role) as client:
        for path in PAGES:
            for body in post_forms(client, path):
                assert re.match(r'\s*<input type="hidden" name="csrf_token" value="[^"]+">', body), (path, body[:200])


def test_the_nav_names_the_signed_in_user_and_signs_out(signed_in):
    with signed_in("planner") as client:
        page = client.get("/ui/plans").text
        nav = re.search(r'<nav class="nav".*?</nav>', page, re.DOTALL).group(0)
        assert re.search(r'id="signed-in"[^>]*>web_planner <span class="role">planner</span>', nav)
        sign_out = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', nav, re.DOTALL).group(1)
        assert 'name="csrf_token"' in sign_out and "Sign out" in sign_out
        assert client.post("/logout", data={"csrf_token": csrf_token(sign_out)}, follow_redirects=False).status_code == 303
        assert client.get("/ui/plans", follow_redirects=False).status_code in (302, 303, 307)


def test_the_sign_in_page_is_a_form_with_no_nav_and_an_accessible_error(bus, settings):
    bus.add_user("web_planner", "planner", PASSWORD)
    with TestClient(create_app(settings, bus)) as client:
        page = client.get("/login?next=/ui/runs").text
        assert 'href="/ui/runs"' not in page and 'id="signed-in"' not in page and "Sign out" not in page
        form = re.search(r'<form method="post" action="/login"[^>]*>(.*?)</form>', page, re.DOTALL).group(1)
        assert re.match(r'\s*<input type="hidden" name="csrf_token"', form)
        assert '<input type="hidden" name="next" value="/ui/runs">' in form
        assert 'autocomplete="username"' in form and 'type="password" name="password"' in form
        assert 'autocomplete="current-password"' in form and ">Sign in</button>" in form
        failed = client.post("/login", data={"username": "web_planner", "password": "wrong", "csrf_token": csrf_token(form),
                                             "next": "/ui/runs"})
        assert failed.status_code == 401
        assert re.search(r'role="alert" id="login-error">Wrong user name or password.', failed.text)
        assert 'name="username" value="web_planner"' in failed.text
