"""Maintenance mode at the gateway: operators switch it (API and the operations page), every
page shows its banner from the gateway's fold (no request per page), and plan_service's
refusal of new plans and reruns is a 503 with the message, for the API and the pages."""

import re

import pytest
from fastapi.testclient import TestClient

from contracts import subjects
from contracts.commands import JobAccepted, PlanAccepted
from runtime.identity import ROLES
from services.ui_gateway.app import create_app
from services.ui_gateway.auth.permissions import allowed
from tests.unit.ui_gateway.fakes import FakeBus

MESSAGE = "Restoring the run history; back by 14:00"
PAGES = ["/ui/plans", "/ui/plans/plan_1", "/ui/runs", "/ui/runs/run_a", "/ui/jobs", "/ui/scenarios", "/ui/configs",
         "/ui/operations", "/ui/runs/run_nope"]
BANNER = re.compile(r'<div class="banner warn maintenance" role="alert" id="maintenance-banner">(.*?)</div>', re.DOTALL)


def as_role(client: TestClient, bus: FakeBus, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bus.tokens[role]}"}


@pytest.fixture()
def plan_service(bus: FakeBus) -> FakeBus:
    """plan_service's answers to new plans and reruns: refused while the log says maintenance."""
    bus.replies[subjects.CMD_PLAN_CREATE] = lambda _: bus.maintenance.refusal("new plans") or PlanAccepted(
        plan_version_id="plan_9", job_id="job_9")
    bus.replies[subjects.CMD_PLAN_RERUN] = lambda _: bus.maintenance.refusal("new runs") or JobAccepted(job_id="job_9")
    return bus


def test_the_state_is_read_by_everyone_and_switched_by_operators_as_themselves(client, bus):
    assert client.get("/maintenance", headers=as_role(client, bus, "viewer")).json()["on"] is False
    for role in ROLES:
        answer = client.post("/maintenance", json={"on": True, "message": f"{MESSAGE} ({role})"},
                             headers=as_role(client, bus, role))
        if allowed(role, "registry.operate"):
            assert answer.status_code == 200, answer.text
            assert (answer.json()["on"], answer.json()["by"]) == (True, role) and answer.json()["recorded_seq"]
        else:
            assert answer.status_code == 403 and "registry.operate" in answer.json()["detail"]
    sent = bus.requests(subjects.CMD_MAINTENANCE_SET)
    assert [(c.on, c.by) for c in sent] == [(True, "operator"), (True, "admin")]
    status = client.get("/maintenance", headers=as_role(client, bus, "viewer")).json()
    assert (status["on"], status["message"], status["by"]) == (True, f"{MESSAGE} (admin)", "admin") and status["since"]


def test_a_change_names_nobody_and_switching_on_takes_a_message(client, bus):
    assert client.post("/maintenance", json={"on": True, "message": MESSAGE, "by": "someone"}).status_code == 422
    blank = client.post("/maintenance", json={"on": True, "message": "  "})
    assert blank.status_code == 422 and "takes a message" in blank.text
    assert bus.requests(subjects.CMD_MAINTENANCE_SET) == []
    assert client.post("/maintenance", json={"on": False}).json()["on"] is False


def test_every_page_shows_the_banner_while_on_and_none_after(client, bus):
    for path in PAGES:
        assert not BANNER.search(client.get(path).text), path
    client.post("/maintenance", json={"on": True, "message": MESSAGE + " <b>not bold</b>"})
    asked = len(bus.asked)
    for path in PAGES:
        banner = BANNER.search(client.get(path).text)
        assert banner and MESSAGE in banner.group(1), path
        assert "&lt;b&gt;not bold&lt;/b&gt;" in banner.group(1)
    assert not any(s == subjects.CMD_MAINTENANCE_SET for s, _ in bus.asked[asked:])  # the banner asks nobody
    with TestClient(create_app(client.app.state.settings, bus)) as anonymous:
        assert BANNER.search(anonymous.get("/login").text)
    client.post("/maintenance", json={"on": False})
    for path in PAGES:
        assert not BANNER.search(client.get(path).text), path


def test_new_plans_and_reruns_are_503_with_the_message_while_reads_work(client, plan_service):
    client.post("/maintenance", json={"on": True, "message": MESSAGE})
    body = {"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1"}
    for path, kwargs in (("/plans", {"json": body}), ("/plans/plan_1/runs", {})):
        refused = client.post(path, **kwargs)
        assert refused.status_code == 503 and MESSAGE in refused.json()["detail"], path
        assert refused.headers["retry-after"] == "300"
    for path, data in (("/ui/plans", {**body, "seed": "1"}), ("/ui/plans/plan_1/runs", {})):
        page = client.post(path, data=data, follow_redirects=False)
        assert page.status_code == 503 and MESSAGE in page.text and BANNER.search(page.text), path
    assert client.get("/plans").status_code == 200 and client.get("/runs").status_code == 200

    client.post("/maintenance", json={"on": False})
    assert client.post("/plans", json=body).status_code == 202
    assert client.post("/plans/plan_1/runs").status_code == 202


def test_the_operations_page_switches_it_for_operators_and_shows_it_to_everyone(client, bus):
    operator = as_role(client, bus, "operator")
    page = client.get("/ui/operations", headers=operator).text
    assert 'id="maintenance-on"' in page and 'id="maintenance-off"' not in page and ">off</span>" in page
    switched = client.post("/ui/operations/maintenance", data={"on": "1", "message": MESSAGE}, headers=operator,
                           follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"].startswith("/ui/operations?min_seq=")
    page = client.get(switched.headers["location"], headers=operator).text
    assert f"Maintenance is on: {MESSAGE}" in page and ">on</span>" in page and "by operator" in page
    assert 'id="maintenance-off"' in page and BANNER.search(page)

    viewer = client.get("/ui/operations", headers=as_role(client, bus, "viewer")).text
    assert ">on</span>" in viewer and 'id="maintenance-on"' not in viewer and "can't switch maintenance mode" in viewer
    refused = client.post("/ui/operations/maintenance", data={"on": "0"}, headers=as_role(client, bus, "approver"))
    assert refused.status_code == 403 and bus.maintenance.on

    blank = client.post("/ui/operations/maintenance", data={"on": "1", "message": " "}, headers=operator)
    assert blank.status_code == 422 and "takes a message" in blank.text
    off = client.post("/ui/operations/maintenance", data={"on": "0"}, headers=operator)
    assert off.status_code == 200 and "Maintenance is off" in off.text and not BANNER.search(off.text)
    assert not bus.maintenance.on and bus.requests(subjects.CMD_MAINTENANCE_SET)[-1].by == "operator"
