"""Plan review with the system as processes: a planner edits a plan's PSI at both levels (the
original scpln's routes and bodies), locks, reconciles and submits; an approver approves, which
makes the plan immutable and supersedes the scenario's plan approved before; every step is in
the audit trail with who did it; a run of the edited plan executes its revision."""

import pytest

pytestmark = pytest.mark.e2e


def make_plan(system) -> str:  # type: ignore[no-untyped-def]
    with system.client("planner") as planner:
        configs = planner.get("/configs").json()["configs"]
        config = max(configs, key=lambda c: c["planning_days"])["config_version_id"]
        accepted = planner.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
        assert accepted.status_code == 202, accepted.text
    plan_id = accepted.json()["plan_version_id"]
    system.wait_for(f"/plans/{plan_id}/psi/state", lambda body: body["state"].get("opened"), timeout=60)
    return plan_id


def test_a_planner_edits_and_submits_and_an_approver_approves_each_step_in_the_audit_trail(system):
    plan_id = make_plan(system)
    earlier = make_plan(system)
    with system.client("planner") as planner, system.client("approver") as approver:
        assert planner.post(f"/plans/{earlier}/psi/submit", json={"note": "first"}).json()["status"] == "submitted"
        assert approver.post(f"/plans/{earlier}/psi/approve").json()["status"] == "approved"

        grid = planner.get(f"/plans/{plan_id}/psi", params={"level": "aggregate", "q": "M2 FAM1"}).json()
        assert {"level", "total", "rows", "locks"} <= grid.keys() and grid["total"] == 1
        edit = {"level": "aggregate", "note": "capacity cut in M2",
                "edits": [{"key": {"period": "M2", "family": "FAM1"}, "fields": {"supply": 1200}}],
                "distribute": {"weight_mode": "current", "round": {"step": 1, "mode": "nearest"}}}
        saved = planner.patch(f"/plans/{plan_id}/psi", json=edit)
        assert saved.status_code == 200 and saved.json()["updated"] == 1 and saved.json()["distributed"] > 0, saved.text
        detail = planner.get(f"/plans/{plan_id}/psi", params={"level": "det", "q": "FAM1 M2", "limit": 1000}).json()
        assert sum(r["supply_plan"] for r in detail["rows"]) == pytest.approx(1200)
        assert all(float(r["supply_plan"]).is_integer() for r in detail["rows"])

        lock = {"level": "det", "lock": "lock", "lock_keys": ["det:week=W10,sku=P3"], "note": "contract volume"}
        assert planner.patch(f"/plans/{plan_id}/psi", json=lock).json()["locked"] == ["det:week=W10,sku=P3"]
        reconciled = planner.post(f"/plans/{plan_id}/psi/reconcile", json={"note": "check"}).json()
        assert reconciled["ok"] is True and reconciled["summary"] == {"groups": 0, "cells": 0}
        assert planner.post(f"/plans/{plan_id}/psi/approve").status_code == 403
        submitted = planner.post(f"/plans/{plan_id}/psi/submit", json={"note": "ready for S&OP"})
        assert (submitted.json()["ok"], submitted.json()["status"]) == (True, "submitted")
        assert planner.patch(f"/plans/{plan_id}/psi", json=edit).status_code == 409

        approved = approver.post(f"/plans/{plan_id}/psi/approve", json={"note": "agreed"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        assert approved.json()["supersedes"] == earlier
        assert planner.patch(f"/plans/{plan_id}/psi", json=edit).status_code == 409

        state = approver.get(f"/plans/{plan_id}/psi/state").json()
        assert (state["state"]["status"], state["state"]["submitted_by"], state["state"]["approved_by"]) == (
            "approved", "e2e-planner", "e2e-approver")
        assert approver.get(f"/plans/{earlier}/psi/state").json()["state"]["status"] == "superseded"
        audit = approver.get(f"/plans/{plan_id}/psi/audit").json()["events"]
        steps = [(e["event_type"], e["actor"], e["notes"]) for e in reversed(audit)]
        assert steps[0][0] == "open" and steps[-1] == ("approve", "e2e-approver", "agreed")
        assert ("edit", "e2e-planner", "capacity cut in M2") in steps and ("lock", "e2e-planner", "contract volume") in steps
        assert ("submit", "e2e-planner", "ready for S&OP") in steps
        csv = approver.get(f"/plans/{plan_id}/psi.csv", params={"level": "det"}).text.splitlines()
        assert csv[0] == "week,sku,demand,supply_plan,backlog,on_hand_start,on_hand_end" and len(csv) == 1 + 12 * 53


def test_a_run_of_an_edited_plan_executes_its_revision_and_records_it(system):
    plan_id = make_plan(system)
    with system.client("planner") as planner:
        edit = {"level": "det", "edits": [{"key": {"week": "W3", "sku": "P1"}, "fields": {"supply_plan": 0}}], "note": "stop"}
        assert planner.patch(f"/plans/{plan_id}/psi", json=edit).json()["revision"] == 1
        assert planner.post(f"/plans/{plan_id}/runs").status_code == 202
    state = system.wait_for(f"/plans/{plan_id}/psi/state", lambda body: 1 in body["state"]["run_revisions"].values(),
                            timeout=60)["state"]
    assert sorted(state["run_revisions"].values()) == [0, 1]
    assert [r["revision"] for r in state["revisions"]] == [1]
    assert state["revisions"][0]["supply_plan"]["key"] == f"{plan_id}/plan_final.r1.json"


def test_the_originals_weights_and_a_viewer_reads_but_changes_nothing(system):
    plan_id = make_plan(system)
    with system.client("planner") as planner, system.client("viewer") as viewer:
        posted = planner.post(f"/plans/{plan_id}/psi/weights",
                              json={"rows": [{"key": "det:week=W1,sku=P1", "weight": 3}], "reason": "mix"}).json()
        assert (posted["ok"], posted["count"]) == (True, 1)
        assert viewer.get(f"/plans/{plan_id}/psi/weights").json()["rows"] == [{"key": "det:week=W1,sku=P1", "weight": 3.0}]
        assert viewer.patch(f"/plans/{plan_id}/psi", json={"level": "det"}).status_code == 403
        assert viewer.post(f"/plans/{plan_id}/psi/submit").status_code == 403
        assert viewer.get(f"/plans/{plan_id}/psi/state").json()["allowed"] == []
        assert planner.get(f"/plans/{plan_id}/psi/state").json()["allowed"] == ["edit", "submit"]
