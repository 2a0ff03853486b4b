"""Bad input at the gateway: parameters and form fields out of range answer 422 with what is
wrong (a page for pages, JSON for the API) before any service is asked; a request larger than
the bus carries is a 413; scenario edits keep to the rules of the scenario form."""

import pytest

from contracts import subjects
from contracts.commands import JobAccepted, PlanAccepted, ScenarioAccepted
from contracts.queries import ScenarioDetail
from tests.unit.ui_gateway.fakes import T0, scenario_row

TOO_BIG = str(2**63)
GETS = ["/runs/run_a", "/plans/plan_1", "/jobs/job_1", "/configs/cfg_1", "/scenarios", "/scenarios/scn_1"]
PAGES = ["/ui/plans", "/ui/scenarios", "/ui/configs", "/ui/runs", "/ui/runs/run_a", "/ui/plans/plan_1",
         "/ui/scenarios/scn_1"]


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("min_seq", ["-1", TOO_BIG])
def test_a_min_seq_out_of_range_is_a_422_of_the_api(client, bus, path, min_seq):
    answer = client.get(path, params={"min_seq": min_seq})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "min_seq"]
    assert bus.asked == []


@pytest.mark.parametrize("path", PAGES)
def test_a_min_seq_out_of_range_is_a_422_page(client, bus, path):
    answer = client.get(path, params={"min_seq": "-1"})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "min_seq" in answer.text and "greater than or equal to 0" in answer.text
    assert bus.asked == []


@pytest.mark.parametrize("path", ["/jobs", "/plans", "/configs", "/ui/jobs", "/ui/plans", "/runs"])
@pytest.mark.parametrize("offset", ["-1", TOO_BIG])
def test_an_offset_out_of_range_is_a_422(client, bus, path, offset):
    answer = client.get(path, params={"offset": offset})
    assert answer.status_code == 422, answer.text
    assert bus.asked == []


@pytest.mark.parametrize("seed", ["-1", TOO_BIG, "1e400"])
def test_a_seed_out_of_range_is_a_422(client, bus, seed):
    bus.replies[subjects.CMD_PLAN_RERUN] = JobAccepted(job_id="job_2")
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_2", job_id="job_3")
    assert client.post("/plans/plan_1/runs", params={"seed": seed}).status_code == 422
    body = f'{{"base_scenario_id": "scn_1", "config_version_id": "cfg_1", "seed": {seed}}}'
    created = client.post("/plans", content=body, headers={"content-type": "application/json"})
    assert created.status_code == 422, created.text
    assert created.json()["detail"][0]["loc"] == ["body", "seed"]
    assert bus.requests(subjects.CMD_PLAN_CREATE) == bus.requests(subjects.CMD_PLAN_RERUN) == []


def test_an_infinite_number_is_echoed_as_text_in_the_422(client):
    body = '{"base_scenario_id": "scn_1", "config_version_id": "cfg_1", "seed": 1e400}'
    answer = client.post("/plans", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["input"] == "inf"


def test_the_run_history_until_the_last_day_there_is_has_no_upper_bound(client, bus):
    assert client.get("/ui/runs", params={"until": "9999-12-31"}).status_code == 200
    assert bus.requests(subjects.QRY_RUNS_LIST)[-1].until is None
    assert client.get("/ui/runs", params={"until": "31/12/9999"}).status_code == 422


@pytest.mark.parametrize("after", ["-1", TOO_BIG, "1e23"])
def test_the_live_job_stream_refuses_a_start_out_of_range(client, bus, after):
    answer = client.get("/ui/jobs/events", params={"after": after})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    assert bus.progress_after == []


def test_a_last_event_id_out_of_range_is_ignored():
    from services.ui_gateway.live import start_after

    assert start_after(TOO_BIG, 5) == 5
    assert start_after(str(2**63 - 1), 5) == 2**63 - 1


def test_a_request_larger_than_the_bus_carries_is_a_413_that_says_so(client, bus):
    bus.max_payload = 1000
    answer = client.post("/configs", json={"meta": {"name": "big"}, "items": [{"code": f"I{i}"} for i in range(200)]})
    assert answer.status_code == 413 and "carries at most 1000 bytes" in answer.json()["detail"]
    page = client.post("/ui/configs", files={"file": ("net.json", b'{"meta": {"name": "%s"}}' % (b"x" * 2000))})
    assert page.status_code == 413 and "carries at most 1000 bytes" in page.text


def test_scenario_forms_answer_422_pages_for_fields_out_of_range(client, bus):
    bus.replies[subjects.CMD_SCENARIO_CREATE] = bus.replies[subjects.CMD_SCENARIO_UPDATE] = ScenarioAccepted(scenario_id="scn_1")
    created = client.post("/ui/scenarios", data={"name": "n" * 201})
    assert created.status_code == 422 and "name" in created.text and "at most 200 characters" in created.text
    edited = client.post("/ui/scenarios/scn_1", data={"name": "ok", "tag": "t" * 101})
    assert edited.status_code == 422 and "at most 100 characters" in edited.text
    assert bus.requests(subjects.CMD_SCENARIO_CREATE) == bus.requests(subjects.CMD_SCENARIO_UPDATE) == []
    assert client.patch("/scenarios/scn_1", json={"name": "   "}).status_code == 422
    blank = client.post("/ui/scenarios/scn_1", data={"name": " ", "description": "typed before the slip"})
    assert blank.status_code == 422 and "a scenario needs a name" in blank.text
    assert "typed before the slip</textarea>" in blank.text, "the edit form keeps what was typed"


def test_the_parent_of_a_scenario_is_removed_from_the_form_and_by_a_null_in_the_api(client, bus):
    bus.replies[subjects.CMD_SCENARIO_UPDATE] = ScenarioAccepted(scenario_id="scn_1")
    client.post("/ui/scenarios/scn_1", data={"name": "Promo", "parent_id": ""}, follow_redirects=False)
    client.patch("/scenarios/scn_1", json={"parent_id": None})
    client.patch("/scenarios/scn_1", json={"tag": "x"})
    assert [c.parent_id for c in bus.requests(subjects.CMD_SCENARIO_UPDATE)] == ["", "", None]


def test_the_edit_form_of_a_locked_scenario_is_disabled(client, bus):
    open_page = client.get("/ui/scenarios/scn_1").text
    assert '<fieldset class="plain">' in open_page and "Unlock the scenario" not in open_page
    bus.replies[subjects.QRY_SCENARIO_GET] = ScenarioDetail(scenario=scenario_row(
        scenario_id="scn_locked", name="Locked", locked=True, locked_by="lead", locked_at=T0))
    page = client.get("/ui/scenarios/scn_locked").text
    assert "Unlock the scenario to edit it." in page and '<fieldset class="plain" disabled>' in page
