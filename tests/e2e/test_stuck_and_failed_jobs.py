"""Nothing stays stuck, and failed plans are visible: with the system as processes, a job left
without progress past its deadline is failed with the reason and can be retried; a plan whose
pipeline failed is listed, filterable, and has a page and a JSON answer saying where and why."""

import asyncio
import json
from pathlib import Path

import nats
import pytest

from contracts.events import JobProgress, encode, subject_for
from tests.e2e.system import start_system, stop_system

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEADLINE_S = 3


@pytest.fixture(scope="module")
def system(tmp_path_factory):  # type: ignore[no-untyped-def]
    running = start_system(tmp_path_factory.mktemp("deadlines"), {
        "SIMULATION_DEADLINE_S": str(DEADLINE_S), "PLANNING_DEADLINE_S": "120", "DEADLINE_CHECK_S": "0.5"})
    yield running
    stop_system(running)


def small_config(client) -> str:  # type: ignore[no-untyped-def]
    return min(client.get("/configs").json()["configs"], key=lambda c: c["planning_days"])["config_version_id"]


async def lose_a_trigger(nats_url: str, job_id: str, plan_version_id: str) -> None:
    """A simulation job queued whose trigger never reaches a simulator (as when the disk was full)."""
    nc = await nats.connect(nats_url)
    try:
        event = JobProgress(correlation_id=job_id, producer="e2e-tests", job_id=job_id, job_type="simulation",
                            state="queued", progress=0.0, step="queued", plan_version_id=plan_version_id)
        await nc.jetstream().publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": str(event.event_id)})
    finally:
        await nc.close()


def test_a_job_past_its_deadline_fails_with_the_reason_and_its_retry_finishes_the_work(system):
    with system.client("planner") as client:
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": small_config(client)}).json()
        plan_id = accepted["plan_version_id"]
        system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1, timeout=60)

        asyncio.run(lose_a_trigger(system.nats_url, "job_lost_e2e", plan_id))
        stuck = system.wait_for("/jobs/job_lost_e2e", lambda body: body["job"]["state"] == "failed", timeout=60)["job"]
        assert stuck["message"] == f"no progress for {DEADLINE_S} s: the simulator did not finish it"
        assert 'action="/ui/jobs/job_lost_e2e/retry"' in client.get("/ui/jobs/job_lost_e2e").text

        retried = client.post("/jobs/job_lost_e2e/retry")
        assert retried.status_code == 202, retried.text
        new_job = retried.json()["job_id"]
        done = system.wait_for(f"/jobs/{new_job}", lambda body: body["job"]["state"] in ("succeeded", "failed"),
                               timeout=60)["job"]
        assert done["state"] == "succeeded", done
        system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 2, timeout=60)
        first_job = client.get(f"/jobs/{accepted['job_id']}").json()["job"]
        assert first_job["state"] == "succeeded"
        assert client.post(f"/jobs/{accepted['job_id']}/retry").status_code == 409, "a succeeded job is not retried"


def test_a_plan_whose_pipeline_failed_is_listed_with_a_page_saying_where_and_why(system):
    document = json.loads((SAMPLES / "small.json").read_text())
    document["planning_inputs"] = {"family_demand": [{"family": "NOBODY", "period": "W1", "demand": 5}]}
    document["meta"]["attributes"]["planning_horizon"] = 999  # never the shortest config other tests pick
    with system.client("planner") as client:
        imported = client.post("/configs", json=document)
        assert imported.status_code in (200, 201), imported.text
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": imported.json()["config_version_id"]}).json()
        plan_id, job_id = accepted["plan_version_id"], accepted["job_id"]
        plan = system.wait_for(f"/plans/{plan_id}", lambda body: body["plan"]["status"] == "failed", timeout=60)["plan"]
        assert plan["failed_step"] == "allocate" and "NOBODY" in plan["reason"] and plan["job_id"] == job_id

        assert plan_id in [p["plan_version_id"] for p in client.get("/plans?status=failed").json()["plans"]]
        assert plan_id not in [p["plan_version_id"] for p in client.get("/plans?status=ready").json()["plans"]]
        listed = client.get("/ui/plans?status=failed")
        assert listed.status_code == 200 and plan_id in listed.text and "at allocate" in listed.text
        page = client.get(f"/ui/plans/{plan_id}")
        assert page.status_code == 200 and "Planning failed" in page.text and "NOBODY" in page.text
        assert f'action="/ui/jobs/{job_id}/retry"' in page.text and 'id="simulate-again"' not in page.text

        retried = client.post(f"/jobs/{job_id}/retry")
        assert retried.status_code == 202, retried.text
        again = system.wait_for("/plans?status=failed", lambda body: any(
            p["job_id"] == retried.json()["job_id"] for p in body["plans"]), timeout=60)
        assert {p["failed_step"] for p in again["plans"] if p["job_id"] in (job_id, retried.json()["job_id"])} == {
            "allocate"}, "the same inputs fail at the same step"

    lines = [json.loads(line) for line in (system.data_dir / "logs" / "plan_service.log").read_text().splitlines()
             if job_id in line and line.startswith("{")]
    assert [(line["level"], "exc" in line) for line in lines] == [("warning", False)], lines
    assert "at allocate" in lines[0]["msg"] and "NOBODY" in lines[0]["msg"]
    verified = system.scpln("registry", "rebuild", "--verify")  # the failed plans and jobs rebuild identically
    assert "differ" not in verified.stdout.lower(), verified.stdout
