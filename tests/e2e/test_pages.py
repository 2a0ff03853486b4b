"""The planners' pages against the running system: each answers with the links it promises."""

import json

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


def test_a_bad_config_file_is_refused_with_every_validation_error(system, run):
    with system.client() as client:
        doc = client.get(f"/configs/{run['config_version_id']}/document").json()
        doc["nodes"].append(dict(doc["nodes"][0]))
        doc["bom"].append({"parent_item": "NOPE", "child_item": doc["items"][0]["code"], "quantity": 1})
        answer = client.post("/ui/configs", files={"file": ("bad.json", json.dumps(doc).encode(), "application/json")})
    assert answer.status_code == 422
    assert "duplicate_node_code" in answer.text and "bom_unknown_item" in answer.text and "bad.json" in answer.text


def test_a_scenario_made_and_locked_in_the_pages_shows_at_once(system):
    with system.client() as client:
        made = client.post("/ui/scenarios", data={"name": "E2E what-if", "tag": "e2e"}, follow_redirects=True)
        assert made.status_code == 200 and "E2E what-if" in made.text
        scenario_id = made.url.path.rsplit("/", 1)[1]
        locked = client.post(f"/ui/scenarios/{scenario_id}/lock", follow_redirects=True)
        assert 'class="badge locked"' in locked.text and f'/ui/scenarios/{scenario_id}/unlock' in locked.text
        unlocked = client.post(f"/ui/scenarios/{scenario_id}/unlock", follow_redirects=True)
        assert 'class="badge open"' in unlocked.text


def job_events(system, headers: dict[str, str], url: str, count: int) -> list[tuple[int, dict]]:  # type: ignore[no-untyped-def]
    got: list[tuple[int, dict]] = []
    with system.client() as client, client.stream("GET", url, headers=headers, timeout=10) as answer:
        assert answer.status_code == 200
        seq = None
        for line in answer.iter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("data: ") and seq is not None:
                got.append((seq, json.loads(line[6:])))
                if len(got) == count:
                    break
    return got


def test_job_progress_streams_from_the_log_and_resumes_after_last_event_id(system, run):
    first = job_events(system, {}, "/ui/jobs/events?after=0", 3)
    seqs = [seq for seq, _ in first]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert all({"job_id", "state", "progress"} <= set(body) for _, body in first)
    resumed = job_events(system, {"Last-Event-ID": str(seqs[1])}, "/ui/jobs/events?after=0", 1)
    assert resumed[0] == first[2]
