"""A run's governance at the gateway: the original scpln's routes and answers, who may do what,
the actor being the signed-in user, notes rendered safely, the run page's controls by role, the
run history's filters and columns, and comparing with the scenarios' baselines."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts import queries as q
from contracts import subjects
from contracts.commands import ChangeRunMeta, ErrorReply, RunMetaChanged
from contracts.identity import ROLES
from services.ui_gateway.app import create_app
from services.ui_gateway.auth.permissions import allowed
from tests.unit.ui_gateway.fakes import T0, FakeBus, run_row


class Governance:
    """The registry's answers about governance, kept in memory: what the commands did."""

    def __init__(self, bus: FakeBus) -> None:
        self.bus = bus
        self.metas: dict[str, q.RunMeta] = {"run_a": q.RunMeta(run_id="run_a", scenario_id="scn_baseline")}
        bus.replies[subjects.CMD_RUN_META] = self.change
        bus.replies[subjects.QRY_RUN_META] = self.meta
        bus.replies[subjects.QRY_BASELINES] = self.baselines

    def change(self, cmd: ChangeRunMeta) -> Any:
        if cmd.run_id == "run_failed" and cmd.action in ("approve", "promote_baseline"):
            return ErrorReply(error="not_allowed", message="only a succeeded run can be approved: run_failed failed")
        meta = self.metas.get(cmd.run_id, q.RunMeta(run_id=cmd.run_id, scenario_id="scn_baseline"))
        values: dict[str, Any] = {
            "approve": {"approved": True, "approved_by": cmd.by, "approved_at": T0},
            "promote_baseline": {"approved": True, "approved_by": meta.approved_by or cmd.by, "approved_at": T0,
                                 "baseline": True, "baseline_by": cmd.by, "baseline_at": T0},
            "archive": {"archived": True, "archived_by": cmd.by, "archived_at": T0},
            "unarchive": {"archived": False, "archived_by": None, "archived_at": None},
            "note": {"notes": [*meta.notes, q.RunNote(note_id="note_1", text=cmd.note, author=cmd.by, created_at=T0)]},
            "tags": {"tags": sorted((set(meta.tags) | set(cmd.add)) - set(cmd.remove))},
        }[cmd.action]
        self.metas[cmd.run_id] = meta.model_copy(update=values)
        self.bus.seq += 1
        return RunMetaChanged(run_id=cmd.run_id, recorded_seq=self.bus.seq, meta=self.metas[cmd.run_id])

    def meta(self, query: q.GetRunMeta) -> Any:
        if query.must_exist and any(r not in self.metas for r in query.run_ids):
            return ErrorReply(error="run_not_found", message="run does not exist")
        return q.RunMetas(metas={r: self.metas.get(r, q.RunMeta(run_id=r)) for r in query.run_ids})

    def baselines(self, query: q.ListBaselines) -> q.BaselinesPage:
        rows = [q.BaselineRow(scenario_id=m.scenario_id or "", scenario_name="Baseline", run_id=r, promoted_by="lee",
                              promoted_at=T0, latest_run_id="run_b")
                for r, m in self.metas.items() if m.baseline]
        return q.BaselinesPage(baselines=[b for b in rows if query.scenario_id in (None, b.scenario_id)])


@pytest.fixture()
def governance(bus: FakeBus) -> Governance:
    return Governance(bus)


def as_role(bus: FakeBus, settings, role: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {bus.tokens[role]}"})


CHANGES = [
    ("/runs/run_a/approve", {}, "runs.approve", "approve"),
    ("/runs/run_a/promote-baseline", {}, "runs.approve", "promote_baseline"),
    ("/runs/run_a/archive", {}, "runs.archive", "archive"),
    ("/runs/run_a/unarchive", {}, "runs.archive", "unarchive"),
    ("/runs/run_a/note", {"json": {"note": "ok"}}, "runs.note", "note"),
    ("/runs/run_a/tags", {"json": {"add": ["q3"]}}, "runs.tag", "tags"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "kwargs", "permission", "action"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_is_allowed_to_its_roles_only_and_names_the_signed_in_user(
        bus, settings, governance, role, path, kwargs, permission, action):
    with as_role(bus, settings, role) as client:
        answer = client.post(path, **kwargs)
    sent = bus.requests(subjects.CMD_RUN_META)
    if allowed(role, permission):
        assert answer.status_code == 200, answer.text
        assert [(c.action, c.by) for c in sent] == [(action, role)]
    else:
        assert answer.status_code == 403 and permission in answer.json()["detail"]
        assert sent == []


def test_the_roles_are_the_originals_approve_from_approver_archive_and_notes_from_planner():
    assert [r for r in ROLES if allowed(r, "runs.approve")] == ["approver", "operator", "admin"]
    for permission in ("runs.archive", "runs.note", "runs.tag"):
        assert [r for r in ROLES if allowed(r, permission)] == ["planner", "approver", "operator", "admin"]


def test_the_originals_routes_answer_with_the_originals_shapes(client, bus, governance):
    approve = client.post("/runs/run_a/approve").json()
    assert {k: approve[k] for k in ("status", "run_id", "approved_by")} == {
        "status": "approved", "run_id": "run_a", "approved_by": "admin"}
    promote = client.post("/runs/run_a/promote-baseline").json()
    assert {k: promote[k] for k in ("status", "run_id")} == {"status": "baseline", "run_id": "run_a"}
    assert client.post("/runs/run_a/archive").json()["status"] == "archived"
    assert client.post("/runs/run_a/unarchive").json()["status"] == "unarchived"
    assert client.post("/runs/run_a/note", json={"note": "**why** we agreed"}).json()["status"] == "ok"
    meta = client.get("/runs/run_a/meta").json()
    assert {k: meta[k] for k in ("run_id", "approved_by", "baseline", "archived", "note")} == {
        "run_id": "run_a", "approved_by": "admin", "baseline": 1, "archived": 0, "note": "**why** we agreed"}
    assert meta["approved_at"] == int(T0.timestamp() * 1000)
    assert meta["notes"][0]["author"] == "admin" and meta["notes"][0]["html"] == "<p><strong>why</strong> we agreed</p>\n"
    bulk = client.get("/runs/meta", params={"run_ids": "run_a,run_zz"}).json()
    assert list(bulk) == ["run_a", "run_zz"] and bulk["run_zz"]["baseline"] == 0 and bulk["run_a"]["baseline"] == 1
    assert client.get("/runs/meta", params={"run_ids": " , "}).status_code == 400
    assert client.get("/runs/baseline", params={"scenario_id": "scn_baseline"}).json()["run_id"] == "run_a"
    assert client.get("/runs/baseline", params={"scenario_id": "scn_none"}).json() == {
        "run_id": None, "scenario_id": "scn_none"}
    assert client.post("/runs/run_a/tags", json={"add": ["q3", "peak"]}).json()["tags"] == ["peak", "q3"]


def test_a_failed_run_is_not_approved_and_an_unknown_run_has_no_meta(client, governance):
    refused = client.post("/runs/run_failed/approve")
    assert refused.status_code == 409 and "succeeded" in refused.json()["detail"]
    assert client.get("/runs/run_nope/meta").status_code == 404


def test_the_author_is_never_the_body_and_bad_tags_are_refused(client, bus, governance):
    assert client.post("/runs/run_a/note", json={"note": "x", "author": "mallory"}).status_code == 422
    assert client.post("/runs/run_a/note", json={"note": ""}).status_code == 422
    assert client.post("/runs/run_a/tags", json={"add": ["a,b"]}).status_code == 422
    assert client.post("/runs/run_a/tags", json={}).status_code == 422
    assert bus.requests(subjects.CMD_RUN_META) == []


def test_a_note_is_rendered_without_its_html_and_links_only_to_safe_targets(client, governance):
    text = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> [ok](https://e.example)"
    client.post("/runs/run_a/note", json={"note": text})
    page = client.get("/ui/runs/run_a").text
    notes = page[page.index('id="run-notes"'):page.index("</ol>", page.index('id="run-notes"'))]
    assert "<script>" not in notes and "<img" not in notes and 'href="javascript' not in notes
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in notes
    assert '<a href="https://e.example" rel="nofollow noopener noreferrer">ok</a>' in notes


@pytest.mark.parametrize(("role", "buttons", "absent"), [
    ("viewer", [], ["approve-run", "promote-baseline", "archive-run", 'id="run-note"', 'id="run-tags"']),
    ("planner", ["archive-run", 'id="run-note"', 'id="run-tags"'], ["approve-run", "promote-baseline"]),
    ("approver", ["approve-run", "promote-baseline", "archive-run", 'id="run-note"'], []),
])
def test_the_run_page_shows_its_governance_and_the_controls_the_role_may_use(bus, settings, governance, role,
                                                                             buttons, absent):
    with as_role(bus, settings, role) as client:
        page = client.get("/ui/runs/run_a")
    assert page.status_code == 200 and 'id="governance"' in page.text and "not approved" in page.text
    for marker in buttons:
        assert marker in page.text, marker
    for marker in absent:
        assert marker not in page.text, marker


def test_the_run_pages_forms_change_the_run_and_come_back_to_it(client, bus, governance):
    answer = client.post("/ui/runs/run_a/approve", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/runs/run_a?min_seq=")
    client.post("/ui/runs/run_a/tags", data={"add": "q3, peak"}, follow_redirects=False)
    client.post("/ui/runs/run_a/tags", data={"remove": "peak"}, follow_redirects=False)
    assert governance.metas["run_a"].tags == ["q3"]
    page = client.get("/ui/runs/run_a").text
    assert "approved</span> by admin" in page and 'id="approve-run"' not in page


def test_the_history_filters_by_governance_and_shows_it(client, bus, governance):
    bus.replies[subjects.QRY_RUNS_LIST] = q.RunsPage(
        runs=[run_row(approved=True, baseline=True, tags=["q3"])], total=1, limit=50, offset=0)
    page = client.get("/ui/runs", params={"approved": "yes", "baseline": "no", "archived": "only", "tag": "q3"})
    query = bus.requests(subjects.QRY_RUNS_LIST)[-1]
    assert (query.approved, query.baseline, query.archived, query.tag) == (True, False, "only", "q3")
    assert page.status_code == 200 and ">baseline</span>" in page.text and ">approved</span>" in page.text
    assert 'href="/ui/runs/compare/baseline"' in page.text
    client.get("/ui/runs")
    assert bus.requests(subjects.QRY_RUNS_LIST)[-1].archived == "hide"
    assert client.get("/ui/runs", params={"approved": "maybe"}).status_code == 422
    api = client.get("/runs", params={"archived": "include", "approved": "true"})
    assert api.status_code == 200 and bus.requests(subjects.QRY_RUNS_LIST)[-1].archived == "include"


def test_compare_against_the_baseline_and_the_latest_of_each_scenario_preset(client, bus, governance):
    comparison = q.Comparison(base_id="run_a", runs=[run_row("run_a"), run_row("run_b")], kpis=[],
                              bases={"run_b": "run_a"})
    bus.replies[subjects.QRY_RUNS_COMPARE] = comparison
    api = client.post("/runs/compare", json={"run_ids": ["run_b"], "base": "baseline"})
    assert api.status_code == 200 and api.json()["bases"] == {"run_b": "run_a"}
    page = client.get("/ui/runs/compare", params={"run_id": "run_b", "base": "baseline"})
    assert bus.requests(subjects.QRY_RUNS_COMPARE)[-1].base == "baseline"
    assert 'id="compare-bases"' in page.text and "baseline <a" in page.text
    assert client.get("/ui/runs/compare/baseline", follow_redirects=False).status_code == 404
    client.post("/runs/run_a/promote-baseline")
    preset = client.get("/ui/runs/compare/baseline", follow_redirects=False)
    assert preset.status_code == 303 and preset.headers["location"] == "/ui/runs/compare?base=baseline&run_id=run_b"
