"""Scenarios' what-ifs at the gateway: the JSON API (POST, PUT, PATCH, GET; a bad override is a 422
naming it), the scenario page's forms, the scenario list's count and the plan page's tables."""

from fastapi.testclient import TestClient
from markupsafe import escape

from contracts import queries as q
from contracts import subjects
from contracts.commands import ErrorReply, ScenarioAccepted
from contracts.overrides import AppliedOverride, ConfigChange, ScenarioOverride
from services.ui_gateway.pages.overrides_view import digest
from tests.unit.ui_gateway.fakes import plan_row, run_row, scenario_row

PEAK = {"type": "demand_scale", "factor": 1.3, "from": "2025-02-01", "to": "2025-03-31"}
LATE = {"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"}, "delta": 2}


def with_scenario(bus, *own: dict, inherited: tuple = (), **over) -> q.ScenarioRow:  # type: ignore[no-untyped-def]
    row = scenario_row(overrides=list(own), **over)
    bus.replies[subjects.QRY_SCENARIO_GET] = q.ScenarioDetail(scenario=row, inherited=[
        ScenarioOverride(scenario_id="scn_parent", override=o) for o in inherited])
    bus.replies[subjects.CMD_SCENARIO_UPDATE] = ScenarioAccepted(scenario_id=row.scenario_id)
    return row


def test_a_scenario_is_created_with_its_what_ifs_and_shows_them(client, bus):
    bus.replies[subjects.CMD_SCENARIO_CREATE] = ScenarioAccepted(scenario_id="scn_peak")
    answer = client.post("/scenarios", json={"name": "Peak", "overrides": [PEAK, LATE]})
    assert answer.status_code == 201
    [command] = bus.requests(subjects.CMD_SCENARIO_CREATE)
    assert [o.type for o in command.overrides] == ["demand_scale", "lead_time_change"]
    with_scenario(bus, PEAK)
    shown = client.get("/scenarios/scn_baseline").json()["scenario"]["overrides"]
    assert shown == [{"type": "demand_scale", "item": None, "family": None, "node": None, "region": None,
                      "from": "2025-02-01", "to": "2025-03-31", "factor": 1.3}]


def test_a_bad_override_is_a_422_naming_its_index_type_and_field_and_nothing_is_sent(client, bus):
    cases = [
        ([PEAK, {"type": "demand_scale", "factor": -1}], ["body", "overrides", 1, "demand_scale", "factor"]),
        ([{"type": "demand_scal", "factor": 1}], ["body", "overrides", 0]),
        ([{"type": "demand_shift", "days": 3, "periods": 1}], ["body", "overrides", 0, "demand_shift"]),
        ([{"type": "capacity_scale", "factor": 1, "nod": "F1"}], ["body", "overrides", 0, "capacity_scale", "nod"]),
        ([{"type": "demand_scale", "factor": 1, "from": "2025-13-01"}], ["body", "overrides", 0, "demand_scale", "from"]),
    ]
    for overrides, loc in cases:
        answer = client.post("/scenarios", json={"name": "Bad", "overrides": overrides})
        assert answer.status_code == 422, overrides
        assert [e["loc"] for e in answer.json()["detail"]] == [loc], answer.json()
    assert "demand_scale" in client.post("/scenarios", json={"name": "x", "overrides": [{"type": "demand_scal"}]}).text
    refused = client.put("/scenarios/scn_baseline", json={"name": "B", "overrides": [{"type": "price_change", "factor": 1,
                                                                                      "node": "S1"}]})
    assert refused.status_code == 422 and "prices are per item" in refused.text
    assert not bus.requests(subjects.CMD_SCENARIO_CREATE) and not bus.requests(subjects.CMD_SCENARIO_UPDATE)


def test_put_replaces_the_whole_scenario_and_patch_only_what_it_names(client, bus):
    with_scenario(bus)
    assert client.put("/scenarios/scn_baseline", json={"name": "Peak", "overrides": [PEAK]}).status_code == 200
    assert client.patch("/scenarios/scn_baseline", json={"overrides": [LATE]}).status_code == 200
    assert client.patch("/scenarios/scn_baseline", json={"tag": "x"}).status_code == 200
    put, patch, tag_only = bus.requests(subjects.CMD_SCENARIO_UPDATE)
    assert (put.name, put.description, put.tag, put.parent_id, [o.type for o in put.overrides]) == (
        "Peak", "", "", "", ["demand_scale"])
    assert (patch.name, [o.type for o in patch.overrides]) == (None, ["lead_time_change"])
    assert tag_only.overrides is None, "left out: the scenario keeps its what-ifs"
    bus.replies[subjects.CMD_SCENARIO_UPDATE] = ErrorReply(error="scenario_locked", message="locked by lead")
    assert client.put("/scenarios/scn_baseline", json={"name": "Peak"}).status_code == 409


def test_the_scenario_page_lists_inherited_and_own_what_ifs_and_the_forms(client, bus):
    with_scenario(bus, LATE, inherited=(PEAK,), parent_id="scn_parent")
    page = client.get("/ui/scenarios/scn_baseline").text
    assert 'id="what-ifs"' in page and 'id="add-override"' in page and 'id="overrides-json"' in page
    assert "1 own, 1 inherited" in page and "inherited</span>" in page
    assert "demand × 1.3 (+30%)" in page and "2025-02-01 – 2025-03-31" in page
    assert "arc F1 → W1" in page and "lead time +2 days" in page
    assert f'name="expected" value="{digest(with_scenario(bus, LATE).overrides)}"' in page
    assert '<script src="/static/overrides.js"></script>' in page and 'data-types="demand_scale' in page


def test_adding_a_what_if_from_the_form_appends_it_to_the_scenarios(client, bus):
    row = with_scenario(bus, PEAK)
    answer = client.post("/ui/scenarios/scn_baseline/overrides/add", follow_redirects=False, data={
        "expected": digest(row.overrides), "type": "capacity_scale", "factor": "0.8", "node": "F1", "from": "2025-07-01",
        "to": "", "item": ""})
    assert answer.status_code == 303 and "flash=What-if+added." in answer.headers["location"]
    [command] = bus.requests(subjects.CMD_SCENARIO_UPDATE)
    added = command.overrides[1]
    assert command.overrides[0].type == "demand_scale" and (added.type, added.factor, added.node) == (
        "capacity_scale", 0.8, "F1") and added.from_.isoformat() == "2025-07-01" and added.to is None


def test_a_bad_what_if_from_the_form_is_explained_and_nothing_is_sent(client, bus):
    row = with_scenario(bus)
    bad = client.post("/ui/scenarios/scn_baseline/overrides/add",
                      data={"expected": digest(row.overrides), "type": "demand_scale", "factor": "-2", "family": "FAM1"})
    assert bad.status_code == 422 and "new (demand_scale) factor" in bad.text and "greater than or equal to 0" in bad.text
    assert 'value="FAM1"' in bad.text, "what was typed stays"
    stray = client.post("/ui/scenarios/scn_baseline/overrides/add",
                        data={"type": "price_change", "factor": "1.1", "node": "S1"})
    assert stray.status_code == 422 and "price_change takes no node" in stray.text
    assert not bus.requests(subjects.CMD_SCENARIO_UPDATE)


def test_removing_a_what_if_and_a_page_shown_before_a_change_is_refused(client, bus):
    row = with_scenario(bus, PEAK, LATE)
    answer = client.post("/ui/scenarios/scn_baseline/overrides/remove", follow_redirects=False,
                         data={"index": "0", "expected": digest(row.overrides)})
    assert answer.status_code == 303
    assert [o.type for o in bus.requests(subjects.CMD_SCENARIO_UPDATE)[0].overrides] == ["lead_time_change"]
    stale = client.post("/ui/scenarios/scn_baseline/overrides/remove", data={"index": "0", "expected": "0123456789abcdef"})
    assert stale.status_code == 409 and "changed since this page was shown" in stale.text
    assert len(bus.requests(subjects.CMD_SCENARIO_UPDATE)) == 1


def test_the_what_ifs_edited_as_json_replace_them_and_errors_name_the_override(client, bus):
    row = with_scenario(bus, PEAK)
    page = client.get("/ui/scenarios/scn_baseline").text
    assert escape('"factor": 1.3') in page and "null" not in page.split('name="overrides"')[1].split("</textarea>")[0]
    saved = client.post("/ui/scenarios/scn_baseline/overrides", follow_redirects=False, data={
        "expected": digest(row.overrides), "overrides": '[{"type": "opening_inventory", "node": "S1", "quantity": 0}]'})
    assert saved.status_code == 303
    assert [o.type for o in bus.requests(subjects.CMD_SCENARIO_UPDATE)[0].overrides] == ["opening_inventory"]
    bad = client.post("/ui/scenarios/scn_baseline/overrides", data={
        "overrides": '[{"type": "demand_scale", "factor": 2}, {"type": "opening_inventory", "quantity": -1}]'})
    assert bad.status_code == 422 and "overrides[1] (opening_inventory) quantity" in bad.text
    assert "details class=\"json-overrides\" open" in bad.text and escape('"quantity": -1') in bad.text
    assert client.post("/ui/scenarios/scn_baseline/overrides", data={"overrides": "[{"}).status_code == 422
    assert len(bus.requests(subjects.CMD_SCENARIO_UPDATE)) == 1


def test_a_locked_scenario_or_a_viewer_gets_no_what_if_forms(bus, settings):  # type: ignore[no-untyped-def]
    from services.ui_gateway.app import create_app

    with_scenario(bus, PEAK, locked=True, locked_by="lead")
    with TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {bus.tokens['admin']}"}) as admin:
        page = admin.get("/ui/scenarios/scn_baseline").text
    assert 'id="add-override"' not in page and "Unlock the scenario to change its what-ifs." in page
    with_scenario(bus, PEAK)
    with TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {bus.tokens['viewer']}"}) as viewer:
        page = viewer.get("/ui/scenarios/scn_baseline").text
        assert viewer.post("/ui/scenarios/scn_baseline/overrides", data={"overrides": "[]"}).status_code == 403
    assert 'id="add-override"' not in page and "demand × 1.3" in page


def test_the_scenario_list_says_how_many_what_ifs_each_scenario_holds(client, bus):
    bus.replies[subjects.QRY_SCENARIOS_LIST] = q.ScenariosPage(scenarios=[
        scenario_row(scenario_id="scn_peak", name="Peak", overrides=[PEAK, PEAK]),
        scenario_row(scenario_id="scn_late", name="Late", parent_id="scn_peak", overrides=[LATE]),
        scenario_row()])
    page = client.get("/ui/scenarios").text
    cells = [part.split("</td>")[0] for part in page.split('data-field="what-ifs">')[1:]]
    assert [c.split("#what-ifs\">")[-1].split("<")[0] if "href" in c else "none" for c in cells] == ["2", "3", "none"]
    assert "(2 inherited)" in cells[1]


def test_the_plan_page_shows_the_what_ifs_applied_and_the_difference_from_the_config(client, bus):
    plan = plan_row(overrides=[
        AppliedOverride(scenario_id="scn_parent", override=PEAK, changed=4),
        AppliedOverride(scenario_id="scn_baseline", override=LATE, changed=0, note="a note")],
        effective_config_sha256="e" * 64, config_changes=[
            ConfigChange(what="demand", where="family FAM1", measure="demand over the horizon", before=1000, after=1150)])
    bus.replies[subjects.QRY_PLAN_GET] = q.PlanDetail(plan=plan, runs=[run_row()])
    page = client.get("/ui/plans/plan_1").text
    assert 'id="applied-overrides"' in page and 'id="config-changes"' in page and "2 applied" in page
    assert "matched nothing" in page and "a note" in page and "eeeeeeeeeeee…" in page
    assert "demand over the horizon" in page and "1,150" in page and "+150 (+15.0 %)" in page
    bus.replies[subjects.QRY_PLAN_GET] = q.PlanDetail(plan=plan_row(), runs=[])
    plain = client.get("/ui/plans/plan_1").text
    assert 'id="applied-overrides"' not in plain and "none: the config as it is" in plain
