"""Planning through the gateway's JSON API with the full simulator: configs, scenarios, plans
and their artifacts, simulate again, aggregate jobs."""

import asyncio
import json
import time
from pathlib import Path

import jsonschema
import nats
import pytest

from contracts import subjects
from contracts.events import SUBJECT_OF
from scpln.samples import generate
from tests.e2e.system import start_system, stop_system

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"


@pytest.fixture(scope="module")
def full_system(tmp_path_factory):  # type: ignore[no-untyped-def]
    system = start_system(tmp_path_factory.mktemp("planning"), {"SCPLN_SKIP_SIMULATION_API": "0"})
    yield system
    stop_system(system)


def job_done(system, job_id: str) -> dict:  # type: ignore[no-untyped-def]
    body = system.wait_for(f"/jobs/{job_id}", lambda b: b["job"]["state"] in ("succeeded", "failed"), timeout=60)
    return body["job"]


def test_config_import_validates_completely_and_recognises_identical_content(full_system):
    with full_system.client() as client:
        bad = {"meta": {"name": "broken"}, "items": [{"code": "A"}, {"code": "A"}],
               "nodes": [{"code": "S", "node_type": "store"}],
               "arcs": [{"from_node": "X", "to_node": "S"}], "demands": [{"node_code": "S", "item_code": "Z",
                                                                           "bucket": "M1", "mean": 5}]}
        refused = client.post("/configs", json=bad)
        assert refused.status_code == 422
        codes = {e["code"] for e in refused.json()["detail"]["errors"]}
        assert {"duplicate_item_code", "arc_unknown_node", "demand_unknown_item"} <= codes
        document = json.loads((SAMPLES / "medium.json").read_text())
        again = client.post("/configs", json=document)
        assert again.status_code == 201 and again.json()["created"] is False
        document["meta"]["version_tag"] = "v2-e2e"
        new = client.post("/configs", json=document).json()
        assert new["created"] is True
        full_system.wait_for(f"/configs/{new['config_version_id']}", lambda b: b["config"]["version_tag"] == "v2-e2e")


def test_a_config_larger_than_a_message_on_the_bus_is_imported_and_planned(full_system):
    document = generate(stores=40, warehouses=2, factories=2, suppliers=1, products=50, components=10, days=180,
                        seed=9, products_per_store=25)
    assert len(json.dumps(document)) > 1024**2  # the embedded server's largest message
    with full_system.client() as client:
        imported = client.post("/configs", json=document)
        assert imported.status_code == 201, imported.text
        version = imported.json()["config_version_id"]
        detail = full_system.wait_for(f"/configs/{version}", lambda b: True)["config"]
        assert detail["counts"]["demands"] == len(document["demands"])
        stored = client.get(f"/configs/{version}/document")
        assert stored.status_code == 200 and len(stored.json()["demands"]) == len(document["demands"])
        again = client.post("/configs", json=document).json()
        assert (again["config_version_id"], again["created"]) == (version, False)
        plan = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": version}).json()
        assert job_done(full_system, plan["job_id"])["state"] == "succeeded"


def test_scenario_lifecycle_governs_plan_creation(full_system):
    with full_system.client() as client:
        config_id = client.get("/configs").json()["configs"][0]["config_version_id"]
        scenario = client.post("/scenarios", json={"name": "E2E what-if", "tag": "e2e"}).json()["scenario_id"]
        full_system.wait_for(f"/scenarios/{scenario}", lambda b: b["scenario"]["name"] == "E2E what-if")
        assert client.patch(f"/scenarios/{scenario}", json={"description": "changed"}).status_code == 200
        assert client.post(f"/scenarios/{scenario}/lock?by=auditor").status_code == 422  # the actor is who signed in
        assert client.post(f"/scenarios/{scenario}/lock").status_code == 200
        refused = client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config_id})
        assert refused.status_code == 409 and "locked by admin" in str(refused.json()["detail"])
        frozen = client.patch(f"/scenarios/{scenario}", json={"name": "renamed while locked"})
        assert frozen.status_code == 409 and "unlock it to edit it" in frozen.json()["detail"]
        assert client.post(f"/scenarios/{scenario}/unlock").status_code == 200
        accepted = client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config_id})
        assert accepted.status_code == 202
        assert client.post(f"/scenarios/{scenario}/archive").status_code == 200
        retired = client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config_id})
        assert retired.status_code == 409 and "archived" in str(retired.json()["detail"])
        full_system.wait_for(f"/scenarios/{scenario}", lambda b: b["scenario"]["archived"] is True)


def test_a_plan_on_the_large_sample_gets_a_real_run_and_can_be_simulated_again_and_aggregated(full_system):
    with full_system.client() as client:
        configs = client.get("/configs").json()["configs"]
        large = max(configs, key=lambda c: c["planning_days"])
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": large["config_version_id"], "seed": 11}).json()
        assert job_done(full_system, accepted["job_id"])["state"] == "succeeded"
        plan = full_system.wait_for(f"/plans/{accepted['plan_version_id']}", lambda b: len(b["runs"]) == 1)
        assert {a["name"] for a in plan["plan"]["artifacts"]} == {"aggregate", "allocate", "mrp", "reconcile", "plan_final"}
        run = plan["runs"][0]
        assert run["status"] == "succeeded" and run["stub"] is False, run.get("reason")
        summary = run["summary"]
        assert summary["planning_days"] == 365 and 0.5 < summary["fill_rate"] <= 1
        assert summary["revenue_total"] > 0 and summary["store_sales_total"] <= summary["store_demand_total"]

        results = client.get(f"/runs/{run['run_id']}/results", params={"format": "csv"})
        assert results.status_code == 200 and results.text.count("\n") > 365

        again = client.post(f"/plans/{accepted['plan_version_id']}/runs")
        assert again.status_code == 202
        assert job_done(full_system, again.json()["job_id"])["state"] == "succeeded"
        plan = full_system.wait_for(f"/plans/{accepted['plan_version_id']}", lambda b: len(b["runs"]) == 2)
        assert len({r["run_id"] for r in plan["runs"]}) == 2

        wrong = client.post("/jobs/aggregate", json={"run_id": run["run_id"], "plan_version_id": "plan_other",
                                                     "bucket": "month", "group_by": "family"})
        assert wrong.status_code == 422
        aggregate = client.post("/jobs/aggregate", json={"run_id": run["run_id"], "bucket": "month",
                                                         "group_by": "family"})
        assert aggregate.status_code == 202, aggregate.text
        job = job_done(full_system, aggregate.json()["job_id"])
        assert job["state"] == "succeeded" and job["plan_version_id"] == accepted["plan_version_id"]
        linked = full_system.wait_for(f"/plans/{accepted['plan_version_id']}",
                                      lambda b: any(a["artifact"] for a in b["aggregates"]))
        table = linked["aggregates"][0]
        assert (table["run_id"], table["bucket"], table["group_by"]) == (run["run_id"], "month", "family")
        assert table["rows"] > 0
        page = client.get(f"/ui/plans/{accepted['plan_version_id']}")
        assert page.status_code == 200 and "month × family" in page.text
        download = client.get(f"/ui/plans/{accepted['plan_version_id']}/aggregates/{table['job_id']}")
        assert download.status_code == 200 and len(download.json()["rows"]) == table["rows"]


def test_a_failed_planning_job_says_why_and_is_retried_as_a_new_job_with_the_same_inputs(full_system):
    with full_system.client() as client:
        refused = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": "any",
                                              "options": {"tolerance": 5}})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "options", "tolerance"]
        no_demand = json.loads((SAMPLES / "small.json").read_text()) | {"demands": []}
        no_demand["meta"] = no_demand["meta"] | {"name": "nothing to plan"}
        config_id = client.post("/configs", json=no_demand).json()["config_version_id"]
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id}).json()
        failed = job_done(full_system, accepted["job_id"])
        assert failed["state"] == "failed" and "no demand" in failed["message"]
        assert client.post(f"/jobs/{accepted['job_id']}/cancel").status_code == 409
        retried = client.post(f"/jobs/{accepted['job_id']}/retry")
        assert retried.status_code == 202, retried.text
        again = job_done(full_system, retried.json()["job_id"])
        assert retried.json()["job_id"] != accepted["job_id"]
        assert again["job_type"] == "planning" and "no demand" in again["message"], "same inputs, same outcome"
        assert client.post(f"/jobs/{accepted['job_id']}/retry").status_code == 202, "a failed job may be retried again"


def test_a_plan_request_sent_twice_with_one_idempotency_key_makes_one_plan(full_system):
    with full_system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = next(c for c in configs if c["name"] == "Small network")["config_version_id"]  # a sample: it plans
        body = {"base_scenario_id": "scn_baseline", "config_version_id": config_id, "seed": 8}
        first = client.post("/plans", json=body, headers={"Idempotency-Key": "e2e-once"})
        again = client.post("/plans", json=body, headers={"Idempotency-Key": "e2e-once"})
        assert first.status_code == again.status_code == 202 and first.json() == again.json()
        other = client.post("/plans", json=body | {"seed": 9}, headers={"Idempotency-Key": "e2e-once"})
        assert other.status_code == 422 and "already used" in other.json()["detail"]
        assert job_done(full_system, first.json()["job_id"])["state"] == "succeeded"


def test_every_event_published_above_follows_its_published_schema(full_system):
    """The contract test: what the services put in the log is what contracts/schemas/ promises
    (run last in this module, after every flow above has published its events)."""
    with full_system.client() as client:
        run = client.get("/runs").json()["runs"][0]
        assert client.delete(f"/runs/{run['run_id']}").status_code == 200
        for _ in range(100):  # until the registry has applied the RunDeleted
            gone = client.get(f"/runs/{run['run_id']}")
            if gone.status_code == 404:
                break
            time.sleep(0.1)
        assert gone.status_code == 404 and "was deleted by" in gone.json()["detail"]
    messages = asyncio.run(stored_messages(full_system.nats_url))
    seen = set()
    for subject, headers, data in messages:
        event = json.loads(data)
        schema = json.loads((SCHEMAS / f"{event['event_type']}.json").read_text())
        jsonschema.validate(event, schema, format_checker=jsonschema.FormatChecker())
        assert SUBJECT_OF[event["event_type"]] == subjects.type_subject(subject)  # facts about an aggregate name it
        assert headers["Nats-Msg-Id"] == event["event_id"]
        seen.add(event["event_type"])
    assert {"PlanCreated", "RunCompleted", "JobProgress", "RunDeleted", "ScenarioArchived"} <= seen, seen


async def stored_messages(nats_url: str) -> list[tuple[str, dict, bytes]]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(subjects.STREAM_NAME)).state.last_seq
        found = []
        for seq in range(1, last + 1):
            msg = await js.get_msg(subjects.STREAM_NAME, seq)
            found.append((msg.subject, msg.headers or {}, msg.data))
        return found
    finally:
        await nc.close()
