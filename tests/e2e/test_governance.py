"""Run governance and signed notifications with the whole system as processes (``scpln up`` with
the notifier): a run is approved and promoted to its scenario's baseline by an approver through
the original scpln's routes and answers, noted and tagged by a planner, archived out of the
history; runs are compared with their scenario's baseline; and two loopback webhook receivers get
every event of the log they subscribe to, signed and in log order, one of them also across an
outage of its own that holds up only itself."""

import asyncio
import time
from collections.abc import Iterator

import nats
import pytest

from contracts.notifications import DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENTS
from runtime.log_reader import read_log
from tests.e2e.system import System, permission_violations, start_system, stop_system
from tests.webhooks import Receiver

pytestmark = pytest.mark.e2e
SECRET = "e2e-webhook-secret"


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    pair = Receiver(SECRET).start(), Receiver(SECRET).start()
    yield pair
    for receiver in pair:
        receiver.stop()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, receivers) -> Iterator[System]:  # type: ignore[no-untyped-def]
    env = {"NOTIFY_WEBHOOK_URLS": ",".join(r.url for r in receivers), "NOTIFY_WEBHOOK_SECRET": SECRET,
           "NOTIFY_RETRY_BASE_S": "0.2", "NOTIFY_RETRY_MAX_DELAY_S": "1"}
    running = start_system(tmp_path_factory.mktemp("scpln-data"), extra_env=env)
    try:
        yield running
    finally:
        stop_system(running)
    assert not permission_violations(running), permission_violations(running)


def simulated_run(system: System) -> dict:
    """A new plan of the sample baseline scenario, simulated: its run."""
    with system.client("planner") as client:
        config = min(client.get("/configs").json()["configs"], key=lambda c: c["planning_days"])
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": config["config_version_id"]})
        assert accepted.status_code == 202, accepted.text
    plan = system.wait_for(f"/plans/{accepted.json()['plan_version_id']}", lambda b: len(b["runs"]) == 1, timeout=90)
    return plan["runs"][0]


def webhook_events_in_log(system: System) -> list[tuple[int, str]]:
    """(sequence, subject) of every event of the log a receiver subscribes to (the defaults)."""
    wanted = [WEBHOOK_EVENTS[name] for name in DEFAULT_WEBHOOK_EVENTS]

    async def read() -> list[tuple[int, str]]:
        nc = await nats.connect(system.nats_url)
        try:
            return [(m.seq, m.subject) async for batch in read_log(nc.jetstream(), filter_subjects=wanted) for m in batch]
        finally:
            await nc.close()

    return asyncio.run(read())


def wait_until(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError("the condition never held")


def test_a_run_is_approved_promoted_noted_tagged_archived_and_compared_with_its_baseline(system, receivers):
    first, second = simulated_run(system), simulated_run(system)
    rid, scenario = first["run_id"], first["scenario_id"]
    with system.client("planner") as planner, system.client("approver") as approver, system.client("viewer") as viewer:
        refused = planner.post(f"/runs/{rid}/approve")
        assert refused.status_code == 403 and "runs.approve" in refused.json()["detail"]
        approved = approver.post(f"/runs/{rid}/approve").json()
        assert {k: approved[k] for k in ("status", "run_id", "approved_by")} == {
            "status": "approved", "run_id": rid, "approved_by": "e2e-approver"}
        promoted = approver.post(f"/runs/{rid}/promote-baseline").json()
        assert {k: promoted[k] for k in ("status", "run_id")} == {"status": "baseline", "run_id": rid}
        assert viewer.get("/runs/baseline", params={"scenario_id": scenario}).json()["run_id"] == rid
        noted = planner.post(f"/runs/{rid}/note", json={"note": "Agreed in **S&OP**, <b>week 12</b>"}).json()
        assert noted["status"] == "ok" and noted["note_id"].startswith("note_")
        tags = planner.post(f"/runs/{rid}/tags", json={"add": ["q3", "board"]}).json()
        assert tags["tags"] == ["board", "q3"]
        meta = viewer.get(f"/runs/{rid}/meta").json()
        assert {k: meta[k] for k in ("run_id", "approved_by", "baseline", "archived")} == {
            "run_id": rid, "approved_by": "e2e-approver", "baseline": 1, "archived": 0}
        assert isinstance(meta["approved_at"], int) and meta["note"].startswith("Agreed in **S&OP**")
        assert meta["notes"][0]["author"] == "e2e-planner" and "&lt;b&gt;week 12&lt;/b&gt;" in meta["notes"][0]["html"]
        bulk = viewer.get("/runs/meta", params={"run_ids": f"{rid},{second['run_id']}"}).json()
        assert (bulk[rid]["baseline"], bulk[second["run_id"]]["baseline"]) == (1, 0)

        compared = viewer.post("/runs/compare", json={"run_ids": [second["run_id"]], "base": "baseline"})
        assert compared.status_code == 200, compared.text
        assert compared.json()["bases"] == {second["run_id"]: rid} and compared.json()["base_id"] == rid
        preset = viewer.get("/ui/runs/compare/baseline", follow_redirects=False)
        assert preset.status_code == 303 and "base=baseline" in preset.headers["location"]
        page = viewer.get(preset.headers["location"])
        assert page.status_code == 200 and 'id="compare-bases"' in page.text

        assert planner.post(f"/runs/{second['run_id']}/archive").json()["status"] == "archived"
        shown = [r["run_id"] for r in viewer.get("/runs", params={"limit": 1000}).json()["runs"]]
        assert rid in shown and second["run_id"] not in shown
        archived = viewer.get("/runs", params={"archived": "only"}).json()["runs"]
        assert [r["run_id"] for r in archived] == [second["run_id"]] and archived[0]["archived"]
        baselines = viewer.get("/runs", params={"baseline": "true", "tag": "q3"}).json()["runs"]
        assert [(r["run_id"], r["approved"], r["tags"]) for r in baselines] == [(rid, True, ["board", "q3"])]
        run_page = approver.get(f"/ui/runs/{rid}").text
        assert "e2e-approver" in run_page and "<strong>S&amp;OP</strong>" in run_page and "<b>week" not in run_page


def test_receivers_get_every_event_signed_in_log_order_also_after_an_outage_of_their_own(system, receivers):
    steady, flaky = receivers
    steady.wait_for(1, timeout=60)
    flaky.stop()  # down: connections refused
    run = simulated_run(system)
    with system.client("approver") as approver, system.client("operator") as operator:
        assert approver.post(f"/runs/{run['run_id']}/approve").status_code == 200
        wait_until(lambda: any(r["failed_attempts"] > 0 and r["pending"] for r in
                               operator.get("/notifications").json()["receivers"] if r["durable"] == "notifier_2"))
        page = operator.get("/ui/operations/notifications")
        assert page.status_code == 200 and "notifier_2" in page.text and ">failed<" in page.text
        assert approver.get("/notifications").status_code == 403
    expected = webhook_events_in_log(system)
    assert [seq for seq, _ in expected] == sorted(seq for seq, _ in expected)
    got = steady.wait_for(len(expected), timeout=60)
    assert [(g.json["sequence"]) for g in got] == [seq for seq, _ in expected], "the steady one waits for nobody"
    flaky.start()  # back up, on the same port
    got = flaky.wait_for(len(expected), timeout=60)
    assert [g.json["sequence"] for g in got] == [seq for seq, _ in expected], "nothing missed, in log order"
    names = {subject: name for name, subject in WEBHOOK_EVENTS.items()}
    assert [g.event for g in got] == [names[subject] for _, subject in expected]
    assert {"run_completed", "run_approved", "run_promoted_baseline"} <= {g.event for g in got}
    assert len({g.delivery_id for g in got}) == len(got)
