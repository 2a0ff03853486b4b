"""The planners' pages against the running system: each answers with the links it promises."""

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def run(system):  # type: ignore[no-untyped-def]
    """A plan created over HTTP and its first run (stub simulation)."""
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = next(c["config_version_id"] for c in configs if c["planning_days"] <= 90)
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id})
        assert accepted.status_code == 202, accepted.text
    plan_id = accepted.json()["plan_version_id"]
    page = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1, timeout=30)
    return page["runs"][0]


def page(system, path: str, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    with system.client() as client:
        answer = client.get(path)
    assert answer.status_code == status, f"{path}: {answer.status_code} {answer.text[:500]}"
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def links(html: str, *hrefs: str) -> None:
    for href in ("/ui/plans", "/ui/runs", "/ui/jobs", "/ui/scenarios", "/ui/configs", *hrefs):
        assert f'="{href}' in html, href


def test_plans_list_and_plan_page_link_both_ways(system, run):
    plan, cfg, scn = run["plan_version_id"], run["config_version_id"], run["scenario_id"]
    links(page(system, "/ui/plans"), f"/ui/plans/{plan}", f"/ui/configs/{cfg}", f"/ui/scenarios/{scn}")
    html = page(system, f"/ui/plans/{plan}")
    links(html, f"/ui/configs/{cfg}", f"/ui/scenarios/{scn}", f"/ui/runs/{run['run_id']}", f"/ui/plans/{plan}/runs")
    for step in ("aggregate", "allocate", "mrp", "reconcile", "plan_final"):
        assert f"/ui/plans/{plan}/artifacts/{step}" in html


def test_plan_creation_preselects_the_scenario(system):
    assert 'value="scn_peak_season" selected' in page(system, "/ui/plans?base_scenario_id=scn_peak_season")


def test_run_history_and_run_page(system, run):
    plan, rid = run["plan_version_id"], run["run_id"]
    links(page(system, f"/ui/runs?plan_version_id={plan}"), f"/ui/runs/{rid}", f"/ui/plans/{plan}",
          f"/ui/scenarios/{run['scenario_id']}", f"/ui/configs/{run['config_version_id']}")
    assert rid in page(system, "/ui/runs?scenario_name=basel")
    assert rid not in page(system, "/ui/runs?scenario_name=peak")
    html = page(system, f"/ui/runs/{rid}")
    links(html, f"/ui/plans/{plan}", f"/ui/scenarios/{run['scenario_id']}", f"/ui/configs/{run['config_version_id']}")
    assert "stub" in html


def test_jobs_scenarios_and_configs(system, run):
    links(page(system, "/ui/jobs"), f"/ui/plans/{run['plan_version_id']}", f"/ui/runs/{run['run_id']}")
    links(page(system, f"/ui/jobs/{run['job_id']}"), f"/ui/plans/{run['plan_version_id']}")
    links(page(system, "/ui/scenarios"), "/ui/plans?base_scenario_id=scn_baseline", "/ui/scenarios/scn_budget_2025/unlock")
    links(page(system, "/ui/scenarios/scn_baseline"), "/ui/plans?base_scenario_id=scn_baseline")
    cfg = run["config_version_id"]
    links(page(system, "/ui/configs"), f"/ui/configs/{cfg}")
    links(page(system, f"/ui/configs/{cfg}"), f"/configs/{cfg}/document?download=true")


def test_the_retired_scenario_run_path_answers_403_with_the_banner_link(system):
    html = page(system, "/ui/scenarios/scn_baseline/run", status=403)
    assert 'href="/ui/plans?base_scenario_id=scn_baseline"' in html and "retired" in html
    with system.client() as client:
        assert client.post("/ui/scenarios/scn_baseline/run").status_code == 403


def test_stub_runs_have_no_daily_results_and_asyncapi_is_served(system, run):
    with system.client() as client:
        assert client.get(f"/runs/{run['run_id']}/results").status_code == 404
        channels = client.get("/asyncapi").json()["channels"]
        assert channels["RunCompleted"]["address"] == "scpln.events.run.completed"
