"""Sign-in and permissions at the gateway: every route names its permission, each role is
allowed exactly what the table says, the actor is the signed-in user, browsers are hardened."""

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from contracts import subjects
from contracts.commands import (
    AggregateAccepted,
    ConfigImported,
    JobAccepted,
    MaintenanceStatus,
    PlanAccepted,
    RunDeletedReply,
    ScenarioAccepted,
)
from contracts.identity import ROLES, TokenRevoked, UserDisabled, UserRoleChanged
from services.ui_gateway.app import create_app
from services.ui_gateway.auth.guard import Guard
from services.ui_gateway.auth.permissions import PERMISSIONS, PUBLIC, allowed
from services.ui_gateway.auth.state import UnsafeSettings
from services.ui_gateway.settings import Settings

PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/login"), ("POST", "/login")}


def _routes(routes):  # type: ignore[no-untyped-def]
    """Every route of the app, also those of included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def _permission(route: APIRoute) -> str | None:
    guards = [d.call.permission for d in route.dependant.dependencies if isinstance(d.call, Guard)]
    return guards[0] if len(guards) == 1 else None


def test_every_route_of_the_app_names_exactly_one_permission(client):
    routes = [r for r in _routes(client.app.routes) if isinstance(r, APIRoute)]
    assert len(routes) > 50
    missing = [(sorted(r.methods), r.path) for r in routes if _permission(r) is None]
    assert missing == []
    public = {(m, r.path) for r in routes if _permission(r) == PUBLIC for m in r.methods}
    assert public == PUBLIC_ROUTES
    changes = [r for r in routes if r.methods - {"GET", "HEAD"} and _permission(r) == "read"]
    # reads through POST, signing out, and the retired scenario-run path (always 403)
    assert {r.path for r in changes} == {"/runs/compare", "/plans/compare", "/logout", "/ui/scenarios/{scenario_id}/run"}


@pytest.mark.parametrize(("role", "permission"), [(r, p) for r in ROLES for p in PERMISSIONS])
def test_roles_are_ordered_and_each_holds_what_the_table_says(role, permission):
    assert allowed(role, permission) == (ROLES.index(role) >= ROLES.index(PERMISSIONS[permission]))


MUTATIONS = [
    ("post", "/plans", {"json": {"base_scenario_id": "scn_1", "config_version_id": "cfg_1"}}, "plans.create",
     subjects.CMD_PLAN_CREATE, PlanAccepted(plan_version_id="plan_9", job_id="job_9")),
    ("post", "/plans/plan_1/runs", {}, "plans.rerun", subjects.CMD_PLAN_RERUN, JobAccepted(job_id="job_9")),
    ("post", "/jobs/aggregate", {"json": {"run_id": "run_a"}}, "jobs.aggregate", subjects.CMD_AGGREGATE,
     AggregateAccepted(job_id="job_9", run_id="run_a", plan_version_id="plan_1")),
    ("post", "/jobs/job_1/cancel", {}, "jobs.cancel", subjects.CMD_JOB_CANCEL, JobAccepted(job_id="job_1")),
    ("post", "/jobs/job_1/retry", {}, "jobs.retry", subjects.CMD_JOB_RETRY, JobAccepted(job_id="job_9")),
    ("post", "/scenarios", {"json": {"name": "Peak"}}, "scenarios.write", subjects.CMD_SCENARIO_CREATE,
     ScenarioAccepted(scenario_id="scn_9")),
    ("patch", "/scenarios/scn_1", {"json": {"tag": "q3"}}, "scenarios.write", subjects.CMD_SCENARIO_UPDATE,
     ScenarioAccepted(scenario_id="scn_1")),
    ("post", "/scenarios/scn_1/lock", {}, "scenarios.lock", subjects.CMD_SCENARIO_LOCK, ScenarioAccepted(scenario_id="scn_1")),
    ("post", "/scenarios/scn_1/unlock", {}, "scenarios.lock", subjects.CMD_SCENARIO_UNLOCK,
     ScenarioAccepted(scenario_id="scn_1")),
    ("post", "/scenarios/scn_1/archive", {}, "scenarios.archive", subjects.CMD_SCENARIO_ARCHIVE,
     ScenarioAccepted(scenario_id="scn_1")),
    ("post", "/scenarios/scn_1/unarchive", {}, "scenarios.archive", subjects.CMD_SCENARIO_UNARCHIVE,
     ScenarioAccepted(scenario_id="scn_1")),
    ("delete", "/runs/run_a", {}, "runs.delete", subjects.CMD_RUN_DELETE, RunDeletedReply(run_id="run_a")),
    ("post", "/configs", {"json": {"meta": {"name": "n", "schema_version": "canonical-1.0"}}}, "configs.import",
     subjects.CMD_CONFIG_IMPORT, ConfigImported(config_version_id="cfg_9", sha256="0" * 64, created=True)),
    ("post", "/configs/input-sets", {"files": [("files", ("demand_family.csv", b"family,period,demand\nF,2025-01,1\n")),
                                               ("files", ("mix_share.csv", b"family,sku,share\nF,P,1\n"))]},
     "configs.import", subjects.CMD_CONFIG_IMPORT,
     ConfigImported(config_version_id="cfg_9", sha256="0" * 64, created=True)),
    ("post", "/maintenance", {"json": {"on": True, "message": "restoring"}}, "registry.operate",
     subjects.CMD_MAINTENANCE_SET, MaintenanceStatus(on=True, message="restoring", recorded_seq=7)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "kwargs", "permission", "subject", "reply"), MUTATIONS,
                         ids=[f"{m[0]} {m[1]}" for m in MUTATIONS])
def test_each_mutation_is_allowed_to_its_roles_and_refused_to_the_others(
        bus, settings, role, method, path, kwargs, permission, subject, reply):
    bus.replies[subject] = reply
    with TestClient(create_app(settings, bus)) as anonymous:
        refused = getattr(anonymous, method)(path, **kwargs)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        answer = getattr(anonymous, method)(path, headers={"Authorization": f"Bearer {bus.tokens[role]}"}, **kwargs)
    if allowed(role, permission):
        assert answer.status_code < 300, answer.text
        assert len(bus.requests(subject)) == 1
    else:
        assert answer.status_code == 403
        assert permission in answer.json()["detail"] and role in answer.json()["detail"]
        assert bus.requests(subject) == []


def test_reads_need_an_identity_and_every_role_may_read(bus, settings):
    with TestClient(create_app(settings, bus)) as anonymous:
        assert anonymous.get("/runs").status_code == 401
        assert anonymous.get("/healthz").status_code == 200
        page = anonymous.get("/ui/runs?status=succeeded", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fui%2Fruns%3Fstatus%3Dsucceeded"
        viewer = {"Authorization": f"Bearer {bus.tokens['viewer']}"}
        assert anonymous.get("/runs", headers=viewer).status_code == 200
        assert anonymous.get("/ui/runs", headers=viewer).status_code == 200
        assert anonymous.get("/registry/status", headers=viewer).status_code == 403
        assert anonymous.get("/runs", headers={"Authorization": "Bearer scpln_forged"}).status_code == 401
        assert anonymous.get("/runs", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401


def test_the_actor_is_the_signed_in_user_never_a_field_of_the_request(bus, settings):
    bus.replies[subjects.CMD_SCENARIO_LOCK] = ScenarioAccepted(scenario_id="scn_1")
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    approver = {"Authorization": f"Bearer {bus.tokens['approver']}"}
    with TestClient(create_app(settings, bus), headers=approver) as client:
        assert client.post("/scenarios/scn_1/lock?by=mallory").status_code == 422
        assert client.post("/scenarios/scn_1/lock").status_code == 200
        body = {"base_scenario_id": "scn_1", "config_version_id": "cfg_1"}
        assert client.post("/plans", json={**body, "requested_by": "mallory"}).status_code == 422
        assert client.post("/plans", json=body).status_code == 202
    assert [c.by for c in bus.requests(subjects.CMD_SCENARIO_LOCK)] == ["approver"]
    assert [c.requested_by for c in bus.requests(subjects.CMD_PLAN_CREATE)] == ["approver"]


def test_a_revoked_token_or_a_disabled_user_stops_at_once_and_a_role_change_applies_at_once(bus, settings):
    secret = bus.add_user("ana", "planner")
    token_id = next(t.token_id for t in bus.identities.tokens.values() if t.username == "ana")
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(settings, bus), headers=headers) as client:
        assert client.delete("/runs/run_a").status_code == 403
        bus.identities.apply(UserRoleChanged(username="ana", role="admin", changed_by="t", correlation_id="ana", producer="t"))
        bus.replies[subjects.CMD_RUN_DELETE] = RunDeletedReply(run_id="run_a")
        assert client.delete("/runs/run_a").status_code == 200
        bus.identities.apply(UserDisabled(username="ana", disabled_by="t", correlation_id="ana", producer="t"))
        assert client.get("/runs").status_code == 401
    other = bus.add_user("bo", "viewer")
    bo_token = next(t.token_id for t in bus.identities.tokens.values() if t.username == "bo")
    with TestClient(create_app(settings, bus), headers={"Authorization": f"Bearer {other}"}) as client:
        assert client.get("/runs").status_code == 200
        bus.identities.apply(TokenRevoked(token_id=bo_token, revoked_by="t", correlation_id="bo", producer="t"))
        assert client.get("/runs").status_code == 401
    assert token_id != bo_token


def _csrf(page_text: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page_text).group(1)


def _sign_in(client: TestClient, username: str, password: str, next_path: str = "/ui/runs"):  # type: ignore[no-untyped-def]
    form = client.get(f"/login?next={next_path}")
    assert form.status_code == 200
    return client.post("/login", data={"username": username, "password": password, "next": next_path,
                                       "csrf_token": _csrf(form.text)}, follow_redirects=False)


def test_the_login_page_signs_in_with_a_session_cookie_and_forms_need_its_csrf_token(bus, settings):
    bus.add_user("ana", "approver", password="correct horse")
    bus.replies[subjects.CMD_SCENARIO_LOCK] = ScenarioAccepted(scenario_id="scn_1")
    with TestClient(create_app(settings, bus)) as browser:
        wrong = _sign_in(browser, "ana", "wrong")
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
        assert _sign_in(browser, "nobody", "wrong").status_code == 401
        signed_in = _sign_in(browser, "ana", "correct horse", "/ui/scenarios")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ui/scenarios"
        cookie = signed_in.headers["set-cookie"]
        assert "scpln_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        page = browser.get("/ui/scenarios")
        assert page.status_code == 200 and "ana" in page.text
        token = _csrf(page.text)
        assert browser.post("/ui/scenarios/scn_1/lock", data={}, follow_redirects=False).status_code == 403
        assert browser.post("/ui/scenarios/scn_1/lock", data={"csrf_token": "0" * 64}, follow_redirects=False).status_code == 403
        assert bus.requests(subjects.CMD_SCENARIO_LOCK) == []
        done = browser.post("/ui/scenarios/scn_1/lock", data={"csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303
        assert [c.by for c in bus.requests(subjects.CMD_SCENARIO_LOCK)] == ["ana"]
        assert browser.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert browser.get("/ui/scenarios", follow_redirects=False).status_code == 303


def test_a_login_never_sends_the_browser_to_another_site(bus, settings):
    bus.add_user("ana", "viewer", password="pw-ana-123")
    with TestClient(create_app(settings, bus)) as browser:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            answer = _sign_in(browser, "ana", "pw-ana-123", target)
            assert answer.headers["location"] == "/ui/plans"


def test_repeated_wrong_passwords_are_slowed_with_429_and_retry_after(bus, settings):
    bus.add_user("ana", "viewer", password="right-password")
    with TestClient(create_app(settings, bus)) as browser:
        codes = [_sign_in(browser, "ana", "guess").status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and codes[-1] == 429
        limited = _sign_in(browser, "ana", "right-password")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_a_cross_site_post_is_refused_and_changes_nothing(client, bus):
    bus.replies[subjects.CMD_RUN_DELETE] = RunDeletedReply(run_id="run_a")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        answer = client.post("/ui/runs/delete", data={"run_id": "run_a"}, headers=headers, follow_redirects=False)
        assert answer.status_code == 403 and "cross-site" in answer.json()["detail"]
    assert bus.requests(subjects.CMD_RUN_DELETE) == []
    same = client.post("/runs/compare", json={"run_ids": ["run_a"]}, headers={"Origin": "http://testserver"})
    assert same.status_code != 403


def test_every_page_sends_a_strict_content_security_policy(client):
    for path in ("/ui/runs", "/login", "/healthz", "/static/app.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"]


def test_proxy_mode_believes_identity_headers_only_from_a_trusted_proxy(bus, tmp_path):
    settings = Settings(nats_url="nats://fake:4222", scpln_data_dir=tmp_path, scpln_auth="proxy",
                        scpln_trusted_proxies="testclient", scpln_role_map="sc-planners=planner,sc-admins=admin")
    with pytest.raises(ValueError):
        create_app(settings, bus)
    settings = settings.model_copy(update={"scpln_trusted_proxies": "127.0.0.0/8"})
    bus.replies[subjects.CMD_SCENARIO_LOCK] = ScenarioAccepted(scenario_id="scn_1")
    headers = {"X-Forwarded-User": "ana", "X-Forwarded-Groups": "staff,sc-planners"}
    with TestClient(create_app(settings, bus), client=("127.0.0.1", 5000)) as via_proxy:
        assert via_proxy.get("/runs", headers=headers).status_code == 200
        assert via_proxy.post("/scenarios/scn_1/lock", headers=headers, json={}).status_code == 403
        lead = {"X-Forwarded-User": "ana", "X-Role": "lead"}
        assert via_proxy.post("/scenarios/scn_1/lock", headers=lead).status_code == 403  # a form needs its CSRF token
        assert via_proxy.post("/scenarios/scn_1/lock", headers=lead, json={}).status_code == 200
    assert [c.by for c in bus.requests(subjects.CMD_SCENARIO_LOCK)] == ["ana"]
    with TestClient(create_app(settings, bus), client=("10.1.2.3", 5000)) as direct:
        assert direct.get("/runs", headers={**headers, "X-Role": "admin"}).status_code == 401


def test_sign_in_off_is_refused_anywhere_but_loopback(bus, tmp_path):
    with pytest.raises(UnsafeSettings):
        create_app(Settings(scpln_data_dir=tmp_path, scpln_auth="off", gateway_host="0.0.0.0"), bus)
    with TestClient(create_app(Settings(scpln_data_dir=tmp_path, scpln_auth="off"), bus)) as local:
        assert local.get("/runs").status_code == 200
        assert local.get("/login", follow_redirects=False).status_code == 303


def test_the_session_secret_is_made_once_with_mode_0600(bus, settings):
    create_app(settings, bus)
    secret = settings.data_dir / "secrets" / "session-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    first = secret.read_bytes()
    create_app(settings, bus)
    assert secret.read_bytes() == first


def test_a_session_ends_when_idle_or_too_old_and_a_forged_cookie_is_nobody():
    from services.ui_gateway.auth.sessions import SessionSigner

    signer = SessionSigner(b"k" * 32, idle_s=600, max_age_s=3600)
    session = signer.new("ana", "$argon2id$hash", now=1000.0)
    cookie = signer.dump(session)
    assert signer.load(cookie, now=1500.0).username == "ana"
    assert signer.load(cookie, now=1601.0) is None  # idle for longer than 600 s
    assert not signer.needs_reissue(session, now=1059.0) and signer.needs_reissue(session, now=1061.0)
    still = signer.dump(type(session)("ana", session.session_id, 1000.0, 4600.0, session.password_print))
    assert signer.load(still, now=4550.0) is not None and signer.load(still, now=4650.0) is None  # over an hour old
    assert signer.load(cookie[:-2] + "xx", now=1001.0) is None
    assert SessionSigner(b"o" * 32, 600, 3600).load(cookie, now=1001.0) is None


def test_a_session_slides_its_idle_time_and_ends_with_a_password_change_or_sign_out(bus, settings, monkeypatch):
    import time as clock

    from contracts.identity import UserPasswordChanged
    from services.ui_gateway.auth import state as auth_state_module

    bus.add_user("ana", "viewer", password="pw-ana-long")
    with TestClient(create_app(settings, bus)) as browser:
        assert _sign_in(browser, "ana", "pw-ana-long").status_code == 303
        cookie = browser.cookies.get("scpln_session")
        now = clock.time()
        monkeypatch.setattr(auth_state_module.time, "time", lambda: now + 120)
        answer = browser.get("/ui/runs")
        assert answer.status_code == 200 and "scpln_session=" in answer.headers.get("set-cookie", "")
        assert browser.cookies.get("scpln_session") != cookie
        token = _csrf(answer.text)
        browser.post("/logout", data={"csrf_token": token})
        browser.cookies.set("scpln_session", cookie)  # the old cookie, replayed after signing out
        assert browser.get("/runs").status_code == 401
        assert _sign_in(browser, "ana", "pw-ana-long").status_code == 303
        assert browser.get("/runs").status_code == 200
        bus.identities.apply(UserPasswordChanged(username="ana", password_hash="$argon2id$other", changed_by="admin",
                                                 correlation_id="ana", producer="t"))
        assert browser.get("/runs").status_code == 401


def test_cookies_are_secure_behind_a_trusted_proxy_that_says_https(bus, tmp_path):
    settings = Settings(scpln_data_dir=tmp_path, scpln_auth="proxy", scpln_trusted_proxies="127.0.0.1")
    bus.add_user("ana", "viewer", password="pw-ana-long")
    with TestClient(create_app(settings, bus), client=("127.0.0.1", 5000)) as browser:
        form = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in form.headers["set-cookie"]
        signed_in = browser.post("/login", data={"username": "ana", "password": "pw-ana-long", "csrf_token": _csrf(form.text)},
                                 headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
        assert "Secure" in signed_in.headers["set-cookie"]
