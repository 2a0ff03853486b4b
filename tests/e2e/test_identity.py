"""Identity and access with the whole system as processes (``scpln up``): the first start's
admin, sign-in, tokens that stop at once, roles, cross-site refusal, the actor of a lock."""

import asyncio
import re

import httpx
import nats
import pytest

from runtime.nats_credentials import read_passwords

pytestmark = pytest.mark.e2e


def test_the_first_start_prints_the_admin_password_once_and_keeps_it_0600(system):
    path = system.data_dir / "initial-admin-password"
    assert path.stat().st_mode & 0o777 == 0o600
    console = (system.data_dir / "up.out").read_text()
    assert console.count(system.admin_password) == 1


def test_signing_in_with_the_admin_password_gives_a_session(system):
    with httpx.Client(base_url=system.base_url, timeout=10, follow_redirects=True) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
        signed_in = browser.post("/login", data={"username": "admin", "password": system.admin_password,
                                                 "next": "/ui/runs", "csrf_token": csrf})
        assert signed_in.status_code == 200 and str(signed_in.url).endswith("/ui/runs")
        assert "admin" in signed_in.text


def test_anonymous_requests_are_refused(system):
    with system.anonymous() as anonymous:
        answer = anonymous.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": "x"})
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        page = anonymous.get("/ui/plans", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def _a_run(system) -> str:  # type: ignore[no-untyped-def]
    with system.client() as admin:
        config_id = admin.get("/configs").json()["configs"][0]["config_version_id"]
        body = {"base_scenario_id": "scn_baseline", "config_version_id": config_id}
        plan_id = admin.post("/plans", json=body).json()["plan_version_id"]
    return system.wait_for(f"/runs?plan_version_id={plan_id}", lambda b: b["total"] == 1)["runs"][0]["run_id"]


def test_a_viewer_may_read_but_not_delete_and_a_cross_site_post_changes_nothing(system):
    run_id = _a_run(system)
    with system.client("viewer") as viewer:
        assert viewer.get("/runs").status_code == 200
        refused = viewer.delete(f"/runs/{run_id}")
        assert refused.status_code == 403 and "runs.delete" in refused.json()["detail"]
    with system.client() as admin:
        cross = admin.post("/ui/runs/delete", data={"run_id": run_id}, headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
        assert admin.get(f"/runs/{run_id}").status_code == 200
        assert admin.delete(f"/runs/{run_id}").status_code == 200
        deleted = admin.get(f"/runs/{run_id}")
        assert deleted.status_code == 404 and "admin" in deleted.text


def test_a_token_stops_at_once_when_revoked_or_when_its_user_is_disabled(system):
    system.add_user("tessa", "planner")
    token = system.create_token("tessa", "--name", "revocable")
    listed = system.scpln("tokens", "list").stdout
    token_id = next(line.split()[0] for line in listed.splitlines() if "revocable" in line)
    assert token not in listed
    with system.client(token=token) as client:
        assert client.get("/runs").status_code == 200
        system.scpln("tokens", "revoke", token_id)
        system.wait_for_status(client, "/runs", 401)
    second = system.create_token("tessa", "--name", "second")
    with system.client(token=second) as client:
        assert client.get("/runs").status_code == 200
        system.scpln("users", "disable", "tessa")
        system.wait_for_status(client, "/runs", 401)


def test_the_actor_of_a_lock_is_the_signed_in_user(system):
    with system.client() as admin:
        scenario_id = admin.post("/scenarios", json={"name": "Audit 2026"}).json()["scenario_id"]
    with system.client("approver") as approver:
        assert approver.post(f"/scenarios/{scenario_id}/lock", params={"by": "planner"}).status_code == 422
        assert approver.post(f"/scenarios/{scenario_id}/lock").status_code == 200
    scenario = system.wait_for(f"/scenarios/{scenario_id}", lambda b: b["scenario"]["locked"])["scenario"]
    assert scenario["locked_by"] == "e2e-approver"


def test_the_embedded_nats_refuses_a_client_without_credentials(system):
    port = int(system.nats_url.rsplit(":", 1)[1])

    async def connect() -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=0,
                                connect_timeout=2)
        await nc.close()

    with pytest.raises(Exception, match="(?i)authorization"):
        asyncio.run(connect())


def test_no_password_or_token_is_in_the_logs_the_metrics_or_the_event_log(system):
    token = system.create_token("admin", "--name", "secret-check")
    with system.client(token=token) as client:
        assert client.get("/runs").status_code == 200
        metrics = client.get("/metrics").text
    secrets = [system.admin_password, system.admin_token, token, *read_passwords(system.data_dir).values()]
    logs = {path.name: path.read_text(errors="replace") for path in (system.data_dir / "logs").glob("*.log")}
    logs["console"] = (system.data_dir / "up.out").read_text().replace(system.admin_password, "", 1)  # said once
    assert len(logs) >= 5
    for secret in secrets:
        assert secret not in metrics
        assert [name for name, text in logs.items() if secret in text] == []
    log_bytes = asyncio.run(_whole_log(system.nats_url))
    for secret in secrets:
        assert secret.encode() not in log_bytes


async def _whole_log(url: str) -> bytes:
    from runtime.log_reader import read_log

    nc = await nats.connect(url)
    try:
        return b"".join([m.data async for batch in read_log(nc.jetstream()) for m in batch])
    finally:
        await nc.close()
