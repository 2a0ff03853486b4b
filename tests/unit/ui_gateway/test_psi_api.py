"""Plan review at the gateway (fake bus): the original scpln's routes and bodies become plan_service's
commands made by the signed-in user; each route needs its permission; reads keep the original's
shapes; a plan planned before plan review gets its PSI on first read; the plan page shows the review
with the moves the role may make."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.review import EditPsi, PsiEdited, PsiOpened, PsiReconciled, PsiWeightsSet, ReviewDecided
from contracts.review_queries import PsiAudit, PsiAuditEntry, PsiPage, PsiStateReply, PsiWeightsPage
from services.ui_gateway.app import create_app
from services.ui_gateway.auth.permissions import PERMISSIONS
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import FakeBus

T0 = datetime(2026, 3, 1, tzinfo=UTC)
AGG_ROW = {"period": "M1", "family": "FAM1", "demand": 10.0, "supply": 8.0, "backlog": 2.0,
           "original": {"demand": 10.0, "supply": 9.0}, "edited": ["supply"], "locked": [],
           "detail": {"demand": 10.0, "supply": 8.0}, "agrees": True}
DET_ROW = {"week": "W1", "sku": "P1", "family": "FAM1", "period": "M1", "demand": 5.0, "supply_plan": 4.0, "backlog": 0.0,
           "on_hand_start": 3.0, "on_hand_end": 2.0, "original": {"demand": 5.0, "supply_plan": 4.0}, "edited": [],
           "locked": ["demand", "supply_plan"]}


def page(request) -> PsiPage:  # type: ignore[no-untyped-def]
    row = AGG_ROW if request.level == "aggregate" else DET_ROW
    return PsiPage(plan_version_id=request.plan_version_id, level=request.level, opened=True, state="draft",
                   revision=3, total=1, rows=[row], locks=["det:week=W1,sku=P1"], last_seq=9)


def state(**over) -> PsiStateReply:  # type: ignore[no-untyped-def]
    values = {"plan_version_id": "plan_1", "opened": True, "plan_status": "ready", "state": "draft", "revision": 3}
    return PsiStateReply(**(values | over))


def review_replies() -> dict[str, Any]:
    """plan_service's and the registry's answers about plan_1's review."""
    return {
        subjects.QRY_PSI_GET: page,
        subjects.QRY_PSI_STATE: state(),
        subjects.QRY_PSI_AUDIT: PsiAudit(plan_version_id="plan_1", total=1, events=[PsiAuditEntry(
            event_id=5, event_type="edit", display_event="edit", timestamp=0, display_time="2026-03-01T00:00:00Z",
            actor="pat", notes="promo", level="det", revision=3, key_hash="det:week=W1,sku=P1:field=demand",
            key_display="W1 / P1 / demand", payload={"cells": 4})]),
        subjects.QRY_PSI_WEIGHTS: PsiWeightsPage(plan_version_id="plan_1", rows=[{"key": "det:week=W1,sku=P1", "weight": 2}]),
        subjects.CMD_PSI_EDIT: lambda cmd: PsiEdited(updated=len(cmd.cells), locked=[], revision=4, recorded_seq=11),
        subjects.CMD_PSI_RECONCILE: PsiReconciled(groups=2, cells=9, revision=5, recorded_seq=12),
        subjects.CMD_PSI_WEIGHTS: lambda cmd: PsiWeightsSet(count=len(cmd.weights), recorded_seq=13),
        subjects.CMD_PLAN_REVIEW: lambda cmd: ReviewDecided(status={"submit": "submitted", "approve": "approved",
                                                                    "reject": "draft"}[cmd.action], revision=3),
        subjects.CMD_PSI_OPEN: lambda cmd: PsiOpened(plan_version_id=cmd.plan_version_id),
    }


@pytest.fixture()
def review_bus(bus: FakeBus) -> FakeBus:
    bus.replies.update(review_replies())
    return bus


@pytest.fixture()
def as_role(review_bus: FakeBus, settings: Settings):  # type: ignore[no-untyped-def]
    @contextmanager
    def client(role: str, allow_self: bool = False) -> Iterator[TestClient]:
        app = create_app(settings.model_copy(update={"scpln_allow_self_approval": allow_self}), review_bus)
        with TestClient(app, headers={"Authorization": f"Bearer {review_bus.tokens[role]}"}) as test_client:
            yield test_client
    return client


def test_the_originals_patch_body_becomes_an_edit_by_the_signed_in_user(as_role, review_bus):
    body = {"level": "detail", "edits": [{"key": {"week": "W1", "sku": "P1"}, "fields": {"supply_plan": 7, "demand": None}}],
            "lock": "lock", "lock_keys": ["det:week=W2,sku=P1:field=demand"], "note": "promo",
            "distribute": {"weight_mode": "demand", "round": {"step": 5, "mode": "ceil"}}, "no_auto": True}
    with as_role("planner") as client:
        answer = client.patch("/plans/plan_1/psi", json=body)
    assert answer.status_code == 200, answer.text
    assert {"updated", "skipped", "locked"} <= answer.json().keys() and answer.json()["updated"] == 2
    command = review_bus.requests(subjects.CMD_PSI_EDIT)[0]
    assert isinstance(command, EditPsi) and (command.by, command.role, command.note) == ("planner", "planner", "promo")
    # answered once the read model holds the edit's fact: a read sent next sees it
    assert [q.min_seq for q in review_bus.requests(subjects.QRY_POSITION)] == [11]
    assert [(c.measure, c.value) for c in command.cells] == [("supply", 7.0), ("demand", None)]
    assert (command.level, command.lock, command.auto) == ("det", "lock", False)
    assert [(c.period, c.measure) for c in command.lock_cells] == [("W2", "demand")]
    assert command.distribution.weight_mode == "demand" and command.distribution.rounding["supply"].step == 5


@pytest.mark.parametrize(("body", "says"), [
    ({"level": "aggregate", "edits": [{"key": {"period": "M1", "family": "F"}, "fields": {"backlog": 3}}]}, "cannot be set"),
    ({"level": "aggregate", "edits": [{"key": {"week": "W1", "sku": "P1"}, "fields": {"supply": 3}}]}, "period and family"),
    ({"level": "det", "edits": [{"key": {"week": "W1", "sku": "P1"}, "fields": {"supply": -3}}]}, "greater than or equal"),
    ({"level": "det", "lock_keys": ["det:week=W1,sku=P1"]}, "lock mode"),
    ({"level": "det", "lock": "lock", "lock_keys": ["row 7"]}, "names no PSI row"),
    ({"level": "det", "by": "someone"}, "Extra inputs"),
])
def test_a_patch_that_cannot_be_read_is_a_422_naming_what(as_role, review_bus, body, says):
    with as_role("planner") as client:
        answer = client.patch("/plans/plan_1/psi", json=body)
    assert answer.status_code == 422 and says in answer.text, answer.text
    assert not review_bus.requests(subjects.CMD_PSI_EDIT)


@pytest.mark.parametrize(("method", "path", "body", "permission"), [
    ("PATCH", "/plans/plan_1/psi", {"level": "det"}, "plans.edit"),
    ("POST", "/plans/plan_1/psi/reconcile", {}, "plans.edit"),
    ("POST", "/plans/plan_1/psi/weights", {"rows": [{"key": "det:week=W1,sku=P1", "weight": 1}]}, "plans.edit"),
    ("POST", "/plans/plan_1/psi/submit", {}, "plans.submit"),
    ("POST", "/plans/plan_1/psi/approve", {}, "plans.approve"),
    ("POST", "/plans/plan_1/psi/reject", {"reason": "x"}, "plans.approve"),
])
def test_each_change_needs_its_permission(as_role, method, path, body, permission):
    least = PERMISSIONS[permission]
    with as_role("viewer") as client:
        refused = client.request(method, path, json=body)
    assert refused.status_code == 403 and permission in refused.text
    with as_role(least) as client:
        assert client.request(method, path, json=body).status_code == 200


def test_the_review_roles_agree_with_the_gateways_permissions():
    from contracts.review import LEAST_ROLE

    assert (PERMISSIONS["plans.edit"], PERMISSIONS["plans.submit"], PERMISSIONS["plans.approve"]) == (
        LEAST_ROLE["edit"], LEAST_ROLE["submit"], LEAST_ROLE["approve"]) == ("planner", "planner", "approver")
    assert LEAST_ROLE["reject"] == PERMISSIONS["plans.approve"]


def test_reads_keep_the_originals_shapes(as_role):
    with as_role("viewer") as client:
        grid = client.get("/plans/plan_1/psi", params={"level": "det", "q": "p1", "limit": 5}).json()
        csv = client.get("/plans/plan_1/psi.csv", params={"level": "aggregate"})
        weights = client.get("/plans/plan_1/psi/weights").json()
        audit = client.get("/plans/plan_1/psi/audit").json()
        state_ = client.get("/plans/plan_1/psi/state").json()
    assert {"level", "total", "rows", "locks"} <= grid.keys() and grid["rows"][0]["supply_plan"] == 4.0
    assert csv.text.splitlines() == ["period,family,demand,supply,backlog", "M1,FAM1,10.0,8.0,2.0"]
    assert weights["rows"] == [{"key": "det:week=W1,sku=P1", "weight": 2.0}]
    assert {"event_id", "event_type", "timestamp", "display_time", "actor", "notes", "level", "key_hash", "key_display",
            "payload", "payload_preview", "display_event"} <= audit["events"][0].keys()
    assert state_["state"]["status"] == "draft" and state_["source"] == "event_log" and state_["allowed"] == []


def test_a_plan_planned_before_plan_review_gets_its_psi_on_first_read(as_role, review_bus):
    answers = iter([PsiPage(plan_version_id="plan_1", level="aggregate", opened=False, plan_status="ready")])
    review_bus.replies[subjects.QRY_PSI_GET] = lambda r: next(answers, None) or page(r)
    review_bus.replies[subjects.CMD_PSI_OPEN] = PsiOpened(plan_version_id="plan_1", recorded_seq=44)
    with as_role("viewer") as client:
        assert client.get("/plans/plan_1/psi").json()["total"] == 1
    assert review_bus.requests(subjects.CMD_PSI_OPEN)[0].by == "viewer"
    assert review_bus.requests(subjects.QRY_PSI_GET)[-1].min_seq == 44


def test_transitions_answer_ok_and_status_and_errors_keep_their_codes(as_role, review_bus):
    with as_role("planner") as client:
        submitted = client.post("/plans/plan_1/psi/submit", json={"note": "ready"}).json()
        assert (submitted["ok"], submitted["status"]) == (True, "submitted")
    with as_role("approver") as client:
        assert client.post("/plans/plan_1/psi/approve", json={"auto_reconcile": True}).status_code == 422
        assert client.post("/plans/plan_1/psi/reject", json={"reason": "too low"}).json()["status"] == "draft"
        review_bus.replies[subjects.CMD_PLAN_REVIEW] = ErrorReply(error="forbidden", message="you submitted it")
        assert client.post("/plans/plan_1/psi/approve").status_code == 403
        review_bus.replies[subjects.CMD_PLAN_REVIEW] = ErrorReply(error="not_allowed", message="not submitted")
        assert client.post("/plans/plan_1/psi/approve").status_code == 409
    moves = [(r.action, r.by, r.role, r.note) for r in review_bus.requests(subjects.CMD_PLAN_REVIEW)]
    assert moves[:2] == [("submit", "planner", "planner", "ready"), ("reject", "approver", "approver", "too low")]


def test_weights_from_the_originals_csv(as_role, review_bus):
    with as_role("planner") as client:
        answer = client.post("/plans/plan_1/psi/weights", json={"csv": "week,sku,weight\nW1,P1,2\nW2,P1,0.5\n",
                                                                 "reason": "mix"})
    assert answer.json()["count"] == 2
    command = review_bus.requests(subjects.CMD_PSI_WEIGHTS)[0]
    assert [(w.key, w.weight) for w in command.weights] == [("det:week=W1,sku=P1", 2.0), ("det:week=W2,sku=P1", 0.5)]
    assert command.note == "mix"


def forms(html: str) -> list[str]:
    return re.findall(r'<form[^>]*action="([^"]*psi[^"]*)"', html)


@pytest.mark.parametrize(("role", "review", "expected", "editable"), [
    ("viewer", state(), [], False),
    ("planner", state(), ["/ui/plans/plan_1/psi/submit", "/ui/plans/plan_1/psi/reconcile"], True),
    ("planner", state(state="submitted", submitted_by="planner"), [], False),
    ("approver", state(state="submitted", submitted_by="planner"),
     ["/ui/plans/plan_1/psi/approve", "/ui/plans/plan_1/psi/reject"], False),
    ("approver", state(state="submitted", submitted_by="approver"), [], False),
    ("admin", state(state="approved"), [], False),
])
def test_the_plan_page_shows_the_state_and_the_moves_the_role_may_make(as_role, review_bus, role, review, expected,
                                                                      editable):
    review_bus.replies[subjects.QRY_PSI_STATE] = review
    with as_role(role) as client:
        html = client.get("/ui/plans/plan_1").text
    assert 'id="plan-review"' in html and f'data-state="{review.state}"' in html
    assert forms(html) == expected
    assert ('id="psi-edit-tools"' in html) == editable and ('data-editable="true"' in html) == editable
    assert '<script src="/static/psi.js"></script>' in html and "promo" in html


def test_the_plan_page_shows_a_rejection_and_its_reason(as_role, review_bus):
    review_bus.replies[subjects.QRY_PSI_STATE] = state(last_decision="rejected", rejected_by="al", rejected_at=T0,
                                                       reason="FAM2 too low", submitted_by="planner")
    with as_role("planner") as client:
        html = client.get("/ui/plans/plan_1").text
    assert 'id="review-rejected"' in html and "FAM2 too low" in html


def test_a_page_form_moves_the_plan_and_comes_back_with_what_happened(as_role, review_bus):
    with as_role("approver") as client:
        answer = client.post("/ui/plans/plan_1/psi/reject", data={"reason": "FAM2 too low"}, follow_redirects=False)
        assert client.post("/ui/plans/plan_1/psi/reject", data={"reason": " "}).status_code == 422
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/plans/plan_1?")
    assert "Rejected" in answer.headers["location"].replace("+", " ")
